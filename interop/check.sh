#!/usr/bin/env bash
# check.sh: quick smoke test of the servers interop/up.sh started, with
# third-party clients (curl, Python's smtplib/poplib/imaplib), verifying
# TLS against /tmp/wirebook-interop/ca.pem. Prints one line per check.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"
ca=$WBI/ca.pem
failed=0
run() { # run NAME COMMAND...
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then echo "ok    $name"; else echo "FAIL  $name"; failed=$((failed + 1)); fi
}
py() { python3 -c "$1" "$ca"; }

run "http 200 with the lab site" sh -c "curl -sf http://127.0.0.1:$HTTP_PORT/hello.txt | grep -q 'wirebook lab server'"
run "https verified by ca.pem" curl -sf --cacert "$ca" --resolve "$WEB_HOST:$HTTPS_PORT:127.0.0.1" "https://$WEB_HOST:$HTTPS_PORT/"
run "http /docs redirects" sh -c "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$HTTP_PORT/docs | grep -qx 301"
run "smtp STARTTLS + AUTH, send to bob" py "
import smtplib, ssl, sys
s = smtplib.SMTP('127.0.0.1', $SMTP_PORT, local_hostname='check.example')
s.starttls(context=ssl.create_default_context(cafile=sys.argv[1]))
s.login('alice', 'alice-pw')
s.sendmail('alice@example.com', ['bob@example.com'], 'Subject: interop check\r\n\r\nhi\r\n')
s.quit()"
run "smtp refuses relaying" py "
import smtplib
s = smtplib.SMTP('127.0.0.1', $SMTP_PORT, local_hostname='check.example')
s.mail('alice@example.com'); code, _ = s.rcpt('someone@elsewhere.test'); assert code == 554, code"
run "submission wants STARTTLS" py "
import smtplib
s = smtplib.SMTP('127.0.0.1', $SUBMISSION_PORT, local_hostname='check.example')
code, _ = s.mail('alice@example.com'); assert code == 530, code"
run "smtps AUTH LOGIN" py "
import smtplib, ssl, sys
s = smtplib.SMTP_SSL('127.0.0.1', $SMTPS_PORT, context=ssl.create_default_context(cafile=sys.argv[1]))
s.ehlo('check.example'); s.login('bob', 'bob-pw'); s.quit()"
run "pop3 STLS, bob got the mail" py "
import poplib, ssl, sys, time
for _ in range(50):
    p = poplib.POP3('127.0.0.1', $POP3_PORT); p.stls(ssl.create_default_context(cafile=sys.argv[1]))
    p.user('bob'); p.pass_('bob-pw'); n = p.stat()[0]; p.quit()
    if n: break
    time.sleep(0.1)
assert n > 0"
run "pop3s login" py "
import poplib, ssl, sys
p = poplib.POP3_SSL('127.0.0.1', $POP3S_PORT, context=ssl.create_default_context(cafile=sys.argv[1]))
p.user('alice@example.com'); p.pass_('alice-pw'); p.quit()"
run "imap STARTTLS, search bob's INBOX" py "
import imaplib, ssl, sys
m = imaplib.IMAP4('127.0.0.1', $IMAP_PORT); m.starttls(ssl.create_default_context(cafile=sys.argv[1]))
m.login('bob', 'bob-pw'); m.select('INBOX')
typ, data = m.search(None, 'SUBJECT', '\"interop check\"'); assert data[0], data; m.logout()"
run "imaps wrong password refused" py "
import imaplib, ssl, sys
m = imaplib.IMAP4_SSL('127.0.0.1', $IMAPS_PORT, ssl_context=ssl.create_default_context(cafile=sys.argv[1]))
try:
    m.login('alice', 'wrong')
except imaplib.IMAP4.error:
    sys.exit(0)
sys.exit(1)"
echo "$failed failed"
[ "$failed" = 0 ]
