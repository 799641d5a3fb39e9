#!/usr/bin/env bash
# `sluice demo --duration` runs on the mock cluster from a directory that
# holds no config/ (its queries are compiled into the binary), says that the
# mock has no transactions, shows the three results of its queries and stops
# by itself with exit 0: the filter's readings (all above 30 °C), the
# windowed aggregation's rows (EMIT FINAL: one row per site and window,
# never two), the join's alerts (each above its sensor's limit, with its
# room). On a terminal (a pty from `script`) it draws a screen in place.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
SLUICE=${1:-$repo/build/sluice}
case "$SLUICE" in /*) ;; *) SLUICE=$repo/$SLUICE ;; esac
elsewhere=$(mktemp -d)
trap 'rm -rf "$elsewhere"' EXIT
cd "$elsewhere"

# the built-in queries are the repository's config/demo.sql
"$SLUICE" demo --sql > demo.sql
cmp -s demo.sql "$repo/config/demo.sql" || { echo "FAIL: sluice demo --sql differs from config/demo.sql"; exit 1; }

start=$(date +%s%N)
timeout 90 "$SLUICE" demo --duration 15 > out.txt 2> err.txt || { cat out.txt err.txt; echo "FAIL: demo exited non-zero"; exit 1; }
echo "demo ran $(( ($(date +%s%N) - start) / 1000000 )) ms (15 s asked)"
grep -q "no transactions" out.txt || { echo "FAIL: the demo does not say the mock has no transactions"; exit 1; }

python3 - out.txt <<'PY' || { cat err.txt; exit 1; }
import json, sys
rows = {"HOT_READINGS": [], "SITE_SUMMARY": [], "ALERTS": []}
for line in open(sys.argv[1]):
    topic, sep, rest = line.partition("  ")
    if topic in rows and " -> " in rest:
        key, _, value = rest.rstrip("\n").partition(" -> ")
        rows[topic].append((key, json.loads(value)))
for topic, got in rows.items():
    assert got, "no %s results shown" % topic
for key, v in rows["HOT_READINGS"]:
    assert key.startswith("sensor-") and v["TEMP_F"] > 86, ("filter let through", key, v)
windows = set()
for site, v in rows["SITE_SUMMARY"]:
    assert site in ("north", "south", "east", "west"), ("window key", site)
    assert v["WINDOW_END"] - v["WINDOW_START"] == 5000, v
    assert v["READINGS"] > 0 and v["MAX_TEMP"] >= v["AVG_TEMP"], v
    assert (site, v["WINDOW_START"]) not in windows, ("EMIT FINAL emitted a window twice", site, v)
    windows.add((site, v["WINDOW_START"]))
for key, v in rows["ALERTS"]:
    assert v["TEMP"] > v["MAX_TEMP"] and v["ROOM"], ("alert under its limit", key, v)
print("demo results: %d hot readings, %d closed site windows, %d alerts" %
      tuple(len(rows[t]) for t in ("HOT_READINGS", "SITE_SUMMARY", "ALERTS")))
PY

# on a terminal: one screen redrawn in place (cursor home), with the panels
if command -v script >/dev/null 2>&1; then
  TERM=xterm timeout 60 script -qfec "stty rows 40 cols 120; '$SLUICE' demo --duration 7" /dev/null > tty.txt 2>&1 \
    || { cat tty.txt; echo "FAIL: demo on a terminal exited non-zero"; exit 1; }
  homes=$(grep -o $'\033\\[H' tty.txt | wc -l)
  [ "$homes" -ge 5 ] || { echo "FAIL: the screen was drawn $homes time(s), expected a redraw every 250 ms"; exit 1; }
  for t in HOT_READINGS SITE_SUMMARY ALERTS; do
    grep -q "$t" tty.txt || { echo "FAIL: no $t panel on the terminal"; exit 1; }
  done
  ! grep -q "^HOT_READINGS  sensor" tty.txt || { echo "FAIL: plain lines on a terminal"; exit 1; }
  echo "terminal view: $homes redraws"
fi
echo "PASS demo"
