#!/usr/bin/env bash
# Runs Sluice's own regression cases (tests/cases/*.json, hand-written, and
# tests/difftest/*.json, saved by scripts/difftest) through `sluice test`
# with the conformance runner; fails unless every case passes.
# usage: tests/cases/run.sh path/to/sluice [SUBSTRING]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$repo/build/sluice}
only=${2:-}
runner=$repo/../shared/conformance/qtt/run
report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
for dir in "$repo/tests/cases" "$repo/tests/difftest"; do
  ls "$dir"/*.json >/dev/null 2>&1 || continue
  last=$("$runner" --sluice "$bin" --cases "$dir" --only "$only" --quiet --jobs "$(nproc)" --timeout 60 \
           --report "$report" | tail -n 1)
  echo "${dir#"$repo"/}: $last"
  python3 - "$report" <<'PY' || status=1
import json, sys
bad = sorted((c, r) for c, r in json.load(open(sys.argv[1])).items() if r != "pass")
for c, r in bad:
    print("  %s: %s" % (r, c))
sys.exit(1 if bad else 0)
PY
done
exit $status
