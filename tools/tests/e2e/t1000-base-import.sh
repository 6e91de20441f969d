#!/bin/bash
test_description='kser base import: exact trees, determinism, overlays'
. "$KSER_TOP/tools/tests/e2e/lib.sh"

# A small "kernel": a top-level directory, a version in the Makefile, an
# executable, a symlink, a hard link, and a .gitignore that ignores all.
make_tree () {
	rm -rf "$1" && mkdir -p "$1/linux-9.8/scripts" "$1/linux-9.8/lib/sub" &&
	(cd "$1/linux-9.8" &&
	 printf "VERSION = 9\nPATCHLEVEL = 8\nSUBLEVEL = 7\nEXTRAVERSION = -rc1\n" >Makefile &&
	 printf "/*\n" >.gitignore &&
	 printf "#!/bin/sh\necho hi\n" >scripts/run.sh && chmod 755 scripts/run.sh &&
	 printf "int x;\n" >lib/a.c &&
	 printf "int y;\n" >lib/sub/b.c &&
	 printf "" >lib/empty &&
	 ln -s ../lib/a.c scripts/link.c &&
	 ln lib/a.c lib/hard.c &&
	 printf "config A\n\tbool\n\nconfig B\n\tbool\n\nconfig C\n\tbool\n" >Kconfig &&
	 printf "M:\tSomeone\n" >MAINTAINERS &&
	 touch -d "2024-01-02 03:04:05 UTC" Makefile .gitignore Kconfig \
		MAINTAINERS scripts/run.sh lib/a.c lib/sub/b.c lib/empty &&
	 touch -h -d "2024-01-02 03:04:05 UTC" scripts/link.c)
}

test_expect_success 'setup: source tree and tarballs' '
	make_tree src &&
	tar -C src -cJf k.tar.xz linux-9.8 &&
	tar -C src -czf k.tar.gz linux-9.8 &&
	(cd src/linux-9.8 && git init -q && git add -f -A &&
	 git commit -q -m ref && git rev-parse HEAD^{tree} >../../expect-tree &&
	 rm -rf .git)
'

test_expect_success 'import a .tar.xz: the tree is exactly what git add -f -A makes' '
	kser base import --repo r1 k.tar.xz >out &&
	git -C r1 rev-parse v9.8.7-rc1^{tree} >tree &&
	test_cmp expect-tree tree &&
	tail -n 1 out >id &&
	git -C r1 rev-parse v9.8.7-rc1 >tag &&
	test_cmp tag id &&
	grep "imported 10 files" out &&
	grep "(Linux 9.8.7-rc1)" out &&
	fsck_strict r1
'

test_expect_success 'modes and symlinks are kept' '
	git -C r1 ls-tree -r v9.8.7-rc1 >ls &&
	grep "^100755 blob .*	scripts/run.sh$" ls &&
	grep "^120000 blob .*	scripts/link.c$" ls &&
	grep "^100644 blob .*	lib/hard.c$" ls &&
	git -C r1 cat-file -p v9.8.7-rc1:lib/hard.c >hard &&
	echo "int x;" >expect && test_cmp expect hard
'

test_expect_success 'the objects are in one pack, and fsck is happy' '
	test_path_is_missing r1/.git/objects/pack/tmp_kser_* &&
	ls r1/.git/objects/pack/*.pack >packs &&
	test_line_count = 1 packs &&
	git -C r1 count-objects -v >count &&
	grep "^count: 0$" count &&
	fsck_strict r1
'

test_expect_success 'deterministic: same commit from .tar.gz, a directory, another repo' '
	kser base import --repo r2 k.tar.gz >out2 &&
	kser base import --repo r3 src/linux-9.8 >out3 &&
	tail -n 1 out >a && tail -n 1 out2 >b && tail -n 1 out3 >c &&
	test_cmp a b && test_cmp a c &&
	fsck_strict r2 && fsck_strict r3
'

test_expect_success 'the commit is dated by the source and made by the import' '
	git -C r1 log -1 --format="%an <%ae> %ad" --date=raw v9.8.7-rc1 >who &&
	echo "kser base import <kser@localhost> 1704164645 +0000" >expect &&
	test_cmp expect who
'

test_expect_success 'importing again leaves the tag as it is and writes nothing' '
	find r1/.git/objects -type f | sort >before &&
	kser base import --repo r1 k.tar.xz >again &&
	grep "^unchanged: refs/tags/v9.8.7-rc1" again &&
	tail -n 1 again >b && test_cmp a b &&
	kser base import --repo r1 src/linux-9.8 >again &&
	grep "^unchanged: refs/tags/v9.8.7-rc1" again &&
	find r1/.git/objects -type f | sort >after &&
	test_cmp before after
'

test_expect_success '--label names the tag; a tag pointing elsewhere needs --force' '
	kser base import --repo r1 --label base-x k.tar.xz &&
	git -C r1 rev-parse base-x >x &&
	test_cmp a x &&
	make_tree src2 && echo "int z;" >src2/linux-9.8/lib/a.c &&
	refs_of r1 >before &&
	test_expect_code 1 kser base import --repo r1 --label base-x src2/linux-9.8 2>err &&
	grep "tag .base-x. already exists" err &&
	refs_of r1 >after && test_cmp before after &&
	kser base import --repo r1 --label base-x --force src2/linux-9.8 &&
	git -C r1 rev-parse base-x >y && ! test_cmp x y &&
	fsck_strict r1
'

test_expect_success 'setup: an overlay' '
	mkdir -p ov/files/lib/new ov/patches &&
	printf "int n;\n" >ov/files/lib/new/n.c &&
	printf "#!/bin/sh\n" >ov/files/lib/new/tool.sh && chmod 755 ov/files/lib/new/tool.sh &&
	cat >ov/patches/0001-kconfig.patch <<-\EOP
	diff --git a/Kconfig b/Kconfig
	--- a/Kconfig
	+++ b/Kconfig
	@@ -3,6 +3,9 @@
	 
	 config B
	 	bool
	+
	+config NEW
	+	bool
	 
	 config C
	 	bool
	EOP
'

test_expect_success 'an overlay adds a second commit: its files and its edits' '
	kser base import --repo r4 --overlay ov k.tar.xz >out &&
	grep "2 new files, 1 patches" out &&
	git -C r4 rev-parse v9.8.7-rc1^ >parent &&
	git -C r1 rev-parse v9.8.7-rc1 >expect && test_cmp expect parent &&
	git -C r4 diff --stat v9.8.7-rc1^ v9.8.7-rc1 >stat &&
	grep "Kconfig *| 3 +++" stat &&
	grep "lib/new/n.c" stat &&
	git -C r4 ls-tree -r v9.8.7-rc1 lib/new/tool.sh >ls &&
	grep "^100755" ls &&
	fsck_strict r4
'

test_expect_success 'the overlay applies to a tree with unrelated changes (offsets), as git apply does' '
	make_tree src3 &&
	printf "config Z\n\tbool\n\n" | cat - src3/linux-9.8/Kconfig >k &&
	mv k src3/linux-9.8/Kconfig &&
	kser base import --repo r5 --overlay ov src3/linux-9.8 &&
	git -C r5 show v9.8.7-rc1:Kconfig >kc &&
	grep "config NEW" kc && grep "config Z" kc &&
	cp src3/linux-9.8/Kconfig gitk &&
	sed "s,a/Kconfig,a/gitk,;s,b/Kconfig,b/gitk," ov/patches/0001-kconfig.patch >p &&
	git apply p && test_cmp gitk kc &&
	fsck_strict r5
'

test_expect_success 'overlay import is deterministic' '
	kser base import --repo r6 --overlay ov k.tar.gz >out6 &&
	tail -n 1 out >a && tail -n 1 out6 >b && test_cmp a b &&
	fsck_strict r6
'

test_expect_success 'an overlay file that the tree already has is refused' '
	mkdir -p ov2/files/lib && cp ov/files/lib/new/n.c ov2/files/lib/a.c &&
	test_expect_code 1 kser base import --repo r7 --overlay ov2 k.tar.xz 2>err &&
	grep "overlay file .lib/a.c. already exists" err &&
	test_path_is_missing r7
'

test_expect_success 'an overlay patch that does not apply is refused, naming it' '
	mkdir -p ov3/patches &&
	sed "s/^ config B/ config X/" ov/patches/0001-kconfig.patch >ov3/patches/0001-bad.patch &&
	test_expect_code 1 kser base import --repo r8 --overlay ov3 k.tar.xz 2>err &&
	grep "overlay patch .0001-bad.patch.: .Kconfig.: hunk #1" err &&
	test_path_is_missing r8
'

test_expect_success 'an overlay with .gitmodules as a symbolic link is refused, as git does' '
	mkdir -p ov4/files && ln -s lib/a.c ov4/files/.gitmodules &&
	test_expect_code 1 kser base import --repo r7b --overlay ov4 k.tar.xz 2>err &&
	grep "unsafe path .\.gitmodules.: .\.gitmodules. cannot be a symbolic link" err &&
	test_path_is_missing r7b
'

test_expect_success 'not a tarball: a clear error, and a new repository is removed' '
	echo "hello" >notatar.tar.xz &&
	test_expect_code 1 kser base import --repo r9 notatar.tar.xz 2>err &&
	grep "^kser: .notatar.tar.xz.:" err &&
	test_path_is_missing r9
'

test_expect_success 'a truncated .tar.xz is refused and leaves no ref' '
	git init -q r10 &&
	size=$(wc -c <k.tar.xz) &&
	head -c $((size / 2)) k.tar.xz >trunc.tar.xz &&
	test_expect_code 1 kser base import --repo r10 trunc.tar.xz 2>err &&
	grep -i "truncated\|corrupt" err &&
	refs_of r10 >refs && test_must_be_empty refs &&
	test_path_is_missing r10/.git/objects/pack/tmp_kser_* &&
	ls r10/.git/objects/pack >packs && test_must_be_empty packs &&
	fsck_strict r10
'

make_hostile () {
	python3 - "$@" <<-\EOP
	import io, sys, tarfile
	out, kind = sys.argv[1], sys.argv[2]
	with tarfile.open(out, "w:gz") as t:
	    def add(name, data=b"x\n", typ=tarfile.REGTYPE):
	        i = tarfile.TarInfo(name)
	        i.type = typ
	        i.size = len(data) if typ == tarfile.REGTYPE else 0
	        t.addfile(i, io.BytesIO(data) if typ == tarfile.REGTYPE else None)
	    add("top/ok.c")
	    if kind == "dotdot":
	        add("top/../../evil")
	    elif kind == "absolute":
	        add("/etc/evil")
	    elif kind == "dotgit":
	        add("top/.git/config")
	    elif kind == "device":
	        add("top/dev", typ=tarfile.CHRTYPE)
	    elif kind == "fifo":
	        add("top/fifo", typ=tarfile.FIFOTYPE)
	    elif kind == "ntfs-dotgit":
	        add("top/git~1/config")
	    elif kind == "trailing-dot":
	        add("top/.git./config")
	    elif kind == "deep":
	        add("top/" + "d/" * 45000 + "f")
	    elif kind == "gitmodules-link":
	        i = tarfile.TarInfo("top/.gitmodules")
	        i.type = tarfile.SYMTYPE
	        i.linkname = "ok.c"
	        t.addfile(i)
	    elif kind == "gitmodules-hardlink":
	        i = tarfile.TarInfo("top/link")
	        i.type = tarfile.SYMTYPE
	        i.linkname = "ok.c"
	        t.addfile(i)
	        i = tarfile.TarInfo("top/.gitmodules")
	        i.type = tarfile.LNKTYPE
	        i.linkname = "top/link"
	        t.addfile(i)
	EOP
}

for kind in dotdot absolute dotgit device fifo ntfs-dotgit trailing-dot gitmodules-link \
	gitmodules-hardlink deep
do
	test_expect_success "a tarball with a hostile entry ($kind) is refused" "
		make_hostile $kind.tar.gz $kind &&
		git init -q h-$kind &&
		test_expect_code 1 kser base import --repo h-$kind $kind.tar.gz 2>err &&
		cat err &&
		grep \"^kser: \" err &&
		refs_of h-$kind >refs && test_must_be_empty refs &&
		test_path_is_missing evil && test_path_is_missing ../evil &&
		fsck_strict h-$kind
	"
done

test_expect_success 'the hostile errors say what is wrong' '
	kser base import --repo h-x dotdot.tar.gz 2>err; grep "unsafe path.*\.\." err &&
	kser base import --repo h-x absolute.tar.gz 2>err; grep "absolute path" err &&
	kser base import --repo h-x dotgit.tar.gz 2>err; grep "\.git. component" err &&
	kser base import --repo h-x device.tar.gz 2>err; grep "character device" err &&
	kser base import --repo h-x ntfs-dotgit.tar.gz 2>err; grep "git~1.*reads as .\.git." err &&
	kser base import --repo h-x trailing-dot.tar.gz 2>err; grep "reads as .\.git." err &&
	kser base import --repo h-x gitmodules-link.tar.gz 2>err; grep ".\.gitmodules. cannot be a symbolic link" err &&
	kser base import --repo h-x gitmodules-hardlink.tar.gz 2>err; grep ".\.gitmodules. cannot be a symbolic link" err &&
	kser base import --repo h-x deep.tar.gz 2>err; grep "\.\.\..: more than 2048 levels" err
'

test_expect_success 'an .xz cut in its trailer is refused too (checksums unverified)' '
	size=$(wc -c <k.tar.xz) &&
	head -c $((size - 8)) k.tar.xz >trunc2.tar.xz &&
	test_expect_code 1 kser base import --repo r12 trunc2.tar.xz 2>err &&
	grep -i "truncated\|corrupt" err &&
	test_path_is_missing r12
'

test_expect_success 'Ctrl-C during an import of the 6.12 tarball: exit 130, no ref, no pack' '
	tarball=$("$KSER_TOP/ci/fetch-base.sh" linux-source-6.12=6.12.117-1~deb12u1) &&
	git init -q big &&
	(kser base import --repo big "$tarball" >out 2>err & echo $! >pid) &&
	sleep 3 &&
	kill -INT $(cat pid) &&
	for i in $(test_seq 1 100); do
		kill -0 $(cat pid) 2>/dev/null || break; sleep 0.1
	done &&
	! kill -0 $(cat pid) 2>/dev/null &&
	grep "^kser: interrupted" err &&
	refs_of big >refs && test_must_be_empty refs &&
	ls big/.git/objects/pack >packs && test_must_be_empty packs &&
	fsck_strict big
'

test_expect_success 'a missing source is an error naming it' '
	test_expect_code 1 kser base import --repo r11 /nonexistent.tar.xz 2>err &&
	grep "/nonexistent.tar.xz" err
'

# mktar OUT SPEC...: a pax tarball (gzipped if OUT ends in .gz) of
#   PATH         a file holding "x"
#   PATH=TEXT    a file holding TEXT
#   PATH*        an executable file
#   PATH@TARGET  a symlink
#   PATH#TARGET  a hard link to the member TARGET
mktar () {
	python3 - "$@" <<-\EOP
	import io, sys, tarfile
	out, specs = sys.argv[1], sys.argv[2:]
	with tarfile.open(out, "w:gz" if out.endswith(".gz") else "w",
	                  format=tarfile.PAX_FORMAT) as t:
	    for s in specs:
	        i, data = tarfile.TarInfo(), None
	        i.mtime, i.mode = 1700000000, 0o644
	        if "@" in s:
	            i.name, i.linkname = s.split("@", 1)
	            i.type = tarfile.SYMTYPE
	        elif "#" in s:
	            i.name, i.linkname = s.split("#", 1)
	            i.type = tarfile.LNKTYPE
	        else:
	            if s.endswith("*"):
	                s, i.mode = s[:-1], 0o755
	            name, _, text = s.partition("=")
	            i.name, data = name, (text or "x").encode() + b"\n"
	            i.size = len(data)
	        t.addfile(i, io.BytesIO(data) if data is not None else None)
	EOP
}

# git_tree_of TARBALL: the tree git add -f -A makes of what tar extracts
# (in a UTF-8 locale, as a user's would be), without the top directory.
git_tree_of () {
	rm -rf x.git-tree && mkdir x.git-tree &&
	LC_ALL=C.UTF-8 tar -C x.git-tree -xf "$1" &&
	(cd x.git-tree/* && git init -q && git add -f -A && git write-tree)
}

# no_objects REPO: nothing in its object directory but empty directories.
no_objects () {
	find "$1/.git/objects" -type f >objects &&
	test_must_be_empty objects
}

test_expect_success 'a file and a directory of one name are refused, neighbours in the tree or not' '
	mktar clash1.tar.gz top/foo top/foo.c top/foo/bar &&
	mktar clash2.tar.gz top/d/foo@x top/d/foo-1 top/d/foo/bar &&
	git init -q c1 &&
	test_expect_code 1 kser base import --repo c1 clash1.tar.gz 2>err &&
	grep "^kser: .foo. is both a file and a directory$" err &&
	test_expect_code 1 kser base import --repo c1 clash2.tar.gz 2>err &&
	grep "^kser: .d/foo. is both a file and a directory$" err &&
	refs_of c1 >refs && test_must_be_empty refs &&
	no_objects c1
'

test_expect_success 'names that sort between a directory and its neighbours make the trees git makes' '
	mktar sort.tar.gz top/foo.c top/foo/bar top/foo-1/x top/foo0 &&
	kser base import --repo c2 sort.tar.gz >out &&
	git -C c2 rev-parse "$(tail -n 1 out)^{tree}" >tree &&
	git_tree_of sort.tar.gz >expect &&
	test_cmp expect tree &&
	fsck_strict c2
'

test_expect_success 'a member 45,000 directories deep is refused, and leaves no pack' '
	python3 -c "
import io, tarfile
with tarfile.open(\"deep45000.tar.gz\", \"w:gz\", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo(\"top/\" + \"a/\" * 45000 + \"f\")
    i.size = 2
    t.addfile(i, io.BytesIO(b\"x\\n\"))
" &&
	git init -q d1 &&
	test_expect_code 1 kser base import --repo d1 deep45000.tar.gz 2>err &&
	grep "^kser: unsafe path .top/a/a/a/.*\.\.\..: more than 2048 levels$" err &&
	refs_of d1 >refs && test_must_be_empty refs &&
	no_objects d1 &&
	test_expect_code 1 kser base import --repo d2 deep45000.tar.gz &&
	test_path_is_missing d2
'

test_expect_success 'a member 1,000 directories deep is imported as git adds it' '
	deep=$(printf "a/%.0s" $(test_seq 1 1000)) &&
	mktar deep1000.tar "top/${deep}f" top/g &&
	kser base import --repo d3 deep1000.tar >out &&
	git -C d3 rev-parse "$(tail -n 1 out)^{tree}" >tree &&
	git_tree_of deep1000.tar >expect &&
	test_cmp expect tree &&
	fsck_strict d3
'

test_expect_success 'a path or a symlink target longer than PATH_MAX allows is refused' '
	long=$(printf "%04096d" 0) &&
	mktar long1.tar "top/$long" &&
	test_expect_code 1 kser base import --repo l1 long1.tar 2>err &&
	grep "^kser: unsafe path .top/0000.*\.\.\..: longer than 4095 bytes$" err &&
	mktar long2.tar "top/l@$long" &&
	test_expect_code 1 kser base import --repo l1 long2.tar 2>err &&
	grep "symlink .top/l.: its target is 4096 bytes long" err &&
	test_path_is_missing l1
'

test_expect_success 'a .git without HEAD is refused, named, and left as it was' '
	git init -q broken &&
	(cd broken && echo x >f && git add f && git commit -qm x) &&
	rm broken/.git/HEAD &&
	find broken | sort >before &&
	test_expect_code 1 kser base import --repo broken notatar.tar.xz 2>err &&
	grep "^kser: .broken/.git. exists but is not a git repository" err &&
	test_expect_code 1 kser base import --repo broken k.tar.xz 2>err &&
	grep "^kser: .broken/.git. exists but is not a git repository" err &&
	find broken | sort >after &&
	test_cmp before after &&
	(cd broken && test_expect_code 1 kser base import ../k.tar.xz 2>../err) &&
	grep "^kser: .\.git. exists but is not a git repository" err &&
	find broken | sort >after &&
	test_cmp before after
'

test_expect_success 'a bare repository without HEAD is refused too' '
	git init -q --bare broken.git &&
	rm broken.git/HEAD &&
	find broken.git | sort >before &&
	test_expect_code 1 kser base import --repo broken.git notatar.tar.xz 2>err &&
	grep "^kser: .broken.git. looks like a git directory but is not a repository" err &&
	find broken.git | sort >after &&
	test_cmp before after
'

test_expect_success 'a failed import removes the directories it made, parents too' '
	mkdir keep &&
	test_expect_code 1 kser base import --repo keep/new/repo notatar.tar.xz &&
	test_path_is_dir keep &&
	test_path_is_missing keep/new
'

test_expect_success 'a failed overlay or tag in an existing repository leaves no pack, no object' '
	git init -q e1 &&
	test_expect_code 1 kser base import --repo e1 --overlay ov3 k.tar.xz 2>err &&
	grep "overlay patch .0001-bad.patch." err &&
	refs_of e1 >refs && test_must_be_empty refs &&
	no_objects e1 &&
	kser base import --repo e1 --label t src2/linux-9.8 &&
	find e1/.git/objects -type f | sort >before &&
	refs_of e1 >refs-before &&
	test_expect_code 1 kser base import --repo e1 --label t k.tar.xz 2>err &&
	grep "tag .t. already exists" err &&
	find e1/.git/objects -type f | sort >after &&
	test_cmp before after &&
	refs_of e1 >refs-after && test_cmp refs-before refs-after &&
	fsck_strict e1
'

test_expect_success 'a changed overlay adds a pack of only the new objects' '
	cp -R ov ov5 && printf "int m;\n" >ov5/files/lib/new/m.c &&
	kser base import --repo r4 --overlay ov5 --force k.tar.xz >out &&
	grep "3 new files, 1 patches" out &&
	ls r4/.git/objects/pack/*.idx >idx &&
	test_line_count = 2 idx &&
	for i in $(cat idx); do git show-index <$i | wc -l; done | sort -n >counts &&
	# The blob of m.c, the trees lib/new, lib and the root, the commit.
	head -n 1 counts >small && echo 5 >expect && test_cmp expect small &&
	fsck_strict r4
'

test_expect_success 'UTF-8 names in a pax tarball are imported in any locale, as tar and git add have them' '
	mktar utf8.tar "top/café/naïve.c=x" "top/日本.txt" "top/ascii" &&
	LC_ALL=C LANG=C kser base import --repo u1 utf8.tar >out &&
	git -C u1 rev-parse "$(tail -n 1 out)^{tree}" >tree &&
	git_tree_of utf8.tar >expect &&
	test_cmp expect tree &&
	git -C u1 -c core.quotepath=false ls-tree -r --name-only "$(tail -n 1 out)" >names &&
	grep "^café/naïve.c$" names &&
	fsck_strict u1
'

test_expect_success 'a hard link is what its target is: a symlink, an executable' '
	mktar links.tar top/target top/l@target top/h#top/l top/x.sh* top/hx#top/x.sh &&
	kser base import --repo hl links.tar >out &&
	git -C hl ls-tree -r "$(tail -n 1 out)" >ls &&
	grep "^120000 blob .*	h$" ls &&
	grep "^100755 blob .*	hx$" ls &&
	git -C hl rev-parse "$(tail -n 1 out)^{tree}" >tree &&
	git_tree_of links.tar >expect &&
	test_cmp expect tree &&
	fsck_strict hl
'

if test -x /usr/bin/time
then
	test_set_prereq TIME
fi

# peak_kb FILE: the peak memory /usr/bin/time -f %M wrote, in KB.
peak_kb () {
	tail -n 1 "$1"
}

test_expect_success TIME 'a zip bomb is streamed: 512 MB of data, memory stays small' '
	python3 -c "
import io, tarfile
class Zeros(io.RawIOBase):
    def __init__(self, n): self.n = n
    def readable(self): return True
    def readinto(self, b):
        k = min(len(b), self.n); b[:k] = bytes(k); self.n -= k; return k
with tarfile.open(\"bomb.tar.gz\", \"w:gz\", compresslevel=1) as t:
    i = tarfile.TarInfo(\"top/zeros\"); i.size = 512 << 20
    t.addfile(i, Zeros(i.size))
" &&
	/usr/bin/time -f %M -o rss "$KSER_RELEASE_BIN" base import --repo z1 bomb.tar.gz >out &&
	test $(peak_kb rss) -lt 150000 &&
	git -C z1 cat-file -s "$(tail -n 1 out):zeros" >size &&
	echo $((512 << 20)) >expect && test_cmp expect size &&
	head -c $((512 << 20)) /dev/zero | git hash-object --stdin >expect &&
	git -C z1 rev-parse "$(tail -n 1 out):zeros" >blob && test_cmp expect blob &&
	fsck_strict z1
'

test_expect_success TIME 'sparse members, holes at the end too, are streamed and imported as tar extracts them' '
	mkdir sp && truncate -s 1G sp/hole &&
	printf abc | dd of=sp/data bs=1 seek=100000000 conv=notrunc 2>/dev/null &&
	truncate -s 300M sp/data &&
	tar -C sp -cSzf sparse.tar.gz hole data &&
	test $(wc -c <sparse.tar.gz) -lt 10000 &&
	/usr/bin/time -f %M -o rss "$KSER_RELEASE_BIN" base import --repo s1 sparse.tar.gz >out &&
	test $(peak_kb rss) -lt 150000 &&
	git -C s1 rev-parse "$(tail -n 1 out):hole" "$(tail -n 1 out):data" >blobs &&
	git hash-object sp/hole sp/data >expect &&
	test_cmp expect blobs &&
	fsck_strict s1
'

# interrupt SIGNAL REPO ARGS...: starts kser base import --repo REPO ARGS,
# signals it once it is at work (its temporary pack is open), and waits
# for it; the exit status is in "status".
interrupt () {
	local sig=$1 repo=$2 pid i
	shift 2
	kser base import --repo "$repo" "$@" >out 2>err &
	pid=$!
	for i in $(test_seq 1 300)
	do
		ls -l /proc/$pid/fd 2>/dev/null | grep -q "objects/pack/" && break
		sleep 0.1
	done
	sleep 0.5 &&
	kill -$sig $pid &&
	for i in $(test_seq 1 300)
	do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null
	then
		echo "kser is still running after SIG$sig"
		kill -9 $pid
	fi
	wait $pid
	echo $? >status
}

test_expect_success 'Ctrl-C in the middle of a 1 TB member: exit 130, the new repository is gone' '
	mkdir huge && truncate -s 1T huge/big && echo a >huge/a &&
	tar -C huge -cSzf huge.tar.gz a big &&
	interrupt INT i1 huge.tar.gz &&
	echo 130 >expect && test_cmp expect status &&
	grep "^kser: interrupted$" err &&
	test_path_is_missing i1
'

test_expect_success 'SIGTERM while reading a 1 TB file of a directory: exit 143, nothing left' '
	git init -q i2 &&
	interrupt TERM i2 huge &&
	echo 143 >expect && test_cmp expect status &&
	grep "^kser: interrupted$" err &&
	refs_of i2 >refs && test_must_be_empty refs &&
	no_objects i2
'

test_expect_success 'kill -9 in the middle of an import leaves no temporary pack' '
	# 100 members of 30 MB, each different: seconds of work.
	mkdir many &&
	for i in $(test_seq 1 100)
	do
		truncate -s 30M many/f$i &&
		echo $i | dd of=many/f$i bs=1 seek=31457000 conv=notrunc 2>/dev/null ||
		return 1
	done &&
	tar -C many -cSzf many.tar.gz . &&
	git init -q i3 &&
	interrupt KILL i3 many.tar.gz &&
	echo 137 >expect && test_cmp expect status &&
	no_objects i3
'

test_done
