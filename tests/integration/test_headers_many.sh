#!/usr/bin/env bash
# Records with many headers: `sluice run` gives a HEADERS column every one of
# them and a HEADER('k') column the last value of its key, however many a
# record carries (a fixed array of 32 dropped the rest without a word).
source "$(dirname "$0")/common.sh"
in=hm_in_$RUN_ID
out=HM_OUT_$RUN_ID
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$in', 1)"
cat > "$WORK/app.properties" <<P
application.id=hm_$RUN_ID
listeners=http://127.0.0.1:0
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
P
cat > "$WORK/q.sql" <<S
CREATE STREAM s (id STRING KEY, v INT, hs ARRAY<STRUCT<KEY STRING, VALUE BYTES>> HEADERS, last BYTES HEADER('h39'))
  WITH (KAFKA_TOPIC='$in', VALUE_FORMAT='JSON');
CREATE STREAM $out AS SELECT id, v, ARRAY_LENGTH(hs) AS n, FROM_BYTES(last, 'utf8') AS last FROM s;
S
"$PY" - <<PY
from confluent_kafka import Producer
import json
p = Producer({"bootstrap.servers": "$BOOTSTRAP"})
for r, count in enumerate([3, 40, 100]):
    headers = [("h%d" % i, ("value %d" % i).encode()) for i in range(count)]
    p.produce("$in", key=b"k%d" % r, value=json.dumps({"v": count}).encode(), headers=headers)
p.flush(30)
PY
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2> "$WORK/sluice.log" & pid=$!; PIDS+=($pid)
"$PY" - <<PY || { tail -20 "$WORK/sluice.log" >&2; fail "headers"; }
import json, kafkalib
got = kafkalib.read_all("$BOOTSTRAP", "$out", expect=3, timeout=60)
assert len(got) == 3, got
rows = {k: json.loads(v) for k, v, *_ in got}
for key, count in (("k0", 3), ("k1", 40), ("k2", 100)):
    row = rows[key.encode()] if key.encode() in rows else rows[key]
    assert row["N"] == count, (key, row, count)
    assert row["LAST"] == ("value 39" if count > 39 else None), (key, row)
print("headers: every header of 3, 40 and 100 seen")
PY
kill -TERM $pid; wait $pid || fail "sluice exited non-zero"
echo "PASS headers many"
