#!/usr/bin/env bash
# A producer error that is fatal but not a fencing (librdkafka fails an
# abort with INVALID_TXN_STATE after delivery timeouts, as a first
# transaction over hundreds of new partitions on a busy broker showed) no
# longer stops the worker: the producer is replaced under the same
# transactional.id, the batch is redone from the last commit, and the
# results stay exact. The fatal error is injected before the 3rd commit
# (SLUICE_TEST_PRODUCER_FATAL_AT, read by the Kafka driver for tests only);
# totals per region are checked against the input, the log and
# /metrics must show one replacement, and SIGTERM must exit 0.
source "$(dirname "$0")/common.sh"
orders=pr_orders_$RUN_ID
totals=PR_TOTALS_$RUN_ID
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$orders', 2)"
cat > "$WORK/app.properties" <<P
application.id=pr_$RUN_ID
listeners=http://127.0.0.1:0
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
batch.max.records=100
P
cat > "$WORK/q.sql" <<S
CREATE STREAM orders (id STRING KEY, region STRING, amount INT) WITH (KAFKA_TOPIC='$orders', VALUE_FORMAT='JSON');
CREATE TABLE $totals AS SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY region EMIT CHANGES;
S
"$PY" -c "
import kafkalib
kafkalib.produce('$BOOTSTRAP', '$orders', [('o%d' % i, {'region': 'r%d' % (i % 6), 'amount': i % 50}) for i in range(1500)])"
SLUICE_TEST_PRODUCER_FATAL_AT=3 "$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2> "$WORK/sluice.log" &
pid=$!
PIDS+=($pid)
port=$(endpoint_port "$WORK/sluice.log" $pid)
"$PY" - <<PY || { grep -v DEBUG "$WORK/sluice.log" | tail -30; fail "totals differ after the producer was replaced"; }
import json, kafkalib, time
exp = {}
for i in range(1500):
    r = "r%d" % (i % 6)
    n, t = exp.get(r, (0, 0))
    exp[r] = (n + 1, t + i % 50)
deadline = time.time() + 120
while True:
    last = {k: (json.loads(v)["N"], json.loads(v)["TOTAL"]) for k, v, p, o, ts in
            kafkalib.read_all("$BOOTSTRAP", "$totals", timeout=30, idle=2)}
    if last == exp or time.time() > deadline:
        break
    time.sleep(1)
print("totals", last)
assert last == exp, "expected %s" % exp
PY
grep -q "replacing the producer" "$WORK/sluice.log" || { tail -20 "$WORK/sluice.log"; fail "no producer replacement in the log"; }
grep "replacing the producer" "$WORK/sluice.log" | cut -c1-220
replaced=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^sluice_producers_replaced_total/ {s += $2} END {print s + 0}')
[ "$replaced" = 1 ] || fail "sluice_producers_replaced_total is $replaced, expected 1"
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 0 ] || { tail -20 "$WORK/sluice.log"; fail "sluice exited $rc after SIGTERM"; }
echo "PASS producer replaced"
