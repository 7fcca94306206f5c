#!/usr/bin/env bash
# down.sh: stop exactly the daemons interop/up.sh started. Each one is found
# through the pid file it wrote under /tmp/wirebook-interop and signalled
# only after /proc confirms the binary and this harness's config; no process
# is ever picked by name. The mailboxes are emptied; logs and certificates
# are kept (--purge deletes /tmp/wirebook-interop after a clean stop).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"
# shellcheck source=stop.sh
. "$here/stop.sh"

purge=0
case ${1:-} in
--purge) purge=1 ;;
"") ;;
*) fail "usage: down.sh [--purge]" ;;
esac

status=0
# nginx first and Dovecot last: Postfix's smtpd processes hold Dovecot's
# auth socket until Postfix is gone.
for daemon in nginx postfix $(for s in $(slots | sort -rn); do dovecot_of "$s"; done); do
	stop_daemon "$daemon" || status=1
	rm -f "$WBI/state/$daemon.sum"
	for port in $(ports_of "$daemon"); do
		if listening "$port"; then
			say "port $port is still taken: $(ss -Hltnp "sport = :$port" | head -1)"
			status=1
		fi
	done
done

# The mail is the run's test data: the next up.sh starts with empty
# mailboxes, as the embedded servers do.
if [ "$status" = 0 ]; then
	for slot in $(slots); do
		for box in "$(mail_dir_of "$slot")"/*/Maildir; do
			[ -d "$box" ] && rm -rf "$box"
		done
	done
fi

if [ "$purge" = 1 ]; then
	if [ "$status" = 0 ]; then
		say "removing $WBI"
		rm -rf "$WBI"
	else
		say "not removing $WBI: something is still running"
	fi
fi
exit "$status"
