# SPDX-License-Identifier: GPL-2.0
#
# Build settings for the ctnr container library, shared by lib/ctnr/ and
# every Makefile that builds code using it:
#
#	include $(srctree)/lib/ctnr/ctnr.mk
#	ccflags-y += $(ctnr_cflags)
#
# The kernel builds its own fork of the library from fork/; upstream/
# holds the unmodified library.

ctnr_core := fork

ctnr_cflags := -I$(srctree)/lib/ctnr -I$(srctree)/lib/ctnr/$(ctnr_core)/include
ctnr_cflags += -DCTNR_UNSTABLE_ALLOCATOR_API
