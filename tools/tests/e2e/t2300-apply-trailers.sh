#!/bin/bash
test_description='kser apply: trailers from replies join the trailer block as git interpret-trailers has it'
. "$KSER_TOP/tools/tests/e2e/lib.sh"

# One patch per shape of a message's end. Each gets a reply with a
# Reviewed-by; kser apply must give the message git am makes with that
# trailer added as git interpret-trailers adds it. The shapes are those
# git's trailer rules (libgit2's git_message_trailers) decide, none of
# which interpret-trailers rewrites.
shapes='plain sob tweak continued oneparagraph prose cherry notblock quarter comment'

body () {
	case $1 in
	plain) printf "Only prose.\n" ;;
	sob) printf "Why.\n\nSigned-off-by: A U Thor <author@example.com>\n" ;;
	tweak) printf "Why.\n\nSigned-off-by: A U Thor <author@example.com>\n[maint: reworded]\nSigned-off-by: M Aint <maint@example.org>\n" ;;
	continued) printf "Why.\n\nFixes: 0123456789ab (\"f: a change that\n    spans two lines\")\nSigned-off-by: A U Thor <author@example.com>\n" ;;
	oneparagraph) printf "Why, in a line.\nSigned-off-by: A U Thor <author@example.com>\n" ;;
	prose) printf "Why.\n\nNote: this reads like a trailer\n" ;;
	cherry) printf "Why.\n\n(cherry picked from commit 0123456789abcdef0123456789abcdef01234567)\nSigned-off-by: A U Thor <author@example.com>\n" ;;
	notblock) printf "Why.\n\nKey: value\nbut then prose\n" ;;
	quarter) printf "Why.\n\nSigned-off-by: A U Thor <author@example.com>\nthree lines\nof prose\nbelow it\n" ;;
	comment) printf "Why.\n\nSigned-off-by: A U Thor <author@example.com>\n# a comment line\n" ;;
	esac
}

test_expect_success 'setup: a series with one patch per shape, a reply to each' '
	git init -q repo &&
	(cd repo && echo base >f && git add f && test_tick &&
	 git commit -q -m base && git tag base &&
	 for s in $shapes
	 do
		echo $s >>f && test_tick &&
		{ echo "f: $s"; echo; body $s; } >msg &&
		git commit -q -a --cleanup=verbatim -F msg || return 1
	 done &&
	 git format-patch -q --thread -o ../series base..) &&
	for p in series/*.patch
	do
		id=$(sed -n "s/^Message-Id: <\(.*\)>/\1/p" "$p") &&
		subject=$(sed -n "s/^Subject: //p" "$p") &&
		cat "$p" &&
		printf "From kser Mon Sep 17 00:00:00 2001\nFrom: Rita Reviewer <rita@example.org>\nSubject: Re: %s\nMessage-ID: <re-%s>\nIn-Reply-To: <%s>\nReferences: <%s>\n\nReviewed-by: Rita Reviewer <rita@example.org>\n\n" \
			"$subject" "$id" "$id" "$id" || return 1
	done >thread.mbox
'

test_expect_success 'git am and git interpret-trailers give the reference' '
	git clone -q repo ref &&
	(cd ref && git checkout -q base && git am -q ../series/*.patch) &&
	n=$(echo $shapes | wc -w) &&
	for i in $(test_seq 1 $n)
	do
		git -C ref cat-file commit HEAD~$((n - i)) | sed "1,/^\$/d" |
		git interpret-trailers \
			--trailer "Reviewed-by: Rita Reviewer <rita@example.org>" \
			>expect-$i || return 1
	done &&
	grep -c "^Reviewed-by: Rita" expect-* >count &&
	test $(grep -c ":1\$" count) = $n
'

test_expect_success 'kser apply adds each trailer where git interpret-trailers does' '
	kser apply --repo repo --onto base thread.mbox >out &&
	grep "trailers from $(echo $shapes | wc -w) replies" out &&
	n=$(echo $shapes | wc -w) &&
	for i in $(test_seq 1 $n)
	do
		git -C repo cat-file commit $(tail -n 1 out)~$((n - i)) |
		sed "1,/^\$/d" >actual-$i &&
		test_cmp expect-$i actual-$i || return 1
	done
'

test_done
