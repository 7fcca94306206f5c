#!/usr/bin/env bash
# up.sh: run real Dovecot, Postfix and nginx on 127.0.0.1 so the course can
# be checked against them (wirebook check --env real labs).
#
# Idempotent. Installs what is missing, makes a CA and a server certificate
# once, writes private configs under /tmp/wirebook-interop, starts each
# daemon that is not running (restarts or reloads one whose config changed)
# and returns when every port answers. /etc is never edited: each daemon is a
# separate instance with its own config, pid file, logs and state.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

[ "$(id -u)" = 0 ] || fail "up.sh needs root (apt-get, and Dovecot and Postfix start as root)"
started_at=$(date +%s%N)

# ------------------------------------------------------------------ packages
packages=(dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix nginx openssl curl python3 iproute2 procps)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

install_packages() {
	# The packages' maintainer scripts would start the system-wide daemons
	# (nginx on :80, Dovecot on :143). A policy-rc.d that answers 101 stops
	# that; add one only for this install if the machine has none.
	local own_policy=0 status=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\n# wirebook interop: keep apt from starting daemons\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
		own_policy=1
	fi
	# "No configuration" leaves the default Postfix instance unconfigured
	# (no /etc/postfix/main.cf), so it never runs beside ours.
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" || status=$?
	if [ "$status" != 0 ]; then
		say "apt-get install failed; updating the package lists and trying again"
		apt-get update -q && status=0
		[ "$status" = 0 ] && { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" || status=$?; }
	fi
	[ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
	return "$status"
}

missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
	mkdir -p "$WBI/log"
	say "installing ${missing[*]}"
	if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
		apt-get update -q >"$WBI/log/apt.log" 2>&1 || { tail -20 "$WBI/log/apt.log" >&2; fail "apt-get update failed"; }
	fi
	install_packages "${missing[@]}" >>"$WBI/log/apt.log" 2>&1 ||
		{ tail -30 "$WBI/log/apt.log" >&2; fail "apt-get install failed (see $WBI/log/apt.log)"; }
fi
packages_done_at=$(date +%s%N)

# ------------------------------------------------------------------ layout
install -d -m 0755 "$WBI" "$WBI/log" "$WBI/sock" "$WBI/state" "$WBI/dovecot" \
	"$WBI/postfix" "$POSTFIX_CONF_DIR" "$WBI/nginx" "$WBI/nginx/tmp"
install -d -m 0700 "$WBI/tls"
install -d -m 0755 -o root -g root "$POSTFIX_QUEUE"
install -d -m 0700 -o postfix -g postfix "$WBI/postfix/data"
for slot in $(slots); do
	install -d -m 0755 "$(dovecot_dir_of "$slot")" "$(sock_dir_of "$slot")"
	[ "$slot" = 1 ] || install -d -m 0755 "$WBI/slots" "$WBI/slots/s$slot"
	install -d -m 0750 -o "$VMAIL_ID" -g "$VMAIL_ID" "$(mail_dir_of "$slot")"
	for entry in $LAB_USERS; do
		install -d -m 0700 -o "$VMAIL_ID" -g "$VMAIL_ID" "$(mail_dir_of "$slot")/${entry%%:*}"
	done
done

# put FILE MODE < content: replace FILE only when the content differs, so a
# second run leaves running daemons alone.
put() {
	local file=$1 mode=$2 tmp
	tmp=$(mktemp "$file.new.XXXXXX")
	cat >"$tmp"
	chmod "$mode" "$tmp"
	if cmp -s "$tmp" "$file" 2>/dev/null; then rm -f "$tmp"; else mv -f "$tmp" "$file"; fi
}

# ------------------------------------------------------------------ TLS
# A private CA signs one server certificate used on every TLS port. Both are
# made once and kept, so a client that trusts ca.pem keeps working.
tls=$WBI/tls
if ! openssl x509 -in "$tls/server.pem" -noout -checkend 86400 >/dev/null 2>&1 ||
	! openssl verify -CAfile "$tls/ca.pem" "$tls/server.pem" >/dev/null 2>&1; then
	say "making a CA and a server certificate in $tls"
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
		-keyout "$tls/ca.key" -out "$tls/ca.pem" -subj "/O=wirebook interop/CN=wirebook interop CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		>/dev/null 2>&1 || fail "openssl: could not make the CA"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$tls/server.key" -out "$tls/server.csr" -subj "/O=wirebook interop/CN=$MAIL_HOST" \
		>/dev/null 2>&1 || fail "openssl: could not make the server key"
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
		"subjectAltName=DNS:localhost,DNS:$MAIL_HOST,DNS:$WEB_HOST,IP:127.0.0.1" >"$tls/server.ext"
	openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
		-sha256 -days 825 -extfile "$tls/server.ext" -out "$tls/server.pem" \
		>/dev/null 2>&1 || fail "openssl: could not sign the server certificate"
	chmod 0600 "$tls/ca.key" "$tls/server.key"
	chmod 0644 "$tls/ca.pem" "$tls/server.pem"
fi
# Readable copy for clients; wirebook.yaml's `real` environment names it.
install -m 0644 "$tls/ca.pem" "$WBI/ca.pem"

# ------------------------------------------------------------------ Dovecot
dh_line=""
[ -s /usr/share/dovecot/dh.pem ] && dh_line="ssl_dh = </usr/share/dovecot/dh.pem"

# dovecot_config SLOT: the users and config of slot SLOT's instance (its
# own ports, sockets and mailboxes).
dovecot_config() {
	local slot=$1 dir mail sock suffix
	dir=$(dovecot_dir_of "$slot") mail=$(mail_dir_of "$slot") sock=$(sock_dir_of "$slot") suffix=$(slot_suffix "$slot")
	{
		echo "# user:password:uid:gid::home"
		for entry in $LAB_USERS; do
			echo "${entry%%:*}:{PLAIN}${entry#*:}:$VMAIL_ID:$VMAIL_ID::$mail/${entry%%:*}"
		done
	} | put "$dir/users" 0640
	chgrp dovecot "$dir/users"
	put "$dir/dovecot.conf" 0644 <<EOF
# Written by wirebook interop/up.sh; this instance does not read /etc/dovecot.
instance_name = wirebook-interop${suffix//\//-}
base_dir = $dir/run
state_dir = $dir/state
log_path = $WBI/log/dovecot${suffix//\//-}.log
protocols = imap pop3 lmtp
listen = 127.0.0.1
hostname = $MAIL_HOST
postmaster_address = postmaster@$MAIL_DOMAIN

ssl = yes
ssl_cert = <$tls/server.pem
ssl_key = <$tls/server.key
$dh_line
ssl_min_protocol = TLSv1.2

# The course logs in over plain text on loopback, as the lab server allows.
disable_plaintext_auth = no
auth_mechanisms = plain login
# "alice@example.com" and "alice" are the same account.
auth_username_format = %Ln
# Wrong-password exercises should not stall a check run.
auth_failure_delay = 0

default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = $VMAIL_ID
last_valid_uid = $VMAIL_ID
first_valid_gid = $VMAIL_ID
last_valid_gid = $VMAIL_ID
mail_location = maildir:~/Maildir

passdb {
  driver = passwd-file
  args = scheme=PLAIN $dir/users
}
userdb {
  driver = passwd-file
  args = $dir/users
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $(slot_port $IMAP_PORT "$slot")
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $(slot_port $IMAPS_PORT "$slot")
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $(slot_port $POP3_PORT "$slot")
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $(slot_port $POP3S_PORT "$slot")
    ssl = yes
  }
}
# Postfix hands mail over here and asks here whether an SMTP AUTH password is right.
service lmtp {
  unix_listener $sock/lmtp {
    user = postfix
    group = postfix
    mode = 0600
  }
}
service auth {
  unix_listener $sock/auth {
    user = postfix
    group = postfix
    mode = 0600
  }
}
# Without this, each failed login from 127.0.0.1 makes the next one wait
# longer (up to 15 s). An unusable anvil-auth-penalty socket turns it off.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
}
for slot in $(slots); do dovecot_config "$slot"; done

# ------------------------------------------------------------------ Postfix
put "$POSTFIX_CONF_DIR/main.cf" 0644 <<EOF
# Written by wirebook interop/up.sh; used as: postfix -c $POSTFIX_CONF_DIR
compatibility_level = 3.6
queue_directory = $POSTFIX_QUEUE
data_directory = $WBI/postfix/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $WBI/log/postfix.log
maillog_file_prefixes = $WBI/log

myhostname = $MAIL_HOST
mydomain = $MAIL_DOMAIN
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP \$mail_name (Debian/GNU)
biff = no
append_dot_mydomain = no
alias_maps =
alias_database =
local_recipient_maps =
# Same limit as the lab server's store (10 MiB).
message_size_limit = 10485760

# example.com is the only destination; it goes to Dovecot over LMTP. There is
# no relaying, authenticated or not, and no DNS: any other domain is refused
# at RCPT, and the transports for other mail are error transports.
virtual_mailbox_domains = $MAIL_DOMAIN
virtual_mailbox_maps = texthash:$POSTFIX_CONF_DIR/mailboxes
virtual_transport = lmtp:unix:$WBI/sock/lmtp
# One delivery at a time, in queue order: two messages sent in one session
# then reach the mailbox in the order they were sent, as with wirebook's
# embedded servers, and transcripts stay reproducible.
lmtp_destination_concurrency_limit = 1
virtual_destination_concurrency_limit = 1
# Queue order is not send order by itself: two messages that wait in the
# incoming queue together are taken in directory order. A pause at DATA
# gives the queue manager time to take the session's previous message
# first (seen: lab 03's two messages delivered the other way round, once in
# a dozen runs, after the client got faster).
smtpd_data_restrictions = sleep 1
local_transport = error:this lab delivers only to $MAIL_DOMAIN
default_transport = error:this lab delivers only to $MAIL_DOMAIN
relay_transport = error:this lab delivers only to $MAIL_DOMAIN
relayhost =
smtp_dns_support_level = disabled
smtpd_relay_restrictions = reject_unauth_destination

smtpd_tls_cert_file = $tls/server.pem
smtpd_tls_key_file = $tls/server.key
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_tls_loglevel = 1

smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $WBI/sock/auth
smtpd_sasl_security_options = noanonymous

# The pool's slots (see slot_listeners below).
$(for slot in $(seq 2 "$SLOTS"); do echo "slot${slot}_filter = check_recipient_access texthash:$POSTFIX_CONF_DIR/slot$slot-filter"; done)
EOF

# Slots 2 and up: the same three listeners on their own ports, each handing
# the mail it accepts to its slot's Dovecot (a FILTER action for every
# recipient domain we serve overrides virtual_transport for that message).
slot_listeners() {
	local slot filter
	for slot in $(seq 2 "$SLOTS"); do
		filter="check_recipient_access texthash:$POSTFIX_CONF_DIR/slot$slot-filter"
		echo "$MAIL_DOMAIN FILTER lmtp:unix:$(sock_dir_of "$slot")/lmtp" | put "$POSTFIX_CONF_DIR/slot$slot-filter" 0644
		cat <<LISTENERS
127.0.0.1:$(slot_port $SMTP_PORT "$slot") inet n - n - - smtpd
  -o syslog_name=postfix/s$slot
  -o smtpd_recipient_restrictions=\$slot${slot}_filter
127.0.0.1:$(slot_port $SMTPS_PORT "$slot") inet n - n - - smtpd
  -o syslog_name=postfix/s$slot/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  -o smtpd_recipient_restrictions=\$slot${slot}_filter
127.0.0.1:$(slot_port $SUBMISSION_PORT "$slot") inet n - n - - smtpd
  -o syslog_name=postfix/s$slot/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=\$slot${slot}_filter
LISTENERS
	done
}

# master.cf: three smtpd listeners on loopback plus the internal services a
# delivering Postfix needs. chroot is off because everything is under /tmp.
put "$POSTFIX_CONF_DIR/master.cf" 0644 <<EOF
# Written by wirebook interop/up.sh.
# service               type  private unpriv chroot wakeup maxproc command
127.0.0.1:$SMTP_PORT      inet  n       -      n      -      -       smtpd
127.0.0.1:$SMTPS_PORT     inet  n       -      n      -      -       smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
127.0.0.1:$SUBMISSION_PORT inet n       -      n      -      -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
$(slot_listeners)
pickup     unix  n       -      n      60     1       pickup
cleanup    unix  n       -      n      -      0       cleanup
qmgr       unix  n       -      n      300    1       qmgr
tlsmgr     unix  -       -      n      1000?  1       tlsmgr
rewrite    unix  -       -      n      -      -       trivial-rewrite
bounce     unix  -       -      n      -      0       bounce
defer      unix  -       -      n      -      0       bounce
trace      unix  -       -      n      -      0       bounce
verify     unix  -       -      n      -      1       verify
flush      unix  n       -      n      1000?  0       flush
proxymap   unix  -       -      n      -      -       proxymap
proxywrite unix  -       -      n      -      1       proxymap
smtp       unix  -       -      n      -      -       smtp
relay      unix  -       -      n      -      -       smtp
showq      unix  n       -      n      -      -       showq
error      unix  -       -      n      -      -       error
retry      unix  -       -      n      -      -       error
discard    unix  -       -      n      -      -       discard
lmtp       unix  -       -      n      -      -       lmtp
anvil      unix  -       -      n      -      1       anvil
scache     unix  -       -      n      -      1       scache
postlog    unix-dgram n  -      n      -      1       postlogd
EOF

for entry in $LAB_USERS; do
	echo "${entry%%:*}@$MAIL_DOMAIN ${entry%%:*}/"
done | put "$POSTFIX_CONF_DIR/mailboxes" 0644

# ------------------------------------------------------------------ nginx
# The site is the lab server's built-in one, taken from this checkout so the
# two web servers serve byte-identical files.
site=$repo/protocols/http/httpd/site
[ -f "$site/index.html" ] || fail "no built-in site at $site"
rm -rf "$WBI/www.new"
cp -R "$site" "$WBI/www.new"
chmod -R a+rX "$WBI/www.new"
rm -rf "$WBI/www"
mv "$WBI/www.new" "$WBI/www"

lab_status_locations=""
for code in 200 201 202 204 400 401 403 404 405 409 410 418 429 500 501 502 503 504; do
	lab_status_locations+="        location = /_lab/status/$code { return $code; }"$'\n'
done

put "$NGINX_CONF" 0644 <<EOF
# Written by wirebook interop/up.sh; this instance does not read /etc/nginx/nginx.conf.
user www-data;
worker_processes 1;
pid $(pid_file_of nginx);
error_log $WBI/log/nginx-error.log;

events {
    worker_connections 128;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    charset utf-8;
    keepalive_timeout 65;
    access_log $WBI/log/nginx-access.log;
    client_body_temp_path $WBI/nginx/tmp/body;
    proxy_temp_path $WBI/nginx/tmp/proxy;
    fastcgi_temp_path $WBI/nginx/tmp/fastcgi;
    uwsgi_temp_path $WBI/nginx/tmp/uwsgi;
    scgi_temp_path $WBI/nginx/tmp/scgi;
    ssl_protocols TLSv1.2 TLSv1.3;

    server {
        listen 127.0.0.1:$HTTP_PORT;
        listen 127.0.0.1:$HTTPS_PORT ssl;
        server_name localhost $WEB_HOST;
        ssl_certificate $tls/server.pem;
        ssl_certificate_key $tls/server.key;
        root $WBI/www;
        index index.html;
        location / {
            try_files \$uri \$uri/ =404;
        }
        # Stand-ins for two of the lab server's teaching endpoints, so the
        # status lines match (nginx has no /_lab/echo or /_lab/chunked).
        location = /_lab/redirect {
            return 302 \$arg_to;
        }
$lab_status_locations
    }
}
EOF

# ------------------------------------------------------------------ start
# A daemon's "fingerprint" is the checksum of its config and certificate; a
# running instance whose fingerprint changed gets restarted or reloaded.
fingerprint() {
	case $1 in
	dovecot*) cat "$(dovecot_conf_of "$(slot_of "$1")")" "$(dovecot_dir_of "$(slot_of "$1")")/users" "$tls/server.pem" ;;
	postfix) cat "$POSTFIX_CONF_DIR"/main.cf "$POSTFIX_CONF_DIR"/master.cf "$POSTFIX_CONF_DIR"/mailboxes "$POSTFIX_CONF_DIR"/slot*-filter "$tls/server.pem" 2>/dev/null ;;
	nginx) cat "$NGINX_CONF" "$tls/server.pem" ;;
	esac | sha256sum | cut -d' ' -f1
}
unchanged() { [ "$(cat "$WBI/state/$1.sum" 2>/dev/null)" = "$(fingerprint "$1")" ]; }
remember() { fingerprint "$1" >"$WBI/state/$1.sum"; }

# Refuse to start over a port that someone else holds (after a short grace
# period for a daemon of ours that is still shutting down).
ports_free() {
	local daemon=$1 port i
	for port in $(ports_of "$daemon"); do
		for i in $(seq 30); do listening "$port" || break; sleep 0.1; done
		listening "$port" && fail "$daemon: 127.0.0.1:$port is taken by another process: $(ss -Hltnp "sport = :$port" | head -1)"
	done
	return 0
}

await_ports() {
	local daemon=$1 port
	for port in $(ports_of "$daemon"); do
		wait_listening "$port" || fail "$daemon: nothing listens on port $port (logs: $WBI/log/)"
	done
}

# Stops the master pid of DAEMON and waits for it and its children.
# Shared with down.sh through stop.sh.
. "$here/stop.sh"

for slot in $(slots); do
	daemon=$(dovecot_of "$slot") conf=$(dovecot_conf_of "$slot") sock=$(sock_dir_of "$slot")
	doveconf -c "$conf" -n >/dev/null 2>"$WBI/log/doveconf-$daemon.err" ||
		{ cat "$WBI/log/doveconf-$daemon.err" >&2; fail "$daemon rejects $conf"; }
	if pid=$(our_pid "$daemon") && ! unchanged "$daemon"; then
		# A restart, not SIGHUP: Dovecot 2.3.19's master can crash reloading
		# changed listener settings.
		say "$daemon: config changed, restarting pid $pid"
		stop_daemon "$daemon"
	fi
	if pid=$(our_pid "$daemon"); then
		say "$daemon: running (pid $pid)"
	else
		ports_free "$daemon"
		rm -f "$(pid_file_of "$daemon")" "$sock/lmtp" "$sock/auth"
		# stdio goes to a file: the master keeps it open, which would hold a
		# pipe like `make interop | tee` open forever.
		dovecot -c "$conf" </dev/null >>"$WBI/log/dovecot-start.log" 2>&1 ||
			{ tail -5 "$WBI/log/dovecot-start.log" >&2; fail "$daemon did not start"; }
		await_ports "$daemon"
		for i in $(seq 50); do [ -S "$sock/lmtp" ] && [ -S "$sock/auth" ] && break; sleep 0.1; done
		pid=$(our_pid "$daemon") || fail "$daemon: started but its pid file is missing"
		say "$daemon: started (pid $pid)"
	fi
	remember "$daemon"
done

# postfix check takes seconds (it also fixes permissions), so it runs only
# when Postfix is about to read a config it has not seen.
if ! our_pid postfix >/dev/null || ! unchanged postfix; then
	postfix -c "$POSTFIX_CONF_DIR" check >"$WBI/log/postfix-check.log" 2>&1 ||
		{ cat "$WBI/log/postfix-check.log" >&2; fail "postfix check failed"; }
fi
if pid=$(our_pid postfix); then
	if unchanged postfix; then
		say "postfix: running (pid $pid)"
	else
		say "postfix: config changed, reloading pid $pid"
		postfix -c "$POSTFIX_CONF_DIR" reload </dev/null >/dev/null 2>&1 || fail "postfix reload failed"
	fi
else
	ports_free postfix
	postfix -c "$POSTFIX_CONF_DIR" start </dev/null >"$WBI/log/postfix-start.log" 2>&1 ||
		{ cat "$WBI/log/postfix-start.log" >&2; fail "postfix did not start"; }
	await_ports postfix
	pid=$(our_pid postfix) || fail "postfix: started but its pid file is missing"
	say "postfix: started (pid $pid)"
fi
remember postfix

nginx -q -t -e "$WBI/log/nginx-error.log" -c "$NGINX_CONF" -p "$NGINX_PREFIX" 2>"$WBI/log/nginx-t.err" ||
	{ cat "$WBI/log/nginx-t.err" >&2; fail "nginx rejects $NGINX_CONF"; }
if pid=$(our_pid nginx); then
	if unchanged nginx; then
		say "nginx: running (pid $pid)"
	else
		say "nginx: config changed, reloading pid $pid"
		kill -HUP "$pid"
	fi
else
	ports_free nginx
	nginx -e "$WBI/log/nginx-error.log" -c "$NGINX_CONF" -p "$NGINX_PREFIX" </dev/null >>"$WBI/log/nginx-start.log" 2>&1 ||
		{ tail -5 "$WBI/log/nginx-start.log" >&2; fail "nginx did not start"; }
	await_ports nginx
	pid=$(our_pid nginx) || fail "nginx: started but its pid file is missing"
	say "nginx: started (pid $pid)"
fi
remember nginx

# ------------------------------------------------------------------ ready?
# Listening is not answering: wait for each greeting and each TLS handshake.
answers() {
	local port=$1 mode=$2
	case $mode in
	greet) timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -c 3 <&3" 2>/dev/null | grep -q . ;;
	tls) timeout 5 openssl s_client -connect "127.0.0.1:$port" -CAfile "$WBI/ca.pem" \
		-verify_return_error -brief </dev/null >/dev/null 2>&1 ;;
	http) curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$port/" ;;
	esac
}
for check in "$SMTP_PORT greet" "$SUBMISSION_PORT greet" "$POP3_PORT greet" "$IMAP_PORT greet" \
	"$SMTPS_PORT tls" "$POP3S_PORT tls" "$IMAPS_PORT tls" "$HTTPS_PORT tls" "$HTTP_PORT http"; do
	set -- $check
	ok=0
	for i in $(seq 50); do
		if answers "$1" "$2"; then ok=1; break; fi
		sleep 0.1
	done
	[ "$ok" = 1 ] || fail "port $1 does not answer (logs: $WBI/log/)"
done

# Nothing may listen on our ports outside loopback.
for daemon in $DAEMONS; do
	for port in $(ports_of "$daemon"); do
		if ss -Hltn "sport = :$port" | awk '{print $4}' | grep -qv '^127\.0\.0\.1:'; then
			fail "port $port is bound beyond 127.0.0.1"
		fi
	done
done

finished_at=$(date +%s%N)
tenths() { printf '%d.%d' $(($1 / 1000000000)) $((($1 / 100000000) % 10)); }
say "ready in $(tenths $((finished_at - started_at))) s (packages: $(tenths $((packages_done_at - started_at))) s)"
say "SMTP $SMTP_PORT SMTPS $SMTPS_PORT submission $SUBMISSION_PORT POP3 $POP3_PORT POP3S $POP3S_PORT" \
	"IMAP $IMAP_PORT IMAPS $IMAPS_PORT HTTP $HTTP_PORT HTTPS $HTTPS_PORT on 127.0.0.1; CA: $WBI/ca.pem"
