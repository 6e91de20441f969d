#!/bin/bash
test_description='kser send: a series over SMTP, nothing lost, nothing twice

Every test talks to a real SMTP server (Debian aiosmtpd, tools/tests/e2e/
smtpd.py) on 127.0.0.1, with faults injected: a dropped connection, a 451,
a 550 for one recipient, a deferred recipient, a quota, a server that is
down, kser killed with -9 mid-message. smtpcheck.py then counts what the
server received by Message-Id and recipient (exactly once each) and
compares the bytes with the export.'
. "$KSER_TOP/tools/tests/e2e/lib.sh"

SMTPD="$KSER_TOP/tools/tests/e2e/smtpd.py"
CHECK="$KSER_TOP/tools/tests/e2e/smtpcheck.py"
RCPTS="--rcpt list@example.org --rcpt maint@example.com"

# wait_for FILE: until FILE exists and is not empty (at most a minute).
wait_for () {
	local i=0
	while ! test -s "$1"
	do
		i=$((i + 1))
		test $i -le 600 || { echo "gave up waiting for $1"; return 1; }
		sleep 0.1
	done
}

# start_smtpd NAME [FAULT...]: a server keeping what it gets in NAME/;
# its port in $port. It stops by itself after five minutes.
start_smtpd () {
	local name=$1
	shift
	rm -f "$name.port"
	/usr/bin/python3 "$SMTPD" --out "$name" --port-file "$name.port" \
		--timeout 300 "$@" 2>"$name.stderr" &
	echo $! >"$name.pid"
	wait_for "$name.port" &&
	port=$(cat "$name.port")
}

stop_smtpd () {
	test -f "$1.pid" || return 0
	kill "$(cat "$1.pid")" 2>/dev/null
	wait "$(cat "$1.pid")" 2>/dev/null
	rm -f "$1.pid"
	return 0
}

stop_all_smtpd () {
	for p in *.pid
	do
		test -f "$p" && stop_smtpd "${p%.pid}"
	done
	return 0
}
cleanup stop_all_smtpd

# use_server: the repository's git config names the server, as it would
# for git send-email.
use_server () {
	git -C repo config sendemail.smtpServer 127.0.0.1 &&
	git -C repo config sendemail.smtpServerPort "$port"
}

no_send_in_progress () {
	test_path_is_missing repo/.git/kser/send
}

# drop_journal: after a test, whatever it left, so the next starts clean.
drop_journal () {
	kser send --repo repo --abort >/dev/null 2>&1
	return 0
}

# kill_bg PID: a kser a failed test left running.
kill_bg () {
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

test_expect_success 'setup: a series as git format-patch exports it' '
	git init -q repo &&
	(
		cd repo &&
		printf "line\n" >file &&
		git add file &&
		test_tick &&
		git commit -q -m base &&
		printf "more\n" >>file &&
		printf "file: lines that need dot-stuffing\n\n.\n.starts with a dot\n..two dots\n.\n" >msg &&
		test_tick &&
		git commit -q -a -F msg &&
		printf "x\n" >>file &&
		test_tick &&
		GIT_AUTHOR_NAME="Jörg Ünïcode" git commit -q -am "file: an author with a non-ASCII name" &&
		printf "y\n" >>file &&
		test_tick &&
		git commit -q -am "file: the third" &&
		git format-patch -q --cover-letter --thread -o ../export \
			--to list@example.org \
			--cc "Maint Ainer <maint@example.com>" HEAD~3
	) &&
	ls export >names &&
	test_line_count = 4 names &&
	cat export/* >series.mbox &&
	grep "^\.starts with a dot" export/0001-* &&
	grep "^\.$" export/0001-*
'

test_expect_success 'help send and send --help print the same text' '
	kser help send >a &&
	kser send --help >b &&
	test_cmp a b &&
	grep "^usage: kser send" a &&
	kser help >c &&
	grep "^  send " c
'

test_expect_success '--dry-run prints envelopes and headers and sends nothing' '
	start_smtpd s_dry &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_dry" &&
	use_server &&
	kser send --repo repo --dry-run export >out &&
	grep -c "^MAIL FROM:<\(author\|committer\)@example.com>" out >n &&
	echo 4 >want && test_cmp want n &&
	test "$(grep -c "^RCPT TO:<list@example.org>" out)" = 4 &&
	test "$(grep -c "^RCPT TO:<maint@example.com>" out)" = 4 &&
	grep "^Subject: \[PATCH 2/3\] file: an author" out &&
	grep "^Message-I[dD]: <" out &&
	tail -n 1 out | grep "^dry run: nothing was sent" &&
	test_path_is_missing s_dry/log &&
	no_send_in_progress
'

test_expect_success 'a format-patch directory arrives once, byte for byte' '
	start_smtpd s_dir &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_dir" &&
	use_server &&
	kser send --repo repo export >out &&
	grep "^\[4/4\] sent: \[PATCH 3/3\] file: the third (2 of 2 recipients)" out &&
	tail -n 1 out | grep "^sent 4 messages" &&
	/usr/bin/python3 "$CHECK" s_dir export/* $RCPTS &&
	no_send_in_progress &&
	test_path_is_missing repo/.git/kser/send.lock
'

test_expect_success 'an mbox of the same mails arrives the same way' '
	start_smtpd s_mbox &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_mbox" &&
	kser send --repo repo --smtp-server 127.0.0.1 --smtp-port "$port" \
		series.mbox >out &&
	/usr/bin/python3 "$CHECK" s_mbox export/* $RCPTS &&
	no_send_in_progress
'

test_expect_success 'a 550 for one recipient is reported; the other gets all' '
	start_smtpd s_550 --reject-rcpt maint@example.com &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_550" &&
	use_server &&
	test_expect_code 1 kser send --repo repo export >out 2>err &&
	test "$(grep -c "refused: maint@example.com: 550 5.1.1" out)" = 4 &&
	grep "^kser: 4 recipients refused a mail (see above)" err &&
	/usr/bin/python3 "$CHECK" s_550 export/* --rcpt list@example.org &&
	no_send_in_progress
'

test_expect_success 'a server that is down: nothing sent, --continue later' '
	start_smtpd s_down &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_down" &&
	stop_smtpd s_down &&
	use_server &&
	test_expect_code 1 kser send --repo repo export >out 2>err &&
	grep "^kser: cannot send message 1 of 4 .* to smtp://127.0.0.1:$port: .*connect" err &&
	grep "^kser: 0 of 4 messages done; .kser send --continue. sends the rest" err &&
	test_expect_code 1 kser send --repo repo export 2>err &&
	grep "a send is already in progress" err &&
	start_smtpd s_down &&
	kser send --repo repo --continue --smtp-port "$port" >out &&
	/usr/bin/python3 "$CHECK" s_down export/* $RCPTS &&
	no_send_in_progress
'

test_expect_success 'a connection dropped after a message: still once each' '
	start_smtpd s_drop --drop-after 2 &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_drop" &&
	use_server &&
	{ kser send --repo repo export >out 2>err ||
	  kser send --repo repo --continue >>out 2>>err; } &&
	grep "^drop-after 2" s_drop/log &&
	/usr/bin/python3 "$CHECK" s_drop export/* $RCPTS &&
	no_send_in_progress
'

test_expect_success 'a connection dropped before the answer: resent, same bytes' '
	start_smtpd s_eod --drop-in-data 2 &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_eod" &&
	use_server &&
	test_expect_code 1 kser send --repo repo export >out 2>err &&
	grep "message 2 of 4 .* no answer came back .* may or may not have arrived" err &&
	grep "^kser: 1 of 4 messages done" err &&
	kser send --repo repo --continue >out &&
	grep "^note: message 2 may have arrived before" out &&
	/usr/bin/python3 "$CHECK" s_eod export/* $RCPTS &&
	no_send_in_progress
'

test_expect_success 'a 451 on a message stops the send; --continue resumes' '
	start_smtpd s_451 --tempfail-data 3 &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_451" &&
	use_server &&
	test_expect_code 1 kser send --repo repo export >out 2>err &&
	grep "the server deferred message 3 of 4 .*: 451 4.3.0" err &&
	test "$(grep -c "^accepted" s_451/log)" = 2 &&
	kser send --repo repo --continue >out &&
	/usr/bin/python3 "$CHECK" s_451 export/* $RCPTS &&
	no_send_in_progress
'

test_expect_success 'a quota (452 after two): the rest after a restart' '
	start_smtpd s_quota --quota 2 &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_quota" &&
	use_server &&
	test_expect_code 1 kser send --repo repo export >out 2>err &&
	grep "the server deferred message 3 of 4 .*: 452 4.5.3 quota" err &&
	stop_smtpd s_quota &&
	start_smtpd s_quota &&
	kser send --repo repo --continue --smtp-port "$port" >out &&
	/usr/bin/python3 "$CHECK" s_quota export/* $RCPTS &&
	no_send_in_progress
'

test_expect_success 'a deferred recipient gets the series, in order, later' '
	start_smtpd s_defer --defer-rcpt maint@example.com &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_defer" &&
	use_server &&
	test_expect_code 1 kser send --repo repo export >out 2>err &&
	grep "deferred, for --continue: maint@example.com: 450" out &&
	grep "^kser: the server deferred 4 deliveries" err &&
	kser send --repo repo --continue >out &&
	/usr/bin/python3 "$CHECK" s_defer export/* $RCPTS &&
	sed -n "s/^accepted [0-9]* \(<[^>]*>\) maint@example.com$/\1/p" \
		s_defer/log >order &&
	for f in export/*; do
		sed -n "s/^Message-I[dD]: //p" "$f"
	done >want &&
	test_cmp want order &&
	no_send_in_progress
'

test_expect_success 'kill -9 before the end of the data: nothing twice' '
	start_smtpd s_k1 --stall-rcpt 2 &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_k1" &&
	use_server &&
	{ kser send --repo repo export >out 2>err & } &&
	pid=$! &&
	test_when_finished "kill_bg $pid" &&
	wait_for s_k1/stalled &&
	kill -9 $pid &&
	{ wait $pid || :; } &&
	grep "^pid $pid$" repo/.git/kser/send.lock &&
	kser send --repo repo --continue >out &&
	! grep "may have arrived" out &&
	/usr/bin/python3 "$CHECK" s_k1 export/* $RCPTS &&
	no_send_in_progress
'

test_expect_success 'kill -9 between the data and the answer: --skip, once' '
	start_smtpd s_k2 --stall-eod 2 &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_k2" &&
	use_server &&
	{ kser send --repo repo export >out 2>err & } &&
	pid=$! &&
	test_when_finished "kill_bg $pid" &&
	wait_for s_k2/stalled &&
	kill -9 $pid &&
	{ wait $pid || :; } &&
	grep "^rcpt unknown 250 list@example.org" repo/.git/kser/send/0002.state &&
	kser send --repo repo --skip >out &&
	grep "^skipped message 2 of 4: \[PATCH 1/3\]" out &&
	/usr/bin/python3 "$CHECK" s_k2 export/* $RCPTS &&
	no_send_in_progress
'

test_expect_success 'kill -9 between the data and the answer: --continue resends that one' '
	start_smtpd s_k3 --stall-eod 2 &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_k3" &&
	use_server &&
	{ kser send --repo repo export >out 2>err & } &&
	pid=$! &&
	test_when_finished "kill_bg $pid" &&
	wait_for s_k3/stalled &&
	kill -9 $pid &&
	{ wait $pid || :; } &&
	kser send --repo repo --continue >out &&
	id=$(sed -n "s/^Message-I[dD]: //p" export/0001-*) &&
	grep "^note: message 2 may have arrived before .* $id" out &&
	/usr/bin/python3 "$CHECK" s_k3 export/* $RCPTS --twice "$id" &&
	no_send_in_progress
'

test_expect_success 'two sends at once: the second names the first; Ctrl-C stops cleanly' '
	start_smtpd s_lock --stall-rcpt 1 &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_lock" &&
	use_server &&
	{ kser send --repo repo export >out 2>err & } &&
	pid=$! &&
	test_when_finished "kill_bg $pid" &&
	wait_for s_lock/stalled &&
	test_expect_code 1 kser send --repo repo --continue 2>err2 &&
	grep "^kser: .*/send.lock. is locked by kser (pid $pid) since .*; if no kser is running, remove it" err2 &&
	kill -INT $pid &&
	{ wait $pid; echo $? >status; } &&
	echo 130 >want && test_cmp want status &&
	grep "^kser: interrupted" err &&
	kser send --repo repo --continue >out &&
	/usr/bin/python3 "$CHECK" s_lock export/* $RCPTS &&
	no_send_in_progress
'

test_expect_success '--abort drops the journal; then nothing is in progress' '
	start_smtpd s_abort &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_abort" &&
	stop_smtpd s_abort &&
	use_server &&
	test_expect_code 1 kser send --repo repo export 2>err &&
	kser send --repo repo --abort >out &&
	grep "^dropped the send of .*/export.: 0 of 4 messages" out &&
	no_send_in_progress &&
	test_expect_code 1 kser send --repo repo --continue 2>err &&
	grep "^kser: no send in progress" err
'

test_expect_success 'a mail without a Message-Id gets one, kept for the resend' '
	(cd repo && git format-patch -q -o ../plain HEAD~2) &&
	! grep -i "^message-id:" plain/* &&
	start_smtpd s_gen --drop-in-data 2 &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_gen" &&
	use_server &&
	test_expect_code 1 kser send --repo repo --to list@example.org plain &&
	id2=$(sed -n "s/^dropped-in-data 2 //p" s_gen/log) &&
	test -n "$id2" &&
	kser send --repo repo --continue &&
	grep "^accepted 2 $id2 list@example.org$" s_gen/log &&
	test "$(grep -c "^accepted" s_gen/log)" = 2 &&
	id1=$(sed -n "s/^accepted 1 \(<[^>]*>\) .*/\1/p" s_gen/log) &&
	grep "^In-Reply-To: $id1" s_gen/0002.eml &&
	grep "^To: list@example.org" s_gen/0002.eml &&
	sed "1,/^$/d" plain/0002-* >want &&
	tr -d "\r" <s_gen/0002.eml | sed "1,/^$/d" >got &&
	test_cmp want got &&
	no_send_in_progress
'

test_expect_success 'control characters never reach a header; bad addresses are refused' '
	nl=$(printf "a@example.com\nBcc: evil@example.com") &&
	test_expect_code 2 kser send --repo repo --dry-run --to "$nl" export 2>err &&
	grep "control character" err &&
	test_expect_code 2 kser send --repo repo --dry-run \
		--smtp-server "$(printf "h\r\nRCPT TO:<x@y>")" export 2>err &&
	grep "control character" err &&
	test_expect_code 2 kser send --repo repo --dry-run --to "not an address" \
		export 2>err &&
	grep "not an address" err &&
	test_expect_code 2 kser send --repo repo --dry-run \
		--envelope-sender "a@b>" export 2>err &&
	git -C repo config sendemail.cc "$(printf "x@example.com\r\nBcc: evil@example.com")" &&
	test_expect_code 1 kser send --repo repo --dry-run export 2>err &&
	grep "sendemail.cc: the value holds a control character" err &&
	git -C repo config --unset sendemail.cc &&
	mkdir evil &&
	printf "From: a@example.com\nTo: b@example.com\nSubject: x\rBcc: c@example.com\n\nbody\n" >evil/m &&
	test_expect_code 1 kser send --repo repo --dry-run evil 2>err &&
	grep "header line 3 holds a control character" err &&
	printf "From: a@example.com\nSubject: nobody\n\nbody\n" >evil/m &&
	test_expect_code 1 kser send --repo repo --dry-run evil 2>err &&
	grep "has no recipients" err &&
	no_send_in_progress
'

test_expect_success '--to and --cc join the headers; --bcc only the envelope' '
	start_smtpd s_add &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_add" &&
	use_server &&
	kser send --repo repo --to "Zoë <zoe@example.com>" --cc list@example.org \
		--bcc hidden@example.com export >out &&
	grep "^RCPT TO:<zoe@example.com>" s_add/0001.env &&
	grep "^RCPT TO:<hidden@example.com>" s_add/0001.env &&
	tr -d "\r" <s_add/0001.eml >m1 &&
	sed -n "/^To:/,/^[^ \t]/p" m1 >to &&
	grep "zoe@example.com" to &&
	! grep -i "hidden@example.com" m1 &&
	test "$(grep -c "RCPT TO:<list@example.org>" s_add/0001.env)" = 1
'

test_expect_success 'login with the password from git credential' '
	start_smtpd s_auth --auth kser:s3cret &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_auth" &&
	use_server &&
	git -C repo config sendemail.smtpUser kser &&
	test_when_finished "git -C repo config --unset sendemail.smtpUser" &&
	git -C repo config credential.helper \
		"!f() { echo \$1 >>\"$PWD/helper.log\"; test \$1 = get && echo password=s3cret; }; f" &&
	test_when_finished "git -C repo config --unset credential.helper" &&
	kser send --repo repo export >out &&
	grep "^auth [A-Z]* ok" s_auth/log &&
	printf "get\nstore\n" >want && test_cmp want helper.log &&
	/usr/bin/python3 "$CHECK" s_auth export/* $RCPTS
'

test_expect_success 'a refused login stops before any mail is sent' '
	start_smtpd s_badauth --auth kser:other &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_badauth" &&
	use_server &&
	git -C repo config sendemail.smtpUser kser &&
	git -C repo config sendemail.smtpPass wrong &&
	test_when_finished "git -C repo config --unset sendemail.smtpUser" &&
	test_when_finished "git -C repo config --unset sendemail.smtpPass" &&
	test_expect_code 1 kser send --repo repo export 2>err &&
	grep "refused the login of .kser.: 535" err &&
	test_path_is_missing s_badauth/0001.eml &&
	kser send --repo repo --abort
'

test_expect_success 'STARTTLS and ssl, the server checked against smtpSSLCertPath' '
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem \
		-out cert.pem -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 2>/dev/null &&
	start_smtpd s_tls --starttls cert.pem key.pem &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_tls" &&
	use_server &&
	git -C repo config sendemail.smtpEncryption tls &&
	test_when_finished "git -C repo config --unset sendemail.smtpEncryption" &&
	test_expect_code 1 kser send --repo repo export 2>err &&
	grep -i "certificate" err &&
	kser send --repo repo --abort &&
	git -C repo config sendemail.smtpSSLCertPath "$PWD/cert.pem" &&
	test_when_finished "git -C repo config --unset sendemail.smtpSSLCertPath" &&
	kser send --repo repo export &&
	/usr/bin/python3 "$CHECK" s_tls export/* $RCPTS &&
	start_smtpd s_ssl --smtps cert.pem key.pem &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_ssl" &&
	use_server &&
	kser send --repo repo --smtp-encryption ssl export >out &&
	grep "^server: smtps://127.0.0.1:$port" out &&
	/usr/bin/python3 "$CHECK" s_ssl export/* $RCPTS
'

test_expect_success '--batch-size logs in again every N messages' '
	start_smtpd s_batch &&
	test_when_finished "drop_journal" &&
	test_when_finished "stop_smtpd s_batch" &&
	use_server &&
	git -C repo config sendemail.smtpBatchSize 3 &&
	test_when_finished "git -C repo config --unset sendemail.smtpBatchSize" &&
	kser send --repo repo --relogin-delay 1 export >out &&
	test "$(grep -c "^ehlo" s_batch/log)" = 2 &&
	grep "^waiting 1 s before logging in again" out &&
	/usr/bin/python3 "$CHECK" s_batch export/* $RCPTS
'

test_done
