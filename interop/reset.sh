#!/usr/bin/env bash
# Empties every lab mailbox of the running interop servers, so that each lab
# starts from empty mailboxes as it does against the embedded servers.
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
for box in "$WBI"/mail/*/Maildir; do
	[ -d "$box" ] && rm -rf "$box"
done
exit 0
