#!/usr/bin/env bash
# Records produced to the input topic come out of `sluice run` projected and
# filtered, once each, in order per key; SIGTERM exits 0.
source "$(dirname "$0")/common.sh"
in=pf_in_$RUN_ID
out=PF_OUT_$RUN_ID
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$in', 4)"
cat > "$WORK/app.properties" <<P
application.id=pf_$RUN_ID
listeners=http://127.0.0.1:0
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
P
cat > "$WORK/q.sql" <<S
CREATE STREAM s (id STRING KEY, amount INT, name STRING) WITH (KAFKA_TOPIC='$in', VALUE_FORMAT='JSON');
CREATE STREAM $out AS SELECT id, amount * 2 AS doubled, name FROM s WHERE amount > 10 AND NOT name = 'skip' EMIT CHANGES;
S
"$PY" - <<PY
import kafkalib
recs = [("k%d" % (i % 37), {"amount": i % 50, "name": "skip" if i % 7 == 0 else "n%d" % i, "seq": i}) for i in range(1000)]
kafkalib.produce("$BOOTSTRAP", "$in", recs)
PY
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2> "$WORK/sluice.log" &
pid=$!
PIDS+=($pid)
"$PY" - <<PY || { tail -20 "$WORK/sluice.log"; fail "outputs differ"; }
import json, kafkalib, collections
exp = collections.defaultdict(list)
for i in range(1000):
    amount, name = i % 50, ("skip" if i % 7 == 0 else "n%d" % i)
    if amount > 10 and name != "skip":
        exp["k%d" % (i % 37)].append({"DOUBLED": amount * 2, "NAME": name})
n = sum(len(v) for v in exp.values())
got = kafkalib.read_all("$BOOTSTRAP", "$out", expect=n, timeout=60)
act = collections.defaultdict(list)
for k, v, p, o, ts in got:
    act[k].append(json.loads(v))
print("expected %d records, got %d" % (n, len(got)))
assert dict(act) == dict(exp), "per-key outputs differ"
PY
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 0 ] || fail "sluice exited $rc after SIGTERM"
grep -q "stopping:" "$WORK/sluice.log" || fail "no clean shutdown in the log"
echo "PASS project_filter"
