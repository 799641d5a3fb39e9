#!/usr/bin/env bash
# Exactly once for a stream-stream FULL OUTER JOIN with a GRACE PERIOD,
# whose unmatched records wait in the outer store until their window closes:
# both topics are filled before start, `sluice run` is killed with SIGKILL
# at random moments (at least three times) and restarted; the output must
# be exactly what the reference model (tests/model) computes for the records
# taken in timestamp order, as one uninterrupted run computes it. A restored
# join must have the held records, the join's stream time and Kafka
# Streams' minTime the lost one had.
source "$(dirname "$0")/common.sh"
N=${OUTER_RESTORE_RECORDS:-3000}
left=jor_l_$RUN_ID
right=jor_r_$RUN_ID
out=JOR_OUT_$RUN_ID
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$left', 1); kafkalib.create_topic('$BOOTSTRAP', '$right', 1)"
cat > "$WORK/app.properties" <<P
application.id=jor_$RUN_ID
listeners=http://127.0.0.1:0
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
batch.max.records=50
transaction.timeout.ms=10000
P
cat > "$WORK/q.sql" <<S
CREATE STREAM l (id STRING KEY, v BIGINT) WITH (KAFKA_TOPIC='$left', VALUE_FORMAT='JSON');
CREATE STREAM r (id STRING KEY, v BIGINT) WITH (KAFKA_TOPIC='$right', VALUE_FORMAT='JSON');
CREATE STREAM $out AS SELECT ROWKEY AS k, l.v AS lv, r.v AS rv
  FROM l FULL OUTER JOIN r WITHIN 40 MILLISECONDS GRACE PERIOD 15 MILLISECONDS ON l.id = r.id;
S
# every time unique (left even, right odd), increasing per topic; the
# expected output is the model's over the merge of both by time
"$PY" - <<PY
import json, random, kafkalib
rng = random.Random(7)
t0 = 1_700_000_000_000
recs = {"l": [], "r": []}
t = {"l": t0, "r": t0 + 1}
for i in range($N):
    for side in ("l", "r"):
        t[side] += 2 * rng.randint(1, 20)
        recs[side].append(("k%d" % rng.randint(0, 30), {"V": i}, t[side]))
kafkalib.produce("$BOOTSTRAP", "$left", recs["l"])
kafkalib.produce("$BOOTSTRAP", "$right", recs["r"])
json.dump(recs, open("$WORK/recs.json", "w"))
PY
kills=0
for round in 1 2 3 4; do
  "$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2>> "$WORK/sluice.log" &
  pid=$!
  PIDS+=($pid)
  sleep "$(python3 -c 'import random; print(round(random.uniform(1.5, 3.0), 2))')"
  kill -9 $pid 2>/dev/null && kills=$((kills + 1))
  wait $pid 2>/dev/null || true
done
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2>> "$WORK/sluice.log" &
pid=$!
PIDS+=($pid)
PYTHONPATH="$PYTHONPATH:$repo/tests/model" "$PY" - <<PY || { tail -30 "$WORK/sluice.log"; fail "the join's output differs from one uninterrupted run"; }
import json, kafkalib, engine
recs = json.load(open("$WORK/recs.json"))
merged = sorted([("$left", r) for r in recs["l"]] + [("$right", r) for r in recs["r"]], key=lambda x: x[1][2])
case = {"statements": open("$WORK/q.sql").read().split(";\n"),
        "inputs": [{"topic": t, "key": k, "value": v, "timestamp": ts} for t, (k, v, ts) in merged]}
want = [(o["key"], o["value"], o["timestamp"]) for o in engine.expected_outputs(case)]
got = kafkalib.read_all("$BOOTSTRAP", "$out", expect=len(want), timeout=180, idle=15)
got = [(k, json.loads(v), ts) for k, v, p, o, ts in sorted(got, key=lambda r: r[3])]
print("expected %d records, got %d" % (len(want), len(got)))
for i, (w, g) in enumerate(zip(want, got)):
    assert w == g, "record %d: expected %s, got %s" % (i, w, g)
assert len(want) == len(got)
PY
kill -TERM $pid
wait $pid || fail "final run did not exit 0"
[ $kills -ge 3 ] || fail "only $kills kills happened"
echo "PASS join outer restore ($kills kills)"
