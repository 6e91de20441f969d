// SPDX-License-Identifier: GPL-2.0
/*
 * Exports for the ctnr container library, kept out of the library's own
 * sources so that those stay free of kernel-specific code.
 */
#include <linux/export.h>
#include <ctnr/arc.h>
#include <ctnr/box.h>
#include <ctnr/vec.h>

EXPORT_SYMBOL_GPL(ctnr_vec_try_reserve);
EXPORT_SYMBOL_GPL(ctnr_vec_try_reserve_exact);
EXPORT_SYMBOL_GPL(ctnr_vec_push_within_capacity);
EXPORT_SYMBOL_GPL(ctnr_vec_pop);
EXPORT_SYMBOL_GPL(ctnr_vec_truncate);
EXPORT_SYMBOL_GPL(ctnr_vec_clear);
EXPORT_SYMBOL_GPL(ctnr_vec_remove);
EXPORT_SYMBOL_GPL(ctnr_vec_swap_remove);
EXPORT_SYMBOL_GPL(ctnr_vec_swap);
EXPORT_SYMBOL_GPL(ctnr_vec_reverse);
EXPORT_SYMBOL_GPL(ctnr_vec_retain);
EXPORT_SYMBOL_GPL(ctnr_vec_dedup_by);
EXPORT_SYMBOL_GPL(ctnr_vec_drain);
EXPORT_SYMBOL_GPL(ctnr_vec_free);

EXPORT_SYMBOL_GPL(ctnr_box_free);

EXPORT_SYMBOL_GPL(ctnr_arc_layout);
EXPORT_SYMBOL_GPL(ctnr_arc_init_raw);
EXPORT_SYMBOL_GPL(ctnr_arc_get);
EXPORT_SYMBOL_GPL(ctnr_arc_put);
EXPORT_SYMBOL_GPL(ctnr_arc_count);
EXPORT_SYMBOL_GPL(ctnr_arc_is_unique);

/* The allocator interface, which the build enables. */
EXPORT_SYMBOL_GPL(ctnr_global);
EXPORT_SYMBOL_GPL(ctnr_box_try_new);
EXPORT_SYMBOL_GPL(ctnr_box_try_new_uninit);
EXPORT_SYMBOL_GPL(ctnr_box_try_new_zeroed);
EXPORT_SYMBOL_GPL(ctnr_box_try_new_uninit_in);
EXPORT_SYMBOL_GPL(ctnr_box_free_in);
EXPORT_SYMBOL_GPL(ctnr_arc_init_raw_in);
EXPORT_SYMBOL_GPL(ctnr_arc_try_new);
EXPORT_SYMBOL_GPL(ctnr_arc_try_new_uninit);
EXPORT_SYMBOL_GPL(ctnr_arc_try_new_uninit_in);
