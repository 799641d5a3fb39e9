#!/usr/bin/env bash
# `sluice demo --duration` runs on the mock cluster, shows results and stops
# by itself with exit 0.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
SLUICE=${1:-$repo/build/sluice}
out=$(cd "$repo" && timeout 60 "$SLUICE" demo --duration 4)
echo "$out" | grep -q "no transactions" || { echo "FAIL: the demo does not say the mock has no transactions"; exit 1; }
n=$(echo "$out" | grep -c '^HOT_READINGS ' || true)
[ "$n" -gt 0 ] || { echo "FAIL: no results shown"; echo "$out"; exit 1; }
echo "$out" | grep '^HOT_READINGS ' | grep -qv '"TEMP_F"' && { echo "FAIL: unexpected output shape"; exit 1; }
echo "PASS demo ($n results)"
