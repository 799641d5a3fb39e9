#!/usr/bin/env bash
# Conformance ratchet: runs ksqlDB's query-validation corpus through
# `sluice test` and fails when a case listed in qtt-passing.txt no longer
# passes. Prints the corpus summary and how many pass but are not listed.
# usage: tests/conformance/ratchet.sh path/to/sluice
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$repo/build/sluice}
runner=$repo/../shared/conformance/qtt/run
list=$repo/tests/conformance/qtt-passing.txt
report=$(mktemp)
trap 'rm -f "$report"' EXIT
"$runner" --sluice "$bin" --quiet --jobs "$(nproc)" --timeout 20 --report "$report"
python3 - "$report" "$list" <<'PY'
import json, os, sys
rep = json.load(open(sys.argv[1]))
# ids may end in a space: only the newline is stripped
want = [l.rstrip("\n") for l in open(sys.argv[2])] if os.path.exists(sys.argv[2]) else []
want = [w for w in want if w]
lost = [c for c in want if rep.get(c) != "pass"]
passing = sum(1 for r in rep.values() if r == "pass")
print("ratchet: %d listed, %d no longer pass, %d pass but are not listed" % (len(want), len(lost), passing - (len(want) - len(lost))))
for c in lost:
    print("  lost: %s (%s)" % (c, rep.get(c, "missing")))
sys.exit(1 if lost else 0)
PY
