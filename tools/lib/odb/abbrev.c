// SPDX-License-Identifier: GPL-2.0
/*
 * git's default abbreviation: from about 2^(2k) packed objects on, k hex
 * digits, never fewer than 7; loose objects are not counted, as in git's
 * repo_approximate_object_count(), so the length is stable while a
 * repository grows between repacks.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/abbrev.h"
#include "kser/buf.h"
#include "kser/error.h"

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Objects in a pack index: the last fan-out entry, v1 or v2. */
static unsigned long idx_count(const char *path)
{
	unsigned char head[8 + 256 * 4];
	unsigned long n = 0;
	FILE *f = fopen(path, "rb");

	if (!f)
		return 0;
	if (fread(head, 1, sizeof(head), f) == sizeof(head)) {
		if (!memcmp(head, "\377tOc", 4) && be32(head + 4) == 2)
			n = be32(head + 8 + 255 * 4);
		else if (memcmp(head, "\377tOc", 4))
			n = be32(head + 255 * 4);
	}
	fclose(f);
	return n;
}

/*
 * The multi-pack index: its object count, and the packs it covers (which
 * git then leaves out of its list of packs).
 */
static unsigned long midx_count(const char *path, struct kser_buf *names)
{
	unsigned char *data = NULL;
	unsigned long n = 0;
	long size;
	FILE *f = fopen(path, "rb");
	uint32_t nchunks, i, npacks;
	uint64_t pnam = 0, oidf = 0;

	if (!f)
		return 0;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 12 ||
	    fseek(f, 0, SEEK_SET))
		goto done;
	data = malloc((size_t)size);
	if (!data || fread(data, 1, (size_t)size, f) != (size_t)size ||
	    memcmp(data, "MIDX", 4))
		goto done;
	nchunks = data[6];
	npacks = be32(data + 8);
	for (i = 0; i < nchunks && 12 + (i + 1) * 12 <= (uint32_t)size; i++) {
		const unsigned char *c = data + 12 + i * 12;
		uint64_t off = (uint64_t)be32(c + 4) << 32 | be32(c + 8);

		if (!memcmp(c, "PNAM", 4))
			pnam = off;
		else if (!memcmp(c, "OIDF", 4))
			oidf = off;
	}
	if (oidf && oidf + 256 * 4 <= (uint64_t)size)
		n = be32(data + oidf + 255 * 4);
	if (pnam) {
		const char *p = (const char *)data + pnam;
		const char *end = (const char *)data + size;

		for (i = 0; i < npacks && p < end; i++) {
			size_t len = strnlen(p, (size_t)(end - p));

			kser_buf_put(names, p, len);
			kser_buf_putc(names, '\n');
			p += len;
			while (p < end && !*p)
				p++;
		}
	}
done:
	free(data);
	fclose(f);
	return n;
}

static bool covered(const struct kser_buf *names, const char *idx)
{
	const char *p = kser_buf_cstr(names);
	size_t n = strlen(idx);

	while ((p = strstr(p, idx))) {
		if ((p == names->ptr || p[-1] == '\n') && p[n] == '\n')
			return true;
		p += n;
	}
	return false;
}

static unsigned long count_packed(const char *objdir)
{
	struct kser_buf path = KSER_BUF_INIT, names = KSER_BUF_INIT;
	unsigned long count = 0;
	struct dirent *de;
	DIR *d;

	kser_buf_printf(&path, "%s/pack/multi-pack-index", objdir);
	if (!kser_buf_check(&path))
		count += midx_count(path.ptr, &names);
	kser_buf_clear(&path);
	kser_buf_printf(&path, "%s/pack", objdir);
	d = kser_buf_check(&path) ? NULL : opendir(path.ptr);
	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len < 5 || strcmp(de->d_name + len - 4, ".idx") ||
		    covered(&names, de->d_name))
			continue;
		kser_buf_clear(&path);
		kser_buf_printf(&path, "%s/pack/%s", objdir, de->d_name);
		if (!kser_buf_check(&path))
			count += idx_count(path.ptr);
	}
	if (d)
		closedir(d);
	kser_buf_release(&path);
	kser_buf_release(&names);
	return count;
}

int kser_abbrev_default_len(git_repository *repo)
{
	struct kser_buf objdir = KSER_BUF_INIT;
	git_config *cfg = NULL;
	unsigned long count;
	int32_t v = 0;
	int len, bits = 0;

	if (git_repository_config_snapshot(&cfg, repo) == 0) {
		const char *s = NULL;

		if (git_config_get_string(&s, cfg, "core.abbrev") == 0 && s &&
		    strcmp(s, "auto") &&
		    git_config_get_int32(&v, cfg, "core.abbrev") == 0 &&
		    v >= 4 && v <= GIT_OID_HEXSZ) {
			git_config_free(cfg);
			return v;
		}
		git_config_free(cfg);
	}
	kser_buf_printf(&objdir, "%s/objects", git_repository_commondir(repo));
	count = kser_buf_check(&objdir) ? 0 : count_packed(objdir.ptr);
	kser_buf_release(&objdir);
	while (count >>= 1)
		bits++;
	len = (bits + 1 + 1) / 2;
	return len < 7 ? 7 : len;
}

const struct kser_error *kser_abbrev(char *out, git_repository *repo,
				     const git_oid *id, int len)
{
	git_odb *odb = NULL;
	git_oid full;
	char hex[GIT_OID_HEXSZ + 1];

	if (len <= 0)
		len = kser_abbrev_default_len(repo);
	git_oid_tostr(hex, sizeof(hex), id);
	if (git_repository_odb(&odb, repo) < 0)
		return kser_error_git("cannot open the object database");
	for (; len < GIT_OID_HEXSZ; len++) {
		git_oid prefix;
		int r;

		if (git_oid_fromstrn(&prefix, hex, (size_t)len) < 0)
			break;
		r = git_odb_exists_prefix(&full, odb, &prefix, (size_t)len);
		if (r != GIT_EAMBIGUOUS)
			break;
	}
	git_odb_free(odb);
	memcpy(out, hex, (size_t)len);
	out[len] = '\0';
	return NULL;
}
