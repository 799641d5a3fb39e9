#!/usr/bin/env bash
# Windowed results land in the partitions Kafka Streams chooses. A windowed
# key is the inner key's bytes followed by the window (8-byte big-endian
# start; a session window's end then start). Kafka Streams' sink partitions
# it with WindowedStreamPartitioner: murmur2 of the inner key only, positive,
# modulo the partition count, so every window of a key is in the key's
# partition; a non-windowed key is partitioned by murmur2 of the whole key.
# A tumbling, a hopping and a session aggregation and a plain one run with
# `sluice run` over a 4-partition topic; every output record's partition is
# checked against murmur2 computed here, independently, from Kafka's
# algorithm (checked first against the values Kafka's own tests give).
source "$(dirname "$0")/common.sh"
input=wp_input_$RUN_ID
tumbling=WP_TUMBLING_$RUN_ID
hopping=WP_HOPPING_$RUN_ID
session=WP_SESSION_$RUN_ID
plain=WP_PLAIN_$RUN_ID
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$input', 4)"
cat > "$WORK/app.properties" <<P
application.id=wp_$RUN_ID
listeners=http://127.0.0.1:0
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
P
cat > "$WORK/q.sql" <<S
CREATE STREAM readings (id STRING KEY, v INT) WITH (KAFKA_TOPIC='$input', VALUE_FORMAT='JSON');
CREATE TABLE $tumbling AS SELECT id, COUNT(*) AS n FROM readings WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY id EMIT CHANGES;
CREATE TABLE $hopping AS SELECT id, SUM(v) AS s FROM readings WINDOW HOPPING (SIZE 20 SECONDS, ADVANCE BY 10 SECONDS) GROUP BY id EMIT CHANGES;
CREATE TABLE $session AS SELECT id, COUNT(*) AS n FROM readings WINDOW SESSION (3 SECONDS) GROUP BY id EMIT CHANGES;
CREATE TABLE $plain AS SELECT id, COUNT(*) AS n FROM readings GROUP BY id EMIT CHANGES;
S
# 24 keys, each with readings in 6 tumbling windows (and 6 sessions: the
# gaps are longer than 3 seconds)
"$PY" - <<PY
import kafkalib
base = 1700000000000
recs = []
for w in range(6):
    for k in range(24):
        recs.append(("sensor-%d" % k, {"V": k + w}, base + w * 10000 + k * 10))
kafkalib.produce("$BOOTSTRAP", "$input", recs)
PY
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2> "$WORK/sluice.log" &
pid=$!
PIDS+=($pid)
"$PY" - <<PY || { tail -30 "$WORK/sluice.log"; fail "output records are not in Kafka Streams' partitions"; }
import time
from confluent_kafka import Consumer, TopicPartition
import kafkalib


def murmur2(data):
    """Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as an
    unsigned 32-bit value"""
    seed, m, r = 0x9747B28C, 0x5BD1E995, 24
    n = len(data)
    h = (seed ^ n) & 0xFFFFFFFF
    for i in range(n // 4):
        k = data[4 * i] | data[4 * i + 1] << 8 | data[4 * i + 2] << 16 | data[4 * i + 3] << 24
        k = k * m & 0xFFFFFFFF
        k ^= k >> r
        k = k * m & 0xFFFFFFFF
        h = h * m & 0xFFFFFFFF
        h ^= k
    tail = n & ~3
    left = n % 4
    if left == 3:
        h ^= data[tail + 2] << 16
    if left >= 2:
        h ^= data[tail + 1] << 8
    if left >= 1:
        h ^= data[tail]
        h = h * m & 0xFFFFFFFF
    h ^= h >> 13
    h = h * m & 0xFFFFFFFF
    h ^= h >> 15
    return h


def signed(x):
    return x - (1 << 32) if x >= 1 << 31 else x


# the values Kafka's UtilsTest.testMurmur2 expects
for text, want in [(b"21", -973932308), (b"foobar", -790332482), (b"a-little-bit-long-string", -985981536),
                   (b"a-little-bit-longer-string", -1486304829),
                   (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971), (b"abc", 479470107)]:
    assert signed(murmur2(text)) == want, (text, signed(murmur2(text)), want)


def partition_of(key_bytes, partitions):
    return (murmur2(key_bytes) & 0x7FFFFFFF) % partitions


def read_raw(topic, expect, timeout=90):
    """every record of the topic, read_committed: (key bytes, partition)"""
    c = Consumer({"bootstrap.servers": "$BOOTSTRAP", "group.id": "wp-%f" % time.time(),
                  "isolation.level": "read_committed", "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    parts = kafkalib.partitions(c, topic)
    c.assign([TopicPartition(topic, p, 0) for p in parts])
    out, deadline, last = [], time.time() + timeout, time.time()
    while time.time() < deadline:
        msg = c.poll(0.5)
        if msg is None:
            if len(out) >= expect and time.time() - last > 3:
                break
            continue
        if msg.error():
            continue
        last = time.time()
        out.append((msg.key(), msg.partition()))
    c.close()
    return out, len(parts)


def check(topic, suffix, expect_keys, expect_windows):
    recs, n = read_raw(topic, expect_keys * expect_windows)
    assert n == 4, "%s has %d partitions, expected 4 (as its source)" % (topic, n)
    wrong, keys, windows = [], set(), set()
    for key, part in recs:
        inner = key[:len(key) - suffix]
        keys.add(inner)
        windows.add(key[len(key) - suffix:])
        if part != partition_of(inner, n):
            wrong.append((key, part, partition_of(inner, n), partition_of(key, n)))
    print("%s: %d records, %d keys, %d windows, %d in the wrong partition" % (topic, len(recs), len(keys),
                                                                           len(windows), len(wrong)))
    assert len(keys) == expect_keys and len(windows) >= expect_windows, "too few records to judge"
    assert not wrong, "records not in their inner key's partition (key, got, inner-key hash, whole-key hash): %s" \
        % wrong[:5]


check("$tumbling", 8, 24, 6)   # inner key + start
check("$hopping", 8, 24, 7)    # inner key + start: each reading in two windows
check("$session", 16, 24, 6)   # inner key + end + start
recs, n = read_raw("$plain", 24)
wrong = [(k, p) for k, p in recs if p != partition_of(k, n)]
print("$plain: %d records, %d in the wrong partition" % (len(recs), len(wrong)))
assert recs and not wrong, "non-windowed keys not partitioned by murmur2 of the whole key: %s" % wrong[:5]
PY
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 0 ] || fail "sluice exited $rc after SIGTERM"
echo "PASS windowed partitions"
