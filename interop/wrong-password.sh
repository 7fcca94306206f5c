#!/usr/bin/env bash
# A wrong password against the real servers must give a clear failure that
# names the server and the step, and must not print the password, in clear
# or in base64. Run by `make interop` while the servers are up.
set -uo pipefail
cd "$(dirname "$0")/.."
. interop/common.sh

wrong='Wr0ng-interop-pw'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/wrong-password.md" <<'LAB'
# A login that should work

```imap
S: ...
C: a1 LOGIN ${user} ${password}
S: a1 OK ...
C: a2 LOGOUT
S: ...
```

```smtp
S: ...
C: EHLO client.example
S: ...
C: STARTTLS
S: ...
C: EHLO client.example
S: ...
C: AUTH PLAIN ${base64:\0${user}\0${password}}
S: 235 ...
C: QUIT
S: ...
```
LAB

out=$(WIREBOOK_REAL_PASSWORD="$wrong" ./bin/wirebook check --config wirebook.yaml --env real "$tmp/wrong-password.md" 2>&1)
status=$?
fail=0
expect() { grep -qF -- "$1" <<<"$out" || { say "wrong-password: missing in the output: $1"; fail=1; }; }
[ "$status" = 1 ] || { say "wrong-password: exit status $status, want 1"; fail=1; }
expect 'differs from server 127.0.0.1'
expect 'the reply to `a1 LOGIN ${user} ${password}` changed'
expect 'AUTHENTICATIONFAILED'
expect 'the reply to `AUTH PLAIN ${base64:\0${user}\0${password}}` changed'
expect '535 5.7.8'
expect '0 passed, 2 failed'
for leak in "$wrong" "$(printf '%s' "$wrong" | base64)" "$(printf '\0alice\0%s' "$wrong" | base64)"; do
	if grep -qF -- "$leak" <<<"$out"; then
		say "wrong-password: the output shows the password as $leak"
		fail=1
	fi
done
if [ "$fail" = 0 ]; then
	say "wrong-password: clear failure, no password shown"
else
	printf '%s\n' "$out"
fi
exit "$fail"
