#!/usr/bin/env bash
# The README's Deploy commands without Docker, as written: the blocks after
# "<!-- deploy:run" and "<!-- deploy:read" are taken from README.md and run
# here, so this test fails when the README drifts from what works. They run
# in a tree that looks like the repository's root (scripts/, config/,
# docker/ and build/sluice, the binary under test), against scripts/kafka.sh
# (KAFKA_PORT), with the test venv's python3 first in PATH for the
# generator. The environment only says what the README leaves open: the
# state directory (XDG_STATE_HOME) and a free port for the endpoint
# (SLUICE_LISTENERS).
#
# Checked: Sluice creates `readings` (PARTITIONS=3) and the generator waits
# for it rather than create it; once the generator is stopped, HOT_READINGS
# holds exactly the readings above 30 degrees (in Fahrenheit), and
# READINGS_PER_SITE's latest row per site and minute has the count, average
# and maximum of that minute's readings; the README's kcat command prints
# every hot reading; SIGTERM stops Sluice with exit 0.
source "$(dirname "$0")/common.sh"

block() { # the indented block after README's <!-- deploy:$1 marker, unindented
  awk -v m="<!-- deploy:$1" '
    index($0, m) == 1 { on = 1; next }
    on && /^    / { print substr($0, 5); seen = 1; next }
    on && /^[ \t]*$/ { if (seen) print ""; next }
    on { exit }' "$repo/README.md"
}
run_block=$(block run)
read_block=$(block read)
[ -n "$run_block" ] || fail "README.md has no <!-- deploy:run block"
[ -n "$read_block" ] || fail "README.md has no <!-- deploy:read block"
echo "README's deploy:run block:"; echo "$run_block" | sed 's/^/    /'

# a fresh start: the example's topics and group from an earlier run removed
"$PY" - "$BOOTSTRAP" <<'PY'
import sys, time
from confluent_kafka.admin import AdminClient
a = AdminClient({"bootstrap.servers": sys.argv[1]})
def ours(t):
    return t in ("readings", "HOT_READINGS", "READINGS_PER_SITE") or t.startswith("sluice-sensors")
names = [t for t in a.list_topics(timeout=10).topics if ours(t)]
if names:
    for f in a.delete_topics(names).values():
        f.result(30)
try:
    for f in a.delete_consumer_groups(["sluice-sensors"]).values():
        f.result(30)
except Exception:
    pass  # no such group
deadline = time.time() + 60
while [t for t in a.list_topics(timeout=10).topics if ours(t)]:
    assert time.time() < deadline, "topics not deleted"
    time.sleep(0.5)
PY

tree=$WORK/tree
mkdir -p "$tree/build" "$WORK/state"
for d in scripts config docker; do ln -s "$repo/$d" "$tree/$d"; done
ln -s "$SLUICE" "$tree/build/sluice"
export PATH="$(dirname "$PY"):$PATH" XDG_STATE_HOME=$WORK/state SLUICE_LISTENERS=http://127.0.0.1:0
unset KAFKA_BOOTSTRAP
cd "$tree"
eval "$run_block" > "$WORK/deploy.out" 2> "$WORK/deploy.log"
[ "${KAFKA_BOOTSTRAP:-}" = "$BOOTSTRAP" ] || fail "the block set KAFKA_BOOTSTRAP=${KAFKA_BOOTSTRAP:-} (broker: $BOOTSTRAP)"
sluice_pid= datagen_pid=
for p in $(jobs -p); do
  PIDS+=("$p")
  case "$(ps -o args= -p "$p")" in
    *sluice\ run*) sluice_pid=$p ;;
    *datagen.py*) datagen_pid=$p ;;
  esac
done
[ -n "$sluice_pid" ] && [ -n "$datagen_pid" ] || fail "the block did not start sluice and the generator: $(jobs -l)"

port=$(endpoint_port "$WORK/deploy.log" $sluice_pid)

# records flow for a while, then the generator stops (SIGTERM: it flushes)
"$PY" - "$BOOTSTRAP" <<'PY' || { tail -30 "$WORK/deploy.log" >&2; cat "$WORK/deploy.out" >&2; fail "no readings"; }
import sys, time
from confluent_kafka import Consumer, TopicPartition
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "deploy-probe"})
deadline = time.time() + 90
while time.time() < deadline:
    t = c.list_topics(timeout=10).topics.get("readings")
    if t is not None and t.partitions:
        n = sum(c.get_watermark_offsets(TopicPartition("readings", p), timeout=10)[1] for p in t.partitions)
        if n >= 40:
            print("readings: %d partitions, %d records so far" % (len(t.partitions), n))
            assert len(t.partitions) == 3, "readings has %d partitions, not config/sensors.sql's 3" % len(t.partitions)
            sys.exit(0)
    time.sleep(0.5)
sys.exit("fewer than 40 readings after 90 s")
PY
kill -TERM "$datagen_pid"
wait "$datagen_pid" || true
grep -q "waiting for topic readings" "$WORK/deploy.out" || echo "(the generator found the topic at once)"
grep -q "writing sensor readings to readings (3 partitions)" "$WORK/deploy.out" || { cat "$WORK/deploy.out" >&2; fail "generator did not start writing"; }

"$PY" - "$BOOTSTRAP" "$WORK/hot.json" <<'PY' || { tail -30 "$WORK/deploy.log" >&2; fail "results"; }
import collections, json, sys, time
from confluent_kafka import Consumer, TopicPartition
import kafkalib
bootstrap = sys.argv[1]

def read_raw(topic, until):
    """(key bytes, value dict, ts) of the whole topic, read_committed, once until(records) holds"""
    deadline = time.time() + 90
    while True:
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "deploy-check", "isolation.level": "read_committed",
                      "enable.auto.commit": False, "enable.partition.eof": True})
        parts = kafkalib.partitions(c, topic)
        c.assign([TopicPartition(topic, p, 0) for p in parts])
        out, eof = [], set()
        while len(eof) < len(parts):
            m = c.poll(5)
            if m is None:
                break
            if m.error():
                eof.add(m.partition())
                continue
            out.append((m.key(), json.loads(m.value()), m.timestamp()[1]))
        c.close()
        if until(out) or time.time() > deadline:
            return out
        time.sleep(1)

inputs = read_raw("readings", lambda r: True)
n = len(inputs)
assert n >= 40, n
hot = sorted((k.decode(), round(v["temp"] * 9 / 5 + 32, 9)) for k, v, _ in inputs if v["temp"] > 30)
got = read_raw("HOT_READINGS", lambda r: len(r) >= len(hot))
got_hot = sorted((k.decode(), round(v["TEMP_F"], 9)) for k, v, _ in got)
assert got_hot == hot, "HOT_READINGS: %d records, %d expected; first differences %s" % (
    len(got_hot), len(hot), [x for x in got_hot if x not in hot][:3] + [x for x in hot if x not in got_hot][:3])

groups = collections.defaultdict(list)
for k, v, ts in inputs:
    groups[(v["site"], ts - ts % 60000)].append(v["temp"])
def latest_rows(rows):
    last = {}
    for k, v, _ in rows:  # a key's updates are in one partition, in order
        last[(k[:-8].decode(), int.from_bytes(k[-8:], "big"))] = v
    return last
def complete(rows):
    last = latest_rows(rows)
    return all(last.get(g, {}).get("READINGS") == len(t) for g, t in groups.items())
last = latest_rows(read_raw("READINGS_PER_SITE", complete))
assert set(last) == set(groups), ("windows", sorted(set(last) ^ set(groups))[:5])
for g, temps in groups.items():
    row = last[g]
    assert row["READINGS"] == len(temps), (g, row, len(temps))
    assert abs(row["AVG_TEMP"] - sum(temps) / len(temps)) < 1e-9, (g, row)
    assert row["MAX_TEMP"] == max(temps), (g, row)
json.dump(len(hot), open(sys.argv[2], "w"))
print("deploy: %d readings in, %d hot readings and %d site-minutes exact" % (n, len(hot), len(groups)))
PY

# the README's read command prints every hot reading
lines=$(eval "$read_block" 2>/dev/null | grep -c '^sensor-[0-9]* {' || true)
[ "$lines" = "$(cat "$WORK/hot.json")" ] || fail "the README's kcat command printed $lines hot readings, not $(cat "$WORK/hot.json")"
echo "README's read command: $lines hot readings"

kill -TERM "$sluice_pid"
rc=0
wait "$sluice_pid" || rc=$?
[ $rc -eq 0 ] || { tail -20 "$WORK/deploy.log" >&2; fail "sluice exited $rc after SIGTERM"; }
echo "PASS deploy"
