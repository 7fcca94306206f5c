#!/usr/bin/env bash
# make clients: the mail programs students point at `wirebook servers`
# (swaks, msmtp, fetchmail, mutt), in batch mode, on 127.0.0.1 with free
# ports. Unlike the other scripts here it starts no real server: it checks
# the embedded ones with real clients. Installs the clients with apt-get
# when they are missing. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in swaks msmtp fetchmail mutt python3; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
perl -MNet::SSLeay -MIO::Socket::SSL -e1 2>/dev/null || missing+=(swaks-tls) # swaks's TLS
if ((${#missing[@]})); then
	echo "clients: installing ${missing[*]}"
	apt-get update -qq >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			swaks libnet-ssleay-perl libio-socket-ssl-perl msmtp fetchmail mutt python3 ca-certificates >/dev/null || {
		echo "clients: apt-get failed"
		exit 1
	}
fi

work=$(mktemp -d)
server_pid=
cleanup() {
	[[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# Port base 0: free ports, read back from the lines the command prints.
bin/wirebook servers --port-base 0 >"$work/servers.out" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
	grep -q 'export WIREBOOK_PASSWORD=' "$work/servers.out" && break
	sleep 0.1
done
if ! grep -q 'export WIREBOOK_PASSWORD=' "$work/servers.out"; then
	echo "clients: wirebook servers did not start:"
	cat "$work/servers.out"
	exit 1
fi
eval "$(grep '^  export WIREBOOK_' "$work/servers.out")"
H=$WIREBOOK_HOST CA=$WIREBOOK_CA_FILE

passed=0 failed=0
check() { # name, then a command that must succeed
	local name=$1
	shift
	if "$@" >"$work/out" 2>&1; then
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name"
		sed 's/^/     /' "$work/out" | tail -20
	fi
}

# imap_has MAILBOX SUBJECT: the message is in alice's MAILBOX (imaplib).
imap_has() {
	python3 - "$H" "$WIREBOOK_IMAP_PORT" "$1" "$2" <<'EOF'
import imaplib, sys
host, port, box, subject = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = imaplib.IMAP4(host, port)
m.login("alice", "alice-pw")
typ, _ = m.select(box, readonly=True)
assert typ == "OK", typ
typ, data = m.search(None, "SUBJECT", '"%s"' % subject)
assert typ == "OK" and data[0].split(), "no message %r in %s" % (subject, box)
m.logout()
EOF
}

# swaks: plain SMTP, then submission with STARTTLS and AUTH, then SMTPS.
check "swaks smtp" swaks --server "$H" --port "$WIREBOOK_SMTP_PORT" --from bob@example.com --to alice@example.com \
	--header "Subject: via swaks plain" --body "hello" --silent 2
check "swaks submission STARTTLS AUTH LOGIN" swaks --server "$H" --port "$WIREBOOK_SUBMISSION_PORT" --tls \
	--tls-verify --tls-ca-path "$CA" --auth LOGIN --auth-user bob --auth-password bob-pw \
	--from bob@example.com --to alice@example.com --header "Subject: via swaks submission" --silent 2
check "swaks smtps AUTH PLAIN" swaks --server "$H" --port "$WIREBOOK_SMTPS_PORT" --tls-on-connect \
	--tls-verify --tls-ca-path "$CA" --auth PLAIN --auth-user bob --auth-password bob-pw \
	--from bob@example.com --to alice@example.com --header "Subject: via swaks smtps" --silent 2
check "swaks mail arrived" imap_has INBOX "via swaks submission"

# msmtp: submission with STARTTLS, the certificate checked against the CA.
printf 'From: bob@example.com\nTo: alice@example.com\nSubject: via msmtp\n\n%05000d\n' 0 >"$work/msmtp.eml"
check "msmtp submission STARTTLS" msmtp --host="$H" --port="$WIREBOOK_SUBMISSION_PORT" --tls=on --tls-starttls=on \
	--tls-trust-file="$CA" --auth=on --user=bob --passwordeval="echo bob-pw" --from=bob@example.com \
	alice@example.com <"$work/msmtp.eml"
check "msmtp mail arrived (a 5,000-character line)" imap_has INBOX "via msmtp"

# fetchmail: every message over POP3S and over IMAPS (kept on the server).
# It checks the certificate's names but not its IP addresses, hence
# sslcommonname: localhost is one of the lab certificate's names.
fetch() { # protocol port
	cat >"$work/fetchmailrc" <<EOF
set no syslog
poll $H service $2 protocol $1 user "alice" password "alice-pw" is root here
  ssl sslcertck sslcertfile "$CA" sslcommonname "localhost" keep fetchall mda "cat >>$work/fetched-$1"
EOF
	chmod 600 "$work/fetchmailrc"
	rm -f "$work/fetched-$1"
	fetchmail -f "$work/fetchmailrc" -i "$work/fetchids-$1" --nosyslog --silent &&
		grep -q '^Subject: via swaks plain' "$work/fetched-$1" &&
		grep -q '^Subject: via msmtp' "$work/fetched-$1"
}
check "fetchmail pop3s" fetch pop3 "$WIREBOOK_POP3S_PORT"
check "fetchmail imaps" fetch imap "$WIREBOOK_IMAPS_PORT"

# mutt: sends over submission (STARTTLS, AUTH) and files a copy into an IMAP
# folder with APPEND, all in batch mode.
python3 - "$H" "$WIREBOOK_IMAP_PORT" <<'EOF'
import imaplib, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2])); m.login("alice", "alice-pw"); m.create("Sent"); m.logout()
EOF
cat >"$work/muttrc" <<EOF
set from = "alice@example.com"
set realname = "Alice"
set smtp_url = "smtp://alice@$H:$WIREBOOK_SUBMISSION_PORT/"
set smtp_pass = "alice-pw"
set ssl_starttls = yes
set ssl_force_tls = yes
set ssl_ca_certificates_file = "$CA"
set imap_user = "alice"
set imap_pass = "alice-pw"
set folder = "imaps://$H:$WIREBOOK_IMAPS_PORT/"
set record = "=Sent"
set copy = yes
set imap_check_subscribed = no
EOF
check "mutt send with Fcc to IMAP" sh -c "echo 'from mutt' | mutt -n -F '$work/muttrc' -s 'via mutt' -- bob@example.com"
check "mutt copy in IMAP Sent" imap_has Sent "via mutt"

echo "clients: $passed passed, $failed failed"
((failed == 0))
