#!/bin/bash
test_description='kser apply makes the commits git am makes

Every case is applied by git am and by kser apply onto the same base with
the same committer identity and date; the resulting commit IDs must be
equal, which means equal trees, messages and authorship.'
. "$KSER_TOP/tools/tests/e2e/lib.sh"

# Applies the mails in $2... with git am and kser apply in repo $1, onto
# tag "base", and compares the tips. Extra options for both go in AM_OPTS.
# With EXPECT=fail, git am must fail, and kser must fail on the same patch.
same_as_git_am () {
	local repo=$1 f abs=() n && shift &&
	for f in "$@"; do abs+=("$PWD/$f"); done &&
	git -C "$repo" checkout -q --detach base &&
	if git -C "$repo" am -q ${AM_OPTS:-} "${abs[@]}" >am.out 2>&1
	then
		test "${EXPECT:-ok}" = ok &&
		git -C "$repo" rev-parse HEAD >expect &&
		kser apply --repo "$repo" --onto base --branch "k$test_count" \
			${AM_OPTS:-} "${abs[@]}" >out &&
		tail -n 1 out >actual &&
		test_cmp expect actual &&
		fsck_strict "$repo"
	else
		cat am.out &&
		git -C "$repo" am --abort &&
		test "${EXPECT:-ok}" = fail &&
		n=$(sed -n "s/^Patch failed at 0*\([0-9]*\) .*/\1/p" am.out) &&
		test -n "$n" &&
		test_expect_code 1 kser apply --repo "$repo" --onto base \
			--branch "k$test_count" ${AM_OPTS:-} "${abs[@]}" 2>err &&
		cat err &&
		grep "^kser: patch $n/" err &&
		test_must_fail git -C "$repo" rev-parse --verify -q "k$test_count" &&
		fsck_strict "$repo"
	fi
}

# A mail around a diff, as format-patch writes one: $1 file, $2 subject,
# the diff on stdin.
diff_mail () {
	{
		echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
		echo "From: A U Thor <author@example.com>"
		echo "Date: Mon, 4 Mar 2024 10:00:00 +0100"
		echo "Subject: [PATCH] $2"
		echo
		echo "$2."
		echo "---"
		cat
		echo "-- "
		echo "2.39.5"
		echo
	} >"$1"
}

# Re-encodes a mail's body (python's email package): qp or base64.
reencode () {
	python3 - "$1" "$2" <<-\EOP
	import sys, email, email.policy, email.charset
	path, cte = sys.argv[1], sys.argv[2]
	raw = open(path, "rb").read()
	first, rest = raw.split(b"\n", 1) if raw.startswith(b"From ") else (b"", raw)
	msg = email.message_from_bytes(rest, policy=email.policy.compat32)
	body = msg.get_payload(decode=True)
	del msg["Content-Transfer-Encoding"]
	cs = email.charset.Charset("utf-8")
	cs.body_encoding = email.charset.QP if cte == "qp" else email.charset.BASE64
	msg.set_payload(body.decode("utf-8"), charset=cs)
	out = msg.as_bytes()
	open(path, "wb").write((first + b"\n" if first else b"") + out)
	EOP
}

test_expect_success 'setup: a repository with every kind of change' '
	git init -q repo &&
	(cd repo &&
	 test_seq 1 40 >numbers &&
	 printf "one\r\ntwo\r\nthree\r\n" >dos.txt &&
	 printf "keep\n" >old-name &&
	 printf "#!/bin/sh\n" >script && chmod 644 script &&
	 printf "no newline" >noeol &&
	 head -c 3000 /dev/zero | tr "\0" "a" >big &&
	 head -c 20000 /dev/urandom >blob.bin &&
	 printf "gone\n" >doomed &&
	 ln -s numbers link &&
	 git add . && test_tick && git commit -q -m base && git tag base &&

	 sed -i "s/^5$/five/;s/^30$/thirty/" numbers &&
	 test_tick && git commit -q -a -m "numbers: two hunks" &&
	 git mv old-name "new name with spaces" &&
	 echo more >>"new name with spaces" &&
	 test_tick && git commit -q -m "rename with an edit" &&
	 chmod 755 script && test_tick && git commit -q -a -m "script: make executable" &&
	 printf "now with newline\n" >noeol && test_tick && git commit -q -a -m "noeol: end with a newline" &&
	 { printf "\0"; head -c 499 /dev/urandom; } >new.bin && printf "\x03more" >>blob.bin &&
	 git add . && test_tick && git commit -q -m "binary: add one, change one" &&
	 git rm -q doomed && test_tick && git commit -q -m "remove doomed" &&
	 mkdir -p "dir/ünïcödé" && echo x >"dir/ünïcödé/fïlé.txt" &&
	 printf "tab\there\n" >"tab	name" &&
	 git add . && test_tick && git commit -q -m "add files with non-ASCII and tab names" &&
	 rm link && ln -s big link && test_tick && git commit -q -a -m "link: point elsewhere" &&
	 : >empty && git add empty && test_tick && git commit -q -m "add an empty file" &&
	 echo "y" >>big && test_tick &&
	 GIT_AUTHOR_NAME="Jörg Müller-Lüdenscheidt" GIT_AUTHOR_EMAIL=joerg@example.de \
		git commit -q -a -m "big: grow

	Ein Körper mit Umlauten: äöü ß.

	Signed-off-by: Jörg Müller-Lüdenscheidt <joerg@example.de>" &&
	 cp numbers copy-of-numbers && echo copy >>copy-of-numbers &&
	 git add . && test_tick && git commit -q -m "copy numbers" &&
	 git rm -q -r dir && test_tick && git commit -q -m "remove a directory" &&
	 git tag nocr &&
	 printf "four\r\n" >>dos.txt && test_tick && git commit -q -a -m "dos: add a CRLF line" &&
	 git tag tip)
'

test_expect_success 'plain format-patch files, one by one' '
	git -C repo format-patch -q -o ../fp base..nocr &&
	git -C repo format-patch -q -o ../fpall base..tip &&
	same_as_git_am repo fp/*.patch
'

test_expect_success 'CRLF content: mailsplit drops the CRs, so both fail' '
	EXPECT=fail same_as_git_am repo fpall/*.patch
'

test_expect_success '--binary is the default: binary deltas and literals' '
	grep -l "GIT binary patch" fp/*.patch >bin &&
	test_line_count -ge 1 bin &&
	grep -h "^delta \|^literal " fp/*.patch >kinds &&
	grep "^literal" kinds && grep "^delta" kinds
'

test_expect_success 'with --keep-cr, CRLF content applies in both' '
	AM_OPTS=--keep-cr same_as_git_am repo fpall/*.patch
'

test_expect_success 'one mbox holding the whole series' '
	git -C repo format-patch -q --stdout base..nocr >series.mbox &&
	same_as_git_am repo series.mbox
'

test_expect_success 'full index lines and detected copies and renames' '
	git -C repo format-patch -q --full-index -C -C -M --stdout base..nocr >full.mbox &&
	grep "^copy from " full.mbox &&
	same_as_git_am repo full.mbox
'

test_expect_success 'non-ASCII author (RFC 2047) and body (8bit)' '
	grep "^From: =?UTF-8?q?J=C3=B6rg" series.mbox &&
	git -C repo log -1 --format=%an nocr~2 >name &&
	echo "Jörg Müller-Lüdenscheidt" >expect && test_cmp expect name
'

test_expect_success 'quoted-printable mails' '
	mkdir qp && cp fp/*.patch qp/ &&
	for f in qp/*.patch; do reencode "$f" qp || return 1; done &&
	grep -l "Content-Transfer-Encoding: quoted-printable" qp/*.patch >l &&
	test_line_count -ge 10 l &&
	same_as_git_am repo qp/*.patch
'

test_expect_success 'base64 mails' '
	mkdir b64 && cp fp/*.patch b64/ &&
	for f in b64/*.patch; do reencode "$f" base64 || return 1; done &&
	grep -l "Content-Transfer-Encoding: base64" b64/*.patch >l &&
	test_line_count -ge 10 l &&
	same_as_git_am repo b64/*.patch
'

test_expect_success 'a quoted CR is content: it survives mailsplit in both' '
	git -C repo format-patch -q -1 tip -o ../crlf1 &&
	python3 - crlf1/*.patch >qcr.patch <<-\EOP &&
	import sys, quopri
	raw = open(sys.argv[1], "rb").read()
	head, body = raw.split(b"\n\n", 1)
	head += (b"\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8"
	         b"\nContent-Transfer-Encoding: quoted-printable")
	out = []
	for line in body.split(b"\n"):
	    cr = line.endswith(b"\r")
	    enc = quopri.encodestring(line[:-1] if cr else line).rstrip(b"\n")
	    out.append(enc + (b"=0D" if cr else b""))
	sys.stdout.buffer.write(head + b"\n\n" + b"\n".join(out))
	EOP
	grep "=0D$" qcr.patch &&
	git -C repo tag -f base nocr >/dev/null &&
	same_as_git_am repo qcr.patch &&
	git -C repo tag -f base $(git -C repo rev-list --max-parents=0 tip) >/dev/null
'

test_expect_success 'multipart mails: the patch as an attachment' '
	git -C repo format-patch -q --attach -o ../att base..nocr &&
	grep -l "^Content-Type: multipart/mixed" att/*.patch >l &&
	test_line_count -ge 10 l &&
	same_as_git_am repo att/*.patch
'

test_expect_success 'multipart mails: the patch inline' '
	git -C repo format-patch -q --inline -o ../inl base..nocr &&
	same_as_git_am repo inl/*.patch
'

test_expect_success 'in-body From: a patch sent by someone else' '
	git -C repo format-patch -q --from="Sender Person <sender@example.org>" \
		-o ../from base..nocr &&
	grep -l "^From: A U Thor" from/*.patch >l &&
	test_line_count -ge 1 l &&
	same_as_git_am repo from/*.patch &&
	git -C repo log -1 --format="%an" k$test_count >who &&
	echo "A U Thor" >expect && test_cmp expect who
'

test_expect_success 'subject prefixes, folded long subjects, RFC and versions' '
	git -C repo checkout -q tip &&
	(cd repo && echo z >>numbers && test_tick &&
	 git commit -q -a -m "a rather long subject line that will certainly be folded by format-patch [with brackets] inside it" &&
	 git format-patch -q -v3 --subject-prefix="RFC PATCH net-next" -1 -o ../pre) &&
	grep "^Subject: \[RFC PATCH net-next v3\]" pre/*.patch &&
	git -C repo tag base2 HEAD^ &&
	git -C repo tag -f base base2 &&
	same_as_git_am repo pre/*.patch &&
	git -C repo tag -f base $(git -C repo rev-parse base~0^{commit}) >/dev/null
'

test_expect_success 'a patch that applies at an offset' '
	git -C repo checkout -q --detach $(git -C repo rev-list -1 tip~0) &&
	git -C repo tag -f base $(git -C repo rev-list --max-parents=0 tip) >/dev/null &&
	git -C repo checkout -q -b shifted base &&
	(cd repo && { printf "a\nb\nc\n"; cat numbers; } >n && mv n numbers &&
	 test_tick && git commit -q -a -m shift) &&
	git -C repo tag -f base shifted >/dev/null &&
	git -C repo format-patch -q -1 $(git -C repo rev-list --reverse base..nocr | head -n 1) -o ../one &&
	same_as_git_am repo one/*.patch &&
	grep "note: .numbers.: hunk #1 applied at offset +3" out
'

test_expect_success 'scissors, when asked for' '
	git -C repo tag -f base $(git -C repo rev-list --max-parents=0 tip) >/dev/null &&
	sed "/^$/,\$!b;0,/^$/s/^$/\nchatter above the cut\n\n-- >8 --\nSubject: the real subject\n/" \
		fp/0001-*.patch >sc.patch &&
	grep "^-- >8 --" sc.patch &&
	AM_OPTS=--scissors same_as_git_am repo sc.patch &&
	git -C repo log -1 --format=%s k$test_count >s &&
	echo "the real subject" >expect && test_cmp expect s
'

test_expect_success 'a quilt-style traditional diff inside a mail' '
	cat >trad.patch <<-\EOF &&
	From: Quilt User <quilt@example.org>
	Subject: [PATCH] numbers: a traditional diff
	Date: Mon, 4 Mar 2024 10:00:00 +0100

	Made with diff -u, not git.

	Index: numbers
	===================================================================
	--- a/numbers	2024-03-04 10:00:00.000000000 +0100
	+++ b/numbers	2024-03-04 10:00:01.000000000 +0100
	@@ -9,7 +9,7 @@
	 9
	 10
	 11
	-12
	+twelve
	 13
	 14
	 15
	EOF
	same_as_git_am repo trad.patch
'

test_expect_success 'when git am fails, kser fails on the same patch' '
	sed "s/^-12$/-99/" trad.patch >bad.patch &&
	git -C repo checkout -q --detach base &&
	test_must_fail git -C repo am -q "$PWD/bad.patch" &&
	git -C repo am --abort &&
	test_expect_code 1 kser apply --repo repo --onto base --branch bad bad.patch 2>err &&
	grep "patch 1/1 .numbers: a traditional diff.: .numbers.: hunk #1" err
'

test_expect_success 'setup: the tiny repository' '
	git init -q tiny &&
	printf "one\ntwo\nthree\n" >tiny/a.txt &&
	git -C tiny add a.txt && test_tick && git -C tiny commit -q -m b &&
	git -C tiny tag base
'

test_expect_success 'a hunk of no lines (@@ -0,0 +0,0 @@) is corrupt in both' '
	diff_mail zero.patch "zero hunk" <<-\EOF &&
	diff --git a/a.txt b/a.txt
	--- a/a.txt
	+++ b/a.txt
	@@ -0,0 +0,0 @@
	\ No newline at end of file
	EOF
	EXPECT=fail same_as_git_am tiny zero.patch &&
	grep "corrupt patch at line [0-9]*: hunk changes nothing" err
'

# Paths git refuses (verify_path, with core.protectNTFS on by default):
# $1 file, $2 path, $3 mode, $4 subject (the path by default).
bad_path_mail () {
	diff_mail "$1" "${4:-$2}" <<-EOF
	diff --git a/$2 b/$2
	new file mode ${3:-100644}
	index 0000000..1111111
	--- /dev/null
	+++ b/$2
	@@ -0,0 +1 @@
	+a.txt
	\ No newline at end of file
	EOF
}

test_expect_success '.gitmodules as a symbolic link is refused, as git am refuses it' '
	bad_path_mail link.patch .gitmodules 120000 &&
	EXPECT=fail same_as_git_am tiny link.patch &&
	grep "unsafe path .\.gitmodules.: .\.gitmodules. cannot be a symbolic link" err &&
	bad_path_mail link2.patch sub/GITMOD~1 120000 &&
	EXPECT=fail same_as_git_am tiny link2.patch
'

for p in "git~1/config" ".git./config" ".git /config" "x/.GIT. ./hooks/x" ".git::\$INDEX_ALLOCATION/x"
do
	test_expect_success "'$p' is refused, as git am refuses it" "
		bad_path_mail ntfs.patch '$p' &&
		EXPECT=fail same_as_git_am tiny ntfs.patch &&
		grep 'unsafe path' err
	"
done

test_expect_success 'names and paths too long to check out fail in both' '
	name=$(printf "n%.0s" $(test_seq 1 256)) &&
	bad_path_mail name.patch "$name" 100644 "a long name" &&
	EXPECT=fail same_as_git_am tiny name.patch &&
	grep "a name longer than 255 bytes" err &&
	long=$(printf "%0199d/" $(test_seq 1 25))f &&
	bad_path_mail long.patch "$long" 100644 "a long path" &&
	EXPECT=fail same_as_git_am tiny long.patch &&
	grep "longer than 4095 bytes" err
'

# Found by fuzzing: git am writes a link with symlink(2), which refuses an
# empty target and one of 4096 bytes or more; kser made such trees.
test_expect_success 'a symbolic link left empty or too long fails in both' '
	git clone -q tiny lnk &&
	ln -s a.txt lnk/link && git -C lnk add link &&
	test_tick && git -C lnk commit -q -m link && git -C lnk tag -f base &&
	diff_mail empty-link.patch "empty link" <<-\EOF &&
	diff --git a/link b/link
	index 8d14cbf..e69de29 120000
	--- a/link
	+++ b/link
	@@ -1 +0,0 @@
	-a.txt
	\ No newline at end of file
	EOF
	EXPECT=fail same_as_git_am lnk empty-link.patch &&
	grep "the patch leaves the symbolic link without a target" err &&
	target=$(printf "x%.0s" $(test_seq 1 4096)) &&
	bad_path_mail long-link.patch long-link 120000 &&
	sed -i "s/^+a.txt$/+$target/" long-link.patch &&
	EXPECT=fail same_as_git_am lnk long-link.patch &&
	grep "the patch leaves the symbolic link too long" err &&
	sed -i "s/^+x/+/" long-link.patch &&
	same_as_git_am lnk long-link.patch
'

test_expect_success 'setup: a submodule added, bumped and removed' '
	git init -q sub &&
	printf "one\ntwo\nthree\n" >sub/a.txt &&
	git -C sub add a.txt && test_tick && git -C sub commit -q -m b &&
	git -C sub tag base &&
	(cd sub &&
	 git update-index --add --cacheinfo 160000,1111111111111111111111111111111111111111,lib/sm &&
	 test_tick && git commit -q -m "add a submodule" &&
	 git update-index --cacheinfo 160000,2222222222222222222222222222222222222222,lib/sm &&
	 echo four >>a.txt && git add a.txt &&
	 test_tick && git commit -q -m "bump it, with a file" &&
	 git rm -q --cached lib/sm &&
	 test_tick && git commit -q -m "remove it" &&
	 git format-patch -q -o ../sm base..) &&
	grep "^+Subproject commit 1111111111111111111111111111111111111111" sm/0001-*.patch &&
	grep "^-Subproject commit 1111111111111111111111111111111111111111" sm/0002-*.patch
'

test_expect_success 'gitlinks: the trees and commits git am makes' '
	same_as_git_am sub sm/*.patch &&
	git -C sub ls-tree k$test_count~1 lib/sm >ls &&
	echo "160000 commit 2222222222222222222222222222222222222222	lib/sm" >expect &&
	test_cmp expect ls
'

test_expect_success 'setup: binary patches and the blobs they need' '
	git init -q binrepo &&
	printf "one\ntwo\nthree\n" >binrepo/a.txt &&
	{ printf "\0"; test_seq 1 300; } >binrepo/d.bin &&
	git -C binrepo add . && test_tick && git -C binrepo commit -q -m b &&
	git -C binrepo tag base &&
	(cd binrepo &&
	 echo end >>d.bin && test_tick && git commit -q -a -m grow &&
	 git format-patch -q -1 -o ../bingrow &&
	 git checkout -q -b side base && echo side >>d.bin &&
	 test_tick && git commit -q -a -m side &&
	 git rm -q d.bin && test_tick && git commit -q -m "remove it" &&
	 git format-patch -q -1 -o ../binrm) &&
	grep "^delta " bingrow/*.patch
'

test_expect_success 'a binary delta applies as in git am' '
	same_as_git_am binrepo bingrow/*.patch
'

test_expect_success 'a binary delta whose preimage id is zeros is refused, as in git am' '
	sed -E "s/^index [0-9a-f]{40}\.\./index 0000000000000000000000000000000000000000../" \
		bingrow/*.patch >zero-bin.patch &&
	grep "^index 0\{40\}\.\." zero-bin.patch &&
	EXPECT=fail same_as_git_am binrepo zero-bin.patch &&
	grep "does not match the current contents" err
'

test_expect_success 'a binary removal of other contents is refused, as in git am' '
	EXPECT=fail same_as_git_am binrepo binrm/*.patch &&
	grep "does not match the current contents" err
'

# Rewrites format-patch files into the shape Gmail sends: multipart/mixed
# holding a multipart/alternative (text and HTML, in $2: 7bit, qp or
# base64) and the patch as a text/x-patch attachment in base64.
gmailify () {
	python3 - "$@" <<-\EOP
	import sys, email, email.policy, email.charset
	from email.mime.multipart import MIMEMultipart
	from email.mime.text import MIMEText
	from email.mime.base import MIMEBase
	from email import encoders
	path, cte = sys.argv[1], sys.argv[2]
	raw = open(path, "rb").read()
	first, rest = raw.split(b"\n", 1)
	src = email.message_from_bytes(rest, policy=email.policy.compat32)
	body = src.get_payload(decode=True)
	if body.startswith(b"---\n"):
	    log, patch = b"", body[4:]
	else:
	    log, patch = body.split(b"\n---\n", 1)
	cs = email.charset.Charset("utf-8")
	cs.body_encoding = {"qp": email.charset.QP, "base64": email.charset.BASE64}.get(cte)
	outer = MIMEMultipart("mixed", boundary="000000000000a1b2c3outer")
	for h in ("From", "Date", "Subject", "Message-Id"):
	    outer[h] = src[h]
	alt = MIMEMultipart("alternative", boundary="000000000000a1b2c3inner")
	text = MIMEText("", "plain")
	text.set_payload(log.decode() + "\n\n", charset=cs)
	alt.attach(text)
	html = MIMEText("", "html")
	html.set_payload('<div dir="ltr">' + log.decode().replace("\n", "<br>") + "</div>\n", charset=cs)
	alt.attach(html)
	outer.attach(alt)
	att = MIMEBase("text", "x-patch", charset="US-ASCII", name="0001.patch")
	att.set_payload(b"---\n" + patch)
	encoders.encode_base64(att)
	att["Content-Disposition"] = 'attachment; filename="0001.patch"'
	att["X-Attachment-Id"] = "f_kser0001"
	outer.attach(att)
	open(path, "wb").write(first + b"\n" + outer.as_bytes(policy=email.policy.compat32))
	EOP
}

for cte in 7bit qp base64
do
	test_expect_success "nested multipart mails as Gmail sends them ($cte text)" "
		git -C repo tag -f base \$(git -C repo rev-list --max-parents=0 tip) >/dev/null &&
		rm -rf gm && mkdir gm && cp fp/*.patch gm/ &&
		for f in gm/*.patch; do gmailify \"\$f\" $cte || return 1; done &&
		grep -l '^Content-Type: multipart/alternative' gm/*.patch >l &&
		test_line_count -ge 10 l &&
		same_as_git_am repo gm/*.patch &&
		git -C repo log -1 --format=%B k\$test_count >msg &&
		grep '^--000000000000a1b2c3inner\$' msg
	"
done

test_expect_success 'mboxrd: >From lines unquoted once with --patch-format=mboxrd' '
	git -C repo checkout -q --detach base &&
	(cd repo && echo one >>numbers && test_tick &&
	 git commit -q -a -m "numbers: quoted From lines" \
		-m "From the start, this line begins with From." \
		-m ">From here it was quoted already." \
		-m ">>From deeper." &&
	 echo two >>numbers && test_tick &&
	 git commit -q -a -m "numbers: another" -m "From a second mail." &&
	 git format-patch -q --pretty=mboxrd --stdout HEAD~2 >../rd.mbox &&
	 git tag -f rdtip >/dev/null) &&
	grep "^>From the start" rd.mbox && grep "^>>From here" rd.mbox &&
	grep "^>>>From deeper" rd.mbox &&
	AM_OPTS=--patch-format=mboxrd same_as_git_am repo rd.mbox &&
	git -C repo log -1 --format=%B k$test_count~ >msg &&
	grep "^From the start" msg && grep "^>From here" msg &&
	grep "^>>From deeper" msg
'

test_expect_success 'mboxrd read as plain mbox keeps the quotes, as git am does' '
	same_as_git_am repo rd.mbox &&
	git -C repo log -1 --format=%B k$test_count~ >msg &&
	grep "^>From the start" msg
'

# A one-patch mail on the "base" tag for the byte-level cases below:
# $1 file, $2 extra header lines, $3 message body, $4 added line; printf
# escapes allowed everywhere.
byte_mail () {
	{
		printf "From: ${FROM:-A U Thor <author@example.com>}\n"
		printf "Subject: [PATCH] numbers: a byte case\n"
		printf "Date: Tue, 19 Nov 2024 10:00:00 +0100\n$2"
		printf "\n$3\n---\n"
		printf "diff --git a/numbers b/numbers\n--- a/numbers\n+++ b/numbers\n"
		printf "@@ -38,3 +38,4 @@ 37\n 38\n 39\n 40\n+$4\n"
	} >"$1"
}

test_expect_success 'a NUL byte in the diff is content, as in git am' '
	git -C repo tag -f base $(git -C repo rev-list --max-parents=0 tip) >/dev/null &&
	byte_mail nul.patch "" "Adds a NUL." "T\0O" &&
	test "$(tr -d "\0" <nul.patch | wc -c)" -lt "$(wc -c <nul.patch)" &&
	same_as_git_am repo nul.patch &&
	git -C repo show k$test_count:numbers | tail -n 1 | od -c >od &&
	grep "T  \\\\0   O" od
'

test_expect_success 'a NUL byte in the message or an encoded From is refused, as by git' '
	byte_mail nulmsg.patch "" "Bad\0message." "x" &&
	FROM="=?UTF-8?q?A_U_Th=00or?= <author@example.com>" \
		byte_mail nulfrom.patch "" "Fine message." "x" &&
	for m in nulmsg nulfrom
	do
		git -C repo checkout -q --detach base &&
		test_must_fail git -C repo am -q "$PWD/$m.patch" 2>amerr &&
		cat amerr && grep "NUL byte" amerr &&
		{ git -C repo am --abort || :; } &&
		refs_of repo >before &&
		test_expect_code 1 kser apply --repo repo --onto base --branch $m $m.patch 2>err &&
		cat err && grep "^kser: patch 1/1 .*NUL byte" err &&
		refs_of repo >after && test_cmp before after || return 1
	done
'

test_expect_success 'invalid UTF-8 declared as UTF-8: git converts it as Latin-1' '
	FROM="J\366rg M\374ller <author@example.com>" byte_mail bad8.patch \
		"MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n" \
		"Caf\351 au lait, and valid: \303\251." "valid \303\251" &&
	same_as_git_am repo bad8.patch &&
	git -C repo log -1 --format=%an k$test_count >who &&
	printf "J\303\266rg M\303\274ller\n" >expect && test_cmp expect who
'

test_expect_success 'invalid UTF-8 with no charset at all: the same' '
	FROM="J\366rg M\374ller <author@example.com>" byte_mail raw8.patch \
		"" "Caf\351 au lait, and valid: \303\251." "valid \303\251" &&
	same_as_git_am repo raw8.patch &&
	git -C repo log -1 --format=%B k$test_count >msg &&
	printf "Caf\303\251 au lait" >expect && grep -F -f expect msg
'

test_expect_success 'a Latin-1 mail: the message is converted, the patch kept as bytes' '
	byte_mail l1.patch \
		"MIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: 8bit\n" \
		"Caf\351 au lait." "caf\351" &&
	same_as_git_am repo l1.patch &&
	git -C repo show k$test_count:numbers | tail -n 1 >last &&
	printf "caf\351\n" >expect && test_cmp expect last
'

test_done
