#!/usr/bin/env bash
# Empties the lab mailboxes of one slot of the running interop servers
# (WIREBOOK_SLOT, default 1), so that each lab starts from empty mailboxes as
# it does against the embedded servers, while labs in other slots run on.
# wirebook runs it before each lab (wirebook.yaml: environments.real.reset).
set -euo pipefail
. "$(dirname "$0")/common.sh"

# Let Postfix finish handing queued mail to Dovecot first, so that nothing
# lands in a mailbox after it was emptied.
for _ in $(seq 1 50); do
	if [ -z "$(find "$POSTFIX_QUEUE"/active "$POSTFIX_QUEUE"/incoming "$POSTFIX_QUEUE"/deferred -type f 2>/dev/null | head -n 1)" ]; then
		break
	fi
	sleep 0.1
done
slot=${WIREBOOK_SLOT:-1}
case $slot in '' | *[!0-9]*) fail "WIREBOOK_SLOT=$slot: want a slot number" ;; esac
[ "$slot" -ge 1 ] && [ "$slot" -le "$SLOTS" ] || fail "WIREBOOK_SLOT=$slot: the servers have slots 1 to $SLOTS"
for box in "$(mail_dir_of "$slot")"/*/Maildir; do
	[ -d "$box" ] && rm -rf "$box"
done
exit 0
