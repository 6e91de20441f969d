// SPDX-License-Identifier: GPL-2.0
/*
 * The three-way merge of one rebased commit, done as git's merge-ort does
 * it for a pick, but only over the paths the commit changes: a path the
 * commit does not touch keeps the new base's version, which is what ort
 * decides for it too. For each touched path the ancestor is the commit's
 * parent, "ours" the new base (HEAD) and "theirs" the commit; contents are
 * merged with libgit2's copy of git's xdiff merge. Renames are looked for
 * only where they change the outcome, as ort's "relevant renames" do: on
 * the commit's side when the base changed a file the commit deletes, on
 * the base's side when the commit changed or deleted a file the base no
 * longer has.
 */
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_rebase.h"
#include "kser/treeedit.h"

#define S_TYPE(m) ((m) & 0170000)
#define S_REG 0100000

enum { BASE, OURS, THEIRS };

struct pinfo {
	char *path;
	struct rb_entry st[3];
	const char *names[3];	/* the path on each side, for labels */
	bool ours_dir;		/* ours has a directory here */
	bool done;		/* settled by the rename pass */
};

struct merge {
	git_repository *repo;
	const struct rb_merge_opts *opts;
	git_tree *ours;
	struct pinfo *p;
	size_t n, alloc;
	struct kser_tree_edit ed;
	struct rb_merge_result *res;
};

void rb_merge_result_init(struct rb_merge_result *r)
{
	memset(r, 0, sizeof(*r));
	kser_buf_init(&r->messages);
}

void rb_merge_result_release(struct rb_merge_result *r)
{
	size_t i;

	for (i = 0; i < r->nconflicts; i++)
		free(r->conflicts[i].path);
	free(r->conflicts);
	kser_buf_release(&r->messages);
	rb_merge_result_init(r);
}

static struct pinfo *find(struct merge *m, const char *path)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->p[i].path, path))
			return &m->p[i];
	return NULL;
}

static const struct kser_error *add_path(struct pinfo **out, struct merge *m,
					 const char *path)
{
	const struct kser_error *err;
	struct pinfo *p = find(m, path);

	if (p) {
		*out = p;
		return NULL;
	}
	err = kser_array_grow((void **)&m->p, &m->alloc, m->n, sizeof(*m->p),
			      16);
	if (err)
		return err;
	p = &m->p[m->n];
	memset(p, 0, sizeof(*p));
	p->path = strdup(path);
	if (!p->path)
		return kser_error_nomem();
	p->names[0] = p->names[1] = p->names[2] = p->path;
	m->n++;
	err = rb_tree_lookup(&p->st[OURS], &p->ours_dir, m->repo, m->ours,
			     path);
	*out = p;
	return err;
}

static const struct kser_error *add_conflict(struct merge *m,
					     const char *path,
					     const struct rb_entry st[3])
{
	struct rb_merge_result *r = m->res;
	const struct kser_error *err;
	struct rb_conflict *c;

	err = kser_array_grow((void **)&r->conflicts, &r->alloc,
			      r->nconflicts, sizeof(*r->conflicts), 8);
	if (err)
		return err;
	c = &r->conflicts[r->nconflicts];
	c->path = strdup(path);
	if (!c->path)
		return kser_error_nomem();
	memcpy(c->stage, st, sizeof(c->stage));
	r->nconflicts++;
	r->clean = false;
	return NULL;
}

static const struct kser_error *put(struct merge *m, const char *path,
				    const struct rb_entry *e)
{
	return e->mode ? kser_tree_edit_set(&m->ed, path, e->mode, &e->oid) :
	       kser_tree_edit_remove(&m->ed, path);
}

static const struct kser_error *read_blob(git_blob **out, struct merge *m,
					  const struct rb_entry *e,
					  const char *path)
{
	*out = NULL;
	if (git_blob_lookup(out, m->repo, &e->oid) < 0)
		return kser_error_git("cannot read '%s'", path);
	return NULL;
}

/* The label of one side in conflict markers, as ort writes it. */
static void label(struct kser_buf *b, const char *name, const char *path,
		  bool same)
{
	if (same)
		kser_buf_puts(b, name);
	else
		kser_buf_printf(b, "%s:%s", name, path);
}

/*
 * ll_merge of three regular files: *clean false when markers were left
 * (or a side is binary: then ours stands, as ll_binary_merge does).
 */
static const struct kser_error *merge_file(struct rb_entry *out, bool *clean,
					   struct merge *m,
					   const struct pinfo *p,
					   const struct rb_entry *o,
					   bool two_way)
{
	git_merge_file_options fo = GIT_MERGE_FILE_OPTIONS_INIT;
	git_merge_file_input in[3] = { GIT_MERGE_FILE_INPUT_INIT,
				       GIT_MERGE_FILE_INPUT_INIT,
				       GIT_MERGE_FILE_INPUT_INIT };
	git_merge_file_result fr = { 0 };
	struct kser_buf lb[3] = { KSER_BUF_INIT, KSER_BUF_INIT,
				  KSER_BUF_INIT };
	const struct kser_error *err = NULL;
	const struct rb_entry *e[3] = { o, &p->st[OURS], &p->st[THEIRS] };
	git_blob *blob[3] = { NULL, NULL, NULL };
	bool same = !strcmp(p->names[0], p->names[1]) &&
		    !strcmp(p->names[1], p->names[2]);
	bool binary = false;
	int i;

	for (i = 0; i < 3 && !err; i++) {
		if (i == 0 && two_way)
			continue;
		err = read_blob(&blob[i], m, e[i], p->names[i]);
		if (err)
			break;
		in[i].ptr = git_blob_rawcontent(blob[i]);
		in[i].size = (size_t)git_blob_rawsize(blob[i]);
		binary |= rb_is_binary(in[i].ptr, in[i].size);
	}
	if (err)
		goto done;
	*out = p->st[OURS];
	if (binary) {
		*clean = false;
		kser_buf_printf(&m->res->messages, "warning: Cannot merge "
				"binary files: %s (%s vs. %s)\n", p->path,
				m->opts->ours_label, m->opts->theirs_label);
		goto done;
	}
	label(&lb[0], m->opts->ancestor_label, p->names[0], same);
	label(&lb[1], m->opts->ours_label, p->names[1], same);
	label(&lb[2], m->opts->theirs_label, p->names[2], same);
	for (i = 0; i < 3; i++)
		if ((err = kser_buf_check(&lb[i])))
			goto done;
	fo.ancestor_label = lb[0].ptr;
	fo.our_label = lb[1].ptr;
	fo.their_label = lb[2].ptr;
	fo.flags = m->opts->style ? m->opts->style :
		   GIT_MERGE_FILE_STYLE_MERGE;
	if (git_merge_file(&fr, &in[0], &in[1], &in[2], &fo) < 0) {
		err = kser_error_git("cannot merge '%s'", p->path);
		goto done;
	}
	*clean = fr.automergeable;
	if (git_blob_create_from_buffer(&out->oid, m->repo, fr.ptr, fr.len) < 0)
		err = kser_error_git("cannot write '%s'", p->path);
done:
	git_merge_file_result_free(&fr);
	for (i = 0; i < 3; i++) {
		git_blob_free(blob[i]);
		kser_buf_release(&lb[i]);
	}
	return err;
}

/* ort's handle_content_merge(): modes, then trivial, then contents. */
static const struct kser_error *content_merge(struct rb_entry *out,
					      bool *clean, struct merge *m,
					      const struct pinfo *p)
{
	const struct rb_entry *o = &p->st[BASE], *a = &p->st[OURS],
			      *b = &p->st[THEIRS];
	const struct kser_error *err;
	bool fclean = true;

	*clean = true;
	if (a->mode == b->mode || a->mode == o->mode) {
		out->mode = b->mode;
	} else {
		out->mode = a->mode;
		*clean = b->mode == o->mode;
	}
	if (git_oid_equal(&a->oid, &b->oid) ||
	    (o->mode && git_oid_equal(&a->oid, &o->oid))) {
		git_oid_cpy(&out->oid, &b->oid);
	} else if (o->mode && git_oid_equal(&b->oid, &o->oid)) {
		git_oid_cpy(&out->oid, &a->oid);
	} else if (S_TYPE(a->mode) == S_REG) {
		struct rb_entry r;

		err = merge_file(&r, &fclean, m, p, o,
				 S_TYPE(o->mode) != S_TYPE(a->mode));
		if (err)
			return err;
		git_oid_cpy(&out->oid, &r.oid);
		kser_buf_printf(&m->res->messages, "Auto-merging %s\n",
				p->path);
	} else {
		/* Symbolic links and submodules: ours, in conflict. */
		git_oid_cpy(&out->oid, &a->oid);
		fclean = false;
	}
	*clean = *clean && fclean;
	return NULL;
}

static bool present(const struct rb_entry *e)
{
	return e->mode != 0;
}

static const struct kser_error *conflict(struct merge *m,
					 const struct pinfo *p,
					 const struct rb_entry *result,
					 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static const struct kser_error *conflict(struct merge *m,
					 const struct pinfo *p,
					 const struct rb_entry *result,
					 const char *fmt, ...)
{
	const struct kser_error *err;
	va_list ap;

	va_start(ap, fmt);
	kser_buf_vprintf(&m->res->messages, fmt, ap);
	va_end(ap);
	kser_buf_putc(&m->res->messages, '\n');
	err = add_conflict(m, p->path, p->st);
	return err ? err : put(m, p->path, result);
}

/* process_entry() of ort for one path nobody renamed. */
static const struct kser_error *merge_path(struct merge *m, struct pinfo *p)
{
	const struct rb_entry *o = &p->st[BASE], *a = &p->st[OURS],
			      *b = &p->st[THEIRS];
	const struct kser_error *err;
	struct rb_entry r;
	bool clean;

	if (rb_entry_eq(a, b) || rb_entry_eq(o, b))
		return NULL;			/* ours stands */
	if (p->ours_dir && present(b))
		return conflict(m, p, b, "CONFLICT (file/directory): "
				"directory in the way of %s from %s; moving "
				"it to %s~%s instead.", p->path,
				m->opts->theirs_label, p->path,
				m->opts->theirs_label);
	if (rb_entry_eq(o, a) && !p->ours_dir)
		return put(m, p->path, b);	/* theirs changed it */
	if (present(a) && present(b)) {
		if (S_TYPE(a->mode) != S_TYPE(b->mode))
			return conflict(m, p, a, "CONFLICT (distinct types): "
					"%s had different types on each side; "
					"renamed one of them so each can be "
					"recorded somewhere.", p->path);
		err = content_merge(&r, &clean, m, p);
		if (err)
			return err;
		if (clean)
			return put(m, p->path, &r);
		return conflict(m, p, &r, "CONFLICT (%s): Merge conflict in %s",
				present(o) ? "content" : "add/add", p->path);
	}
	if (present(o) && (present(a) || present(b))) {
		bool ours_mod = present(a);

		if (p->ours_dir)
			return put(m, p->path, b);
		return conflict(m, p, ours_mod ? a : b,
				"CONFLICT (modify/delete): %s deleted in %s "
				"and modified in %s.  Version %s of %s left "
				"in tree.", p->path,
				ours_mod ? m->opts->theirs_label :
				m->opts->ours_label,
				ours_mod ? m->opts->ours_label :
				m->opts->theirs_label,
				ours_mod ? m->opts->ours_label :
				m->opts->theirs_label, p->path);
	}
	/* Deleted on both sides, or added by theirs only. */
	return put(m, p->path, b);
}

/* Is some leading directory of path a file in ours (and kept)? */
static const struct kser_error *file_in_way(bool *out, struct merge *m,
					    const char *path)
{
	const struct kser_error *err = NULL;
	char *dir = strdup(path), *s;

	*out = false;
	if (!dir)
		return kser_error_nomem();
	while (!*out && (s = strrchr(dir, '/'))) {
		const struct kser_tree_change *c;
		struct rb_entry e;

		*s = '\0';
		err = rb_tree_lookup(&e, NULL, m->repo, m->ours, dir);
		if (err)
			break;
		c = kser_tree_edit_find(&m->ed, dir);
		*out = present(&e) && !(c && !c->mode);
	}
	free(dir);
	return err;
}

static void rename_inputs(struct kser_rename_input **srcs, size_t *ns,
			  struct kser_rename_input **dsts, size_t *nd,
			  const struct rb_changes *ch)
{
	size_t i;

	*ns = *nd = 0;
	for (i = 0; i < ch->n; i++) {
		const struct rb_change *c = &ch->v[i];

		if (present(&c->old) && !present(&c->new))
			(*srcs)[(*ns)++] = (struct kser_rename_input){
				c->path, { c->old.mode, c->old.oid }, false };
		else if (!present(&c->old) && present(&c->new))
			(*dsts)[(*nd)++] = (struct kser_rename_input){
				c->path, { c->new.mode, c->new.oid }, false };
	}
}

struct side_renames {
	struct kser_rename_input *srcs, *dsts;
	size_t ns, nd;
	struct kser_rename *pairs;
	size_t npairs;
};

static void side_release(struct side_renames *s)
{
	free(s->srcs);
	free(s->dsts);
	free(s->pairs);
	memset(s, 0, sizeof(*s));
}

/* Renames on one side; relevant(path) says which sources matter. */
static const struct kser_error *detect(struct side_renames *s,
				       struct merge *m,
				       const struct rb_changes *ch,
				       bool (*relevant)(struct merge *,
							const char *))
{
	size_t i;
	bool any = false;

	memset(s, 0, sizeof(*s));
	s->srcs = calloc(ch->n + 1, sizeof(*s->srcs));
	s->dsts = calloc(ch->n + 1, sizeof(*s->dsts));
	if (!s->srcs || !s->dsts)
		return kser_error_nomem();
	rename_inputs(&s->srcs, &s->ns, &s->dsts, &s->nd, ch);
	for (i = 0; i < s->ns; i++) {
		s->srcs[i].relevant = relevant(m, s->srcs[i].path);
		any |= s->srcs[i].relevant;
	}
	if (!any || !s->nd)
		return NULL;
	return kser_rename_find(&s->pairs, &s->npairs, m->repo, s->srcs, s->ns,
			       s->dsts, s->nd, m->opts->rename_score ?
			       m->opts->rename_score : 30000);
}

/* Theirs deleted it while ours changed or deleted it. */
static bool relevant_theirs(struct merge *m, const char *path)
{
	struct pinfo *p = find(m, path);

	return p && !rb_entry_eq(&p->st[OURS], &p->st[BASE]);
}

/* Ours no longer has it while theirs changed or deleted it. */
static bool relevant_ours(struct merge *m, const char *path)
{
	struct pinfo *p = find(m, path);

	return p && !rb_entry_eq(&p->st[THEIRS], &p->st[BASE]);
}

static const struct kser_rename *pair_of(const struct side_renames *s,
				       const char *src)
{
	size_t i;

	for (i = 0; i < s->npairs; i++)
		if (!strcmp(s->srcs[s->pairs[i].src].path, src) &&
		    s->srcs[s->pairs[i].src].relevant)
			return &s->pairs[i];
	return NULL;
}

/*
 * A rename on one side of a path the other side changed: the change
 * follows the file to its new name (ort's process_renames()).
 */
static const struct kser_error *apply_renames(struct merge *m,
					      struct side_renames *s1,
					      struct side_renames *s2)
{
	const struct kser_error *err = NULL;
	size_t i, n = m->n;

	for (i = 0; i < n && !err; i++) {
		struct pinfo *x = &m->p[i], *y;
		const struct kser_rename *r1, *r2;
		const char *to1, *to2;
		struct rb_entry r, base;
		bool clean;

		if (x->done || !present(&x->st[BASE]))
			continue;
		r1 = pair_of(s1, x->path);
		r2 = pair_of(s2, x->path);
		if (!r1 && !r2)
			continue;
		to1 = r1 ? s1->dsts[r1->dst].path : NULL;
		to2 = r2 ? s2->dsts[r2->dst].path : NULL;
		base = x->st[BASE];
		if (r1 && r2 && strcmp(to1, to2)) {
			struct pinfo *z;

			x->done = true;
			if ((err = add_path(&y, m, to1)) ||
			    (err = add_path(&z, m, to2)))
				break;
			x = &m->p[i];
			y->done = z->done = true;
			kser_buf_printf(&m->res->messages, "CONFLICT "
					"(rename/rename): %s renamed to %s in "
					"%s and to %s in %s.\n", x->path, to1,
					m->opts->ours_label, to2,
					m->opts->theirs_label);
			err = add_conflict(m, x->path, x->st);
			if (!err)
				err = add_conflict(m, y->path, y->st);
			if (!err)
				err = add_conflict(m, z->path, z->st);
			if (!err)
				err = put(m, to2, &z->st[THEIRS]);
			continue;
		}
		err = add_path(&y, m, r1 ? to1 : to2);
		if (err)
			break;
		x = &m->p[i];
		x->done = y->done = true;
		if (r1 && r2) {
			/* Both renamed it the same way. */
			y->st[BASE] = base;
			y->names[0] = x->path;
			err = put(m, x->path, &(struct rb_entry){ 0 });
		} else if (r1) {
			/* Ours renamed it: take theirs' change along. */
			y->st[BASE] = base;
			y->st[THEIRS] = x->st[THEIRS];
			y->names[0] = y->names[2] = x->path;
			if (!present(&y->st[THEIRS])) {
				err = conflict(m, y, &y->st[OURS],
					       "CONFLICT (rename/delete): %s "
					       "renamed to %s in %s, but "
					       "deleted in %s.", x->path, to1,
					       m->opts->ours_label,
					       m->opts->theirs_label);
				y->st[THEIRS] = (struct rb_entry){ 0 };
				continue;
			}
		} else {
			/* Theirs renamed it: keep ours' change. */
			bool collision = present(&y->st[OURS]);

			y->st[BASE] = base;
			y->names[0] = x->path;
			if (!present(&x->st[OURS])) {
				err = conflict(m, y, &y->st[THEIRS],
					       "CONFLICT (rename/delete): %s "
					       "renamed to %s in %s, but "
					       "deleted in %s.", x->path, to2,
					       m->opts->theirs_label,
					       m->opts->ours_label);
				continue;
			}
			if (collision) {
				err = conflict(m, y, &y->st[OURS],
					       "CONFLICT (rename involved in "
					       "collision): rename of %s -> %s "
					       "collides with another path",
					       x->path, to2);
				continue;
			}
			y->st[OURS] = x->st[OURS];
			y->names[1] = x->path;
			/* The old name goes, with theirs' deletion. */
			err = put(m, x->path, &(struct rb_entry){ 0 });
			if (err)
				break;
		}
		if (S_TYPE(y->st[OURS].mode) != S_TYPE(y->st[THEIRS].mode)) {
			err = conflict(m, y, &y->st[OURS], "CONFLICT (distinct "
				       "types): %s had different types on each "
				       "side", y->path);
			continue;
		}
		err = content_merge(&r, &clean, m, y);
		if (err)
			break;
		if (clean)
			err = put(m, y->path, &r);
		else
			err = conflict(m, y, &r, "CONFLICT (content): Merge "
				       "conflict in %s", y->path);
	}
	return err;
}

const struct kser_error *rb_merge_trees(struct rb_merge_result *out,
					git_repository *repo,
					const git_oid *base,
					const git_oid *ours,
					const git_oid *theirs,
					const struct rb_merge_opts *opts)
{
	const struct kser_error *err = NULL;
	struct merge m = { repo, opts, NULL, NULL, 0, 0, { 0 }, out };
	struct side_renames s1 = { 0 }, s2 = { 0 };
	struct rb_changes ch2 = { 0 }, ch1 = { 0 };
	bool need1 = false;
	size_t i;

	out->clean = true;
	out->same_patch = false;
	kser_tree_edit_init(&m.ed);
	if (git_oid_equal(base, ours)) {
		out->same_patch = true;
		git_oid_cpy(&out->tree, theirs);
		return NULL;
	}
	if (git_oid_equal(base, theirs)) {
		git_oid_cpy(&out->tree, ours);
		return NULL;
	}
	if (git_tree_lookup(&m.ours, repo, ours) < 0)
		return kser_error_git("cannot read the new base's tree");
	err = rb_tree_diff(&ch2, repo, base, theirs);
	for (i = 0; !err && i < ch2.n; i++) {
		struct pinfo *p;

		err = add_path(&p, &m, ch2.v[i].path);
		if (err)
			break;
		p->st[BASE] = ch2.v[i].old;
		p->st[THEIRS] = ch2.v[i].new;
		need1 |= present(&p->st[BASE]) && !present(&p->st[OURS]) &&
			 !rb_entry_eq(&p->st[THEIRS], &p->st[BASE]);
	}
	out->same_patch = !err;
	for (i = 0; !err && i < m.n; i++)
		out->same_patch &= rb_entry_eq(&m.p[i].st[OURS],
					       &m.p[i].st[BASE]) &&
				   !m.p[i].ours_dir;
	if (!err)
		err = detect(&s2, &m, &ch2, relevant_theirs);
	/* Ours' side is diffed only when a rename there can matter. */
	if (!err && need1)
		err = rb_tree_diff(&ch1, repo, base, ours);
	if (!err && need1)
		err = detect(&s1, &m, &ch1, relevant_ours);
	if (!err)
		err = apply_renames(&m, &s1, &s2);
	for (i = 0; !err && i < m.n; i++) {
		bool in_way = false;

		if (m.p[i].done)
			continue;
		if (present(&m.p[i].st[THEIRS]) &&
		    !rb_entry_eq(&m.p[i].st[OURS], &m.p[i].st[THEIRS]))
			err = file_in_way(&in_way, &m, m.p[i].path);
		if (!err && in_way)
			err = conflict(&m, &m.p[i], &(struct rb_entry){ 0 },
				       "CONFLICT (file/directory): directory "
				       "in the way of a file at %s",
				       m.p[i].path);
		else if (!err)
			err = merge_path(&m, &m.p[i]);
	}
	if (!err)
		err = kser_buf_check(&out->messages);
	if (!err)
		err = kser_tree_edit_write(&out->tree, repo, ours, &m.ed);
	for (i = 0; i < m.n; i++)
		free(m.p[i].path);
	free(m.p);
	side_release(&s1);
	side_release(&s2);
	rb_changes_release(&ch1);
	rb_changes_release(&ch2);
	kser_tree_edit_release(&m.ed);
	git_tree_free(m.ours);
	return err;
}
