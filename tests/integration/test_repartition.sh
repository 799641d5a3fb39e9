#!/usr/bin/env bash
# Grouping and joining by a column that is not the message key, on a
# 4-partition input: records go through the query's internal repartition
# topic so that equal keys meet in one task. Checked against totals computed
# here from the input: every region's last COUNT and SUM are exact (without
# repartitioning each partition would count its share), every order joins
# its region's row of a table keyed by region, and a table of users grouped
# by region follows moves and deletes (the old row leaves its group on one
# partition, the new row joins its group on another).
source "$(dirname "$0")/common.sh"
orders=rp_orders_$RUN_ID
regions=rp_regions_$RUN_ID
totals=RP_TOTALS_$RUN_ID
users=rp_users_$RUN_ID
per_region=RP_PER_REGION_$RUN_ID
enriched=RP_ENRICHED_$RUN_ID
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$orders', 4); kafkalib.create_topic('$BOOTSTRAP', '$regions', 4); kafkalib.create_topic('$BOOTSTRAP', '$users', 4)"
cat > "$WORK/app.properties" <<P
application.id=rp_$RUN_ID
listeners=http://127.0.0.1:0
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
P
cat > "$WORK/q.sql" <<S
CREATE STREAM orders (id STRING KEY, region STRING, amount INT) WITH (KAFKA_TOPIC='$orders', VALUE_FORMAT='JSON');
CREATE TABLE regions (region STRING PRIMARY KEY, label STRING) WITH (KAFKA_TOPIC='$regions', VALUE_FORMAT='JSON');
CREATE TABLE $totals AS SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY region EMIT CHANGES;
CREATE STREAM $enriched AS SELECT o.id, o.region, r.label FROM orders o JOIN regions r ON o.region = r.region EMIT CHANGES;
CREATE TABLE users (id STRING PRIMARY KEY, region STRING) WITH (KAFKA_TOPIC='$users', VALUE_FORMAT='JSON');
CREATE TABLE $per_region AS SELECT region, COUNT(*) AS n FROM users GROUP BY region EMIT CHANGES;
S
"$PY" - <<PY
import kafkalib
# the table first, keyed by region (the Java-compatible partitioner of the
# client puts each region where a Kafka Streams application would look)
kafkalib.produce("$BOOTSTRAP", "$regions", [("r%d" % r, {"label": "region %d" % r}) for r in range(5)])
PY
sleep 1
"$PY" - <<PY
import kafkalib
kafkalib.produce("$BOOTSTRAP", "$orders", [("u%d" % i, {"region": "r%d" % (i % 5), "amount": i % 100}) for i in range(3000)])
# 500 users in 5 regions; then every third moves to r9 and every seventh leaves
kafkalib.produce("$BOOTSTRAP", "$users", [("p%d" % i, {"region": "r%d" % (i % 5)}) for i in range(500)])
kafkalib.produce("$BOOTSTRAP", "$users", [("p%d" % i, {"region": "r9"}) for i in range(0, 500, 3)])
kafkalib.produce("$BOOTSTRAP", "$users", [("p%d" % i, None) for i in range(0, 500, 7)])
PY
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2> "$WORK/sluice.log" &
pid=$!
PIDS+=($pid)
"$PY" - <<PY || { tail -30 "$WORK/sluice.log"; fail "repartitioned results differ"; }
import json, kafkalib, time
exp = {}
for i in range(3000):
    r = "r%d" % (i % 5)
    n, t = exp.get(r, (0, 0))
    exp[r] = (n + 1, t + i % 100)
deadline = time.time() + 90
while True:
    got = kafkalib.read_all("$BOOTSTRAP", "$totals", timeout=30, idle=3)
    last = {}
    for k, v, p, o, ts in got:
        d = json.loads(v)
        last[k] = (d["N"], d["TOTAL"])
    if last == exp or time.time() > deadline:
        break
print("totals", last)
assert last == exp, "per-region totals differ: expected %s" % exp
final = {}
for i in range(500):
    if i % 7 == 0:
        continue
    r = "r9" if i % 3 == 0 else "r%d" % (i % 5)
    final[r] = final.get(r, 0) + 1
deadline = time.time() + 90
while True:
    got = kafkalib.read_all("$BOOTSTRAP", "$per_region", timeout=30, idle=3)
    per = {}
    for k, v, p, o, ts in got:
        per[k] = json.loads(v)["N"] if v is not None else 0
    per = {k: n for k, n in per.items() if n}
    if per == final or time.time() > deadline:
        break
print("users per region", per)
assert per == final, "users per region differ: expected %s" % final
joined = kafkalib.read_all("$BOOTSTRAP", "$enriched", expect=3000, timeout=60)
ids = set()
for k, v, p, o, ts in joined:
    d = json.loads(v)
    assert d["LABEL"] == "region %s" % k[1:], (k, d)  # keyed by the region it joined
    ids.add(d["ID"])
print("joined", len(joined), "distinct orders", len(ids))
assert len(joined) == 3000 and len(ids) == 3000, "expected each of 3000 orders joined once"
PY
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 0 ] || fail "sluice exited $rc after SIGTERM"
echo "PASS repartition"
