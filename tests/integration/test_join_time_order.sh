#!/usr/bin/env bash
# A stream-table join over two topics filled before `sluice run` starts,
# the stream's records produced first: each task takes the oldest record
# among its partitions (the partition group), so every order meets the
# customer row written before it, as in ksqlDB, whatever order the
# consumer fetches the two topics in.
source "$(dirname "$0")/common.sh"
orders=jto_orders_$RUN_ID
customers=jto_customers_$RUN_ID
out=JTO_OUT_$RUN_ID
N=20000
C=500
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$orders', 4); kafkalib.create_topic('$BOOTSTRAP', '$customers', 4)"
cat > "$WORK/app.properties" <<P
application.id=jto_$RUN_ID
listeners=http://127.0.0.1:0
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
batch.max.records=2000
P
cat > "$WORK/q.sql" <<S
CREATE TABLE customers (id STRING PRIMARY KEY, tier INT) WITH (KAFKA_TOPIC='$customers', VALUE_FORMAT='JSON');
CREATE STREAM orders (customer STRING KEY, amount INT) WITH (KAFKA_TOPIC='$orders', VALUE_FORMAT='JSON');
CREATE STREAM $out AS SELECT o.customer AS customer, o.amount AS amount, c.tier AS tier
  FROM orders o JOIN customers c ON o.customer = c.id EMIT CHANGES;
S
"$PY" - <<PY
import time, kafkalib
t0 = int(time.time() * 1000) - 600_000
# orders first, all younger than every customer row
kafkalib.produce("$BOOTSTRAP", "$orders", [("c%d" % (i % $C), {"amount": i}, t0 + 60_000 + i) for i in range($N)])
kafkalib.produce("$BOOTSTRAP", "$customers", [("c%d" % c, {"tier": c % 3}, t0 + c) for c in range($C)])
PY
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2> "$WORK/sluice.log" &
pid=$!
PIDS+=($pid)
"$PY" - <<PY || { grep -E "WARN|ERROR" "$WORK/sluice.log" | tail; fail "orders did not all meet their customer"; }
import json, kafkalib
got = kafkalib.read_all("$BOOTSTRAP", "$out", expect=$N, timeout=120, idle=10)
amounts = sorted(json.loads(v)["AMOUNT"] for k, v, p, o, t in got)
wrong = [json.loads(v) for k, v, p, o, t in got if json.loads(v)["TIER"] != int(k[1:]) % 3]
print("joined %d of $N orders, %d with a wrong tier" % (len(amounts), len(wrong)))
assert amounts == list(range($N)) and not wrong, "lost or duplicated"
PY
kill -TERM $pid
wait $pid || fail "sluice did not exit 0"
echo "PASS join in time order"
