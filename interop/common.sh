# shellcheck shell=bash
# Settings and helpers shared by up.sh, down.sh and check.sh.
# Every path lives under $WBI and every listener is on 127.0.0.1; /etc is
# never written (apart from the packages apt-get itself installs).

WBI=/tmp/wirebook-interop

# The `real` environment of wirebook.yaml names these ports and $WBI/ca.pem.
SMTP_PORT=10025        # STARTTLS offered; AUTH only after it
SMTPS_PORT=10465       # implicit TLS
SUBMISSION_PORT=10587  # STARTTLS and AUTH both required
POP3_PORT=10110        # STLS offered
POP3S_PORT=10995
IMAP_PORT=10143        # STARTTLS offered
IMAPS_PORT=10993
HTTP_PORT=10080
HTTPS_PORT=10443

MAIL_DOMAIN=example.com
MAIL_HOST=mail.example.com
WEB_HOST=www.example.com
LAB_USERS="alice:alice-pw bob:bob-pw"

# Labs run SLOTS at once against these servers without sharing mailboxes:
# slot 1 is the servers on the ports above; slot N (N >= 2) is another
# Dovecot instance with its own mailboxes, on the same ports + (N-1)*1000
# (IMAP, POP3, and Postfix listeners that deliver into that instance).
# nginx serves every slot. wirebook.yaml's `real` environment lists the
# slots as its pool; reset.sh empties one slot's mailboxes.
SLOTS=3
slots() { seq 1 "$SLOTS"; }
# slot_port PORT SLOT: PORT as slot SLOT listens on it.
slot_port() { echo $(($1 + ($2 - 1) * 1000)); }
# Per-slot paths; slot 1 keeps the paths of a single-slot setup.
slot_suffix() { [ "$1" = 1 ] || echo "/s$1"; }
dovecot_of() { [ "$1" = 1 ] && echo dovecot || echo "dovecot-s$1"; }
slot_of() { case $1 in dovecot) echo 1 ;; dovecot-s*) echo "${1#dovecot-s}" ;; esac; }
dovecot_dir_of() { echo "$WBI/dovecot$(slot_suffix "$1")"; }
dovecot_conf_of() { echo "$(dovecot_dir_of "$1")/dovecot.conf"; }
sock_dir_of() { echo "$WBI/sock$(slot_suffix "$1")"; }
mail_dir_of() { [ "$1" = 1 ] && echo "$WBI/mail" || echo "$WBI/slots/s$1/mail"; }
# Every daemon up.sh starts, in start order.
DAEMONS="$(for s in $(slots); do dovecot_of "$s"; done | tr '\n' ' ')postfix nginx"

# Mail files belong to this numeric id; no account is created for it.
VMAIL_ID=5000

DOVECOT_CONF=$WBI/dovecot/dovecot.conf
DOVECOT_RUN=$WBI/dovecot/run
POSTFIX_CONF_DIR=$WBI/postfix/conf
POSTFIX_QUEUE=$WBI/postfix/queue
NGINX_CONF=$WBI/nginx/nginx.conf
NGINX_PREFIX=$WBI/nginx/

say()  { printf "interop: %s\n" "$*"; }
fail() { printf 'interop: error: %s\n' "$*" >&2; exit 1; }

# ports_of DAEMON: the TCP ports that daemon serves.
ports_of() {
	local s
	case $1 in
	dovecot*)
		s=$(slot_of "$1")
		echo "$(slot_port $IMAP_PORT "$s") $(slot_port $IMAPS_PORT "$s") $(slot_port $POP3_PORT "$s") $(slot_port $POP3S_PORT "$s")"
		;;
	postfix) for s in $(slots); do echo "$(slot_port $SMTP_PORT "$s") $(slot_port $SMTPS_PORT "$s") $(slot_port $SUBMISSION_PORT "$s")"; done | tr '\n' ' ' ;;
	nginx) echo "$HTTP_PORT $HTTPS_PORT" ;;
	esac
}

# pid_file_of DAEMON: where the daemon itself records its master pid.
pid_file_of() {
	case $1 in
	dovecot*) echo "$(dovecot_dir_of "$(slot_of "$1")")/run/master.pid" ;;
	postfix) echo "$POSTFIX_QUEUE/pid/master.pid" ;;
	nginx) echo "$WBI/nginx/nginx.pid" ;;
	esac
}

# binary_of DAEMON: the executable the master pid must be running.
binary_of() {
	case $1 in
	dovecot*) echo /usr/sbin/dovecot ;;
	postfix) echo /usr/lib/postfix/sbin/master ;;
	nginx) echo /usr/sbin/nginx ;;
	esac
}

# running PID: the process exists and is not a zombie.
running() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# our_pid DAEMON: prints the master pid when the pid file names a live
# process that runs the daemon's binary with this harness's configuration;
# anything else (stale file, recycled pid, a system instance) is not ours.
our_pid() {
	local daemon=$1 file pid exe
	file=$(pid_file_of "$daemon")
	[ -r "$file" ] || return 1
	pid=$(tr -dc '0-9' <"$file")
	[ -n "$pid" ] && running "$pid" || return 1
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	[ "${exe% (deleted)}" = "$(binary_of "$daemon")" ] || return 1
	case $daemon in
	dovecot*) tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$(dovecot_conf_of "$(slot_of "$daemon")")" || return 1 ;;
	nginx) tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$NGINX_CONF" || return 1 ;;
	# Postfix's master gets its config directory through the environment.
	postfix) tr '\0' '\n' <"/proc/$pid/environ" | grep -qxF -- "MAIL_CONFIG=$POSTFIX_CONF_DIR" || return 1 ;;
	esac
	echo "$pid"
}

# listening PORT: something accepts TCP connections on the port.
listening() {
	ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# wait_listening PORT: wait up to 15 s for a listener on PORT.
wait_listening() {
	local port=$1 tries=0
	until listening "$port"; do
		tries=$((tries + 1))
		[ "$tries" -le 150 ] || return 1
		sleep 0.1
	done
}

# children PID: the direct children of PID, found by parent pid.
children() {
	ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '
}
