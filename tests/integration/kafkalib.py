"""Kafka helpers for the integration tests, on confluent-kafka: a client
independent of Sluice's own code, used to create topics, produce inputs and
read outputs back with read_committed."""
import json
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def admin(bootstrap):
    return AdminClient({"bootstrap.servers": bootstrap})


def create_topic(bootstrap, name, partitions):
    a = admin(bootstrap)  # must outlive the futures
    fs = a.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    for f in fs.values():
        f.result(30)


def produce(bootstrap, topic, records):
    """records: iterable of (key str, value dict|bytes|None[, timestamp ms])"""
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "partitioner": "murmur2_random"})
    for r in records:
        k, v = r[0], r[1]
        ts = r[2] if len(r) > 2 else 0
        if isinstance(v, dict):
            v = json.dumps(v).encode()
        while True:
            try:
                p.produce(topic, key=k.encode() if k is not None else None, value=v, timestamp=ts)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    assert p.flush(60) == 0, "produce did not complete"


def partitions(client, topic, timeout=30):
    """the topic's partition ids, waiting while it does not exist yet (the
    service under test may create it a moment later)"""
    deadline = time.time() + timeout
    while True:
        md = client.list_topics(topic, timeout=10)
        t = md.topics.get(topic)
        if t is not None and t.error is None and t.partitions:
            return sorted(t.partitions)
        if time.time() > deadline:
            raise RuntimeError("topic %s has no partitions after %d s" % (topic, timeout))
        time.sleep(0.2)


def read_all(bootstrap, topic, expect=None, timeout=60, idle=5, raw_keys=False):
    """Reads the topic from the beginning with read_committed until `expect`
    records arrived (or, without expect, until `idle` seconds pass with
    nothing new), at most `timeout` seconds. Returns (key, value, partition,
    offset, timestamp) tuples in partition/offset order per partition; keys
    as text, or as bytes with raw_keys (a windowed key's suffix is binary)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "verify-%f" % time.time(),
                  "isolation.level": "read_committed", "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    parts = [TopicPartition(topic, p, 0) for p in partitions(c, topic)]
    c.assign(parts)
    out = []
    start = last = time.time()
    while time.time() - start < timeout:
        m = c.poll(0.5)
        if m is None:
            if expect is None and time.time() - last > idle:
                break
            if expect is not None and len(out) >= expect and time.time() - last > 1:
                break
            continue
        if m.error():
            continue
        last = time.time()
        k = m.key() if raw_keys or m.key() is None else m.key().decode()
        out.append((k, m.value(), m.partition(), m.offset(), m.timestamp()[1]))
    c.close()
    return out


def end_offsets(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "eo-%f" % time.time(),
                  "isolation.level": "read_committed"})
    res = {}
    for p in partitions(c, topic):
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        res[p] = hi
    c.close()
    return res
