#!/usr/bin/env bash
# Exactly once through crashes: 50,000 records flow into a 4-partition topic
# while `sluice run` is killed with SIGKILL at random moments (at least three
# times) and restarted with the same application.id. Read with
# read_committed, the output must hold every expected record exactly once,
# in input order per key.
source "$(dirname "$0")/common.sh"
N=${SIGKILL_RECORDS:-50000}
in=sk_in_$RUN_ID
out=SK_OUT_$RUN_ID
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$in', 4)"
cat > "$WORK/app.properties" <<P
application.id=sk_$RUN_ID
listeners=http://127.0.0.1:0
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
batch.max.records=2000
transaction.timeout.ms=10000
P
cat > "$WORK/q.sql" <<S
CREATE STREAM s (id STRING KEY, seq BIGINT, v INT) WITH (KAFKA_TOPIC='$in', VALUE_FORMAT='JSON');
CREATE STREAM $out AS SELECT id, seq, v * 3 AS tripled FROM s WHERE v % 5 <> 0;
S
# the producer feeds records in chunks while sluice is killed and restarted
"$PY" - <<PY &
import kafkalib, time
N = $N
for chunk in range(10):
    recs = [("key%d" % (i % 101), {"seq": i, "v": i % 13}) for i in range(chunk * N // 10, (chunk + 1) * N // 10)]
    kafkalib.produce("$BOOTSTRAP", "$in", recs)
    time.sleep(0.7)
PY
feeder=$!
PIDS+=($feeder)
kills=0
for round in 1 2 3 4; do
  "$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2>> "$WORK/sluice.log" &
  pid=$!
  PIDS+=($pid)
  sleep "$(python3 -c 'import random; print(round(random.uniform(1.0, 3.0), 2))')"
  kill -9 $pid 2>/dev/null && kills=$((kills + 1))
  wait $pid 2>/dev/null || true
done
wait $feeder
# the last run drains everything and stops cleanly
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2>> "$WORK/sluice.log" &
pid=$!
PIDS+=($pid)
"$PY" - <<PY || { tail -30 "$WORK/sluice.log"; fail "exactly-once violated"; }
import json, kafkalib, collections
N = $N
exp = collections.defaultdict(list)
for i in range(N):
    if (i % 13) % 5 != 0:
        exp["key%d" % (i % 101)].append(i)
n = sum(len(v) for v in exp.values())
got = kafkalib.read_all("$BOOTSTRAP", "$out", expect=n, timeout=180)
act = collections.defaultdict(list)
for k, v, p, o, ts in sorted(got, key=lambda r: (r[2], r[3])):
    d = json.loads(v)
    assert d["TRIPLED"] == (d["SEQ"] % 13) * 3, d
    act[k].append(d["SEQ"])
seqs = [s for v in act.values() for s in v]
dups = len(seqs) - len(set(seqs))
missing = n - len(set(seqs))
print("expected %d, got %d records: %d duplicates, %d missing" % (n, len(got), dups, missing))
assert dups == 0 and missing == 0
for k in exp:
    assert act[k] == exp[k], "order differs for " + k
PY
kill -TERM $pid
wait $pid || fail "final run did not exit 0"
[ $kills -ge 3 ] || fail "only $kills kills happened"
echo "PASS sigkill ($kills kills)"
