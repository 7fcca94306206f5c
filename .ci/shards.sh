#!/usr/bin/env bash
# shards.sh: the course run as N shards, each in its own copy of the
# repository as on N CI machines, then merged; the merged verdicts and the
# site built from the merged caches must equal an unsharded run's.
# Usage: .ci/shards.sh WIREBOOK LABS [N]
set -euo pipefail
wb=$(realpath "$1") labs=$2 n=${3:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy() { mkdir -p "$work/$1" && cp -R "$labs" "$work/$1/labs" && [ ! -f wirebook.yaml ] || cp wirebook.yaml "$work/$1/"; }

copy whole
(cd "$work/whole" && { "$wb" check --json labs >check.json 2>check.err || true; } && "$wb" build --out site labs 2>/dev/null)
want=$(tail -n 1 "$work/whole/check.err")

inputs=()
for k in $(seq 1 "$n"); do
	copy "shard$k"
	(cd "$work/shard$k" && { "$wb" check --shard "$k/$n" --json --junit junit.xml labs >report.json 2>report.err || true; })
	echo "shards: shard $k/$n: $(tail -n 1 "$work/shard$k/report.err")"
	inputs+=("$work/shard$k/report.json" "$work/shard$k/junit.xml" "$work/shard$k/.wirebook/cache")
done

copy merged
cd "$work/merged"
got=$("$wb" report merge --json merged.json --junit merged.xml --cache .wirebook/cache "${inputs[@]}") || true
echo "shards: merged: $got; unsharded: $want"
[ "$got" = "$want" ] || { echo "shards: the merged line differs from the unsharded one" >&2; exit 1; }

# The same sessions, field for field, lab by lab.
python3 - "$work/whole/check.json" merged.json <<'PY'
import json, sys
def load(p):
    return json.JSONDecoder().raw_decode(open(p).read())[0]
a, b = load(sys.argv[1]), load(sys.argv[2])
key = lambda s: s["lab"]
sa, sb = sorted(a["sessions"], key=key), b["sessions"]
if sa != sb or sorted(a["errors"]) != b["errors"]:
    sys.exit("shards: the merged JSON report differs from the unsharded one")
labs = sorted({s["lab"] for s in sb})
print("shards: %d labs, %d sessions, same verdicts" % (len(labs), len(sb)))
PY

"$wb" build --from-cache --out site labs 2>/dev/null
diff -r "$work/whole/site" site >/dev/null || { diff -rq "$work/whole/site" site >&2; echo "shards: the site built from the merged caches differs" >&2; exit 1; }
echo "shards: the site built from the merged caches is byte-identical to the unsharded build"
