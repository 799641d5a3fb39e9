"""The exactly-once verifier: independent of Sluice's code, it generates the
workload (bids on auctions, with event times), recomputes from the input
topics what the queries must produce, reads the output topics back with
read_committed and compares: no record lost, none duplicated, aggregates
exact, and no transaction left open on any output.

The workload's queries (see QUERIES): a 10-second tumbling COUNT/SUM of bids
grouped by auction, a column that is not the bids' key (so it goes through a
repartition topic), and a stream-table join of every bid with its auction.

    verifier.py sql      --bids T --auctions T --windows T --enriched T
    verifier.py auctions --bootstrap B --topic T
    verifier.py bids     --bootstrap B --topic T --count N [--chunks C --pause S] [--poison]
    verifier.py check    --bootstrap B --bids T --windows T --enriched T [--timeout S]
"""
import argparse
import json
import random
import sys
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition

import kafkalib

# event times start an hour ago: the broker's retention (7 days by record
# time) must not delete inputs and outputs while a test runs
T0 = (int(time.time()) - 3600) * 1000
AUCTIONS = 1000
WINDOW_MS = 10_000

QUERIES = """
CREATE TABLE auctions (id STRING PRIMARY KEY, category INT) WITH (KAFKA_TOPIC='{auctions}', VALUE_FORMAT='JSON');
CREATE STREAM bids (id STRING KEY, auction STRING, price INT) WITH (KAFKA_TOPIC='{bids}', VALUE_FORMAT='JSON');
CREATE TABLE {windows} AS SELECT auction, COUNT(*) AS n, SUM(price) AS total FROM bids
  WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY auction EMIT CHANGES;
CREATE STREAM {enriched} AS SELECT b.auction AS auction, b.id AS bid, b.price AS price, a.category AS category
  FROM bids b JOIN auctions a ON b.auction = a.id EMIT CHANGES;
"""


def category(auction):
    return int(auction[1:]) % 17


def bid(i):
    """the i-th bid: key, value, event time (up to 4 s out of order)"""
    auction = "a%d" % ((i * 7919) % AUCTIONS)
    return "b%d" % i, {"auction": auction, "price": (i * 31) % 1000}, T0 + i * 10 - (i * 37) % 4000


def poison(i):
    """bad records the processing log must catch, each once"""
    kinds = [bytes(random.Random(i).getrandbits(8) for _ in range(1 + i % 40)),  # random bytes
             b'{"auction": "a1", "price": 12',                                # truncated JSON
             b"\x00\x00\x00\x00\x07\x02a1",                                   # truncated Avro framing
             b'{"auction": "a1", "price": "twelve"}',                         # wrong type
             b'{"auction": "a1", "price": {"nested": true}}', b"[1, 2, 3]",
             None]                                                            # null value
    return "p%d" % i, kinds[i % len(kinds)], T0 + i * 10


def read_raw(bootstrap, topic, timeout=60, idle=5, expect=None, where=False):
    """every committed record of the topic: (key bytes, value bytes[,
    partition, offset]) in offset order per partition; stops when idle or
    `expect` arrived"""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "verifier-%f" % time.time(),
                  "isolation.level": "read_committed", "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    c.assign([TopicPartition(topic, p, 0) for p in kafkalib.partitions(c, topic)])
    out = []
    start = last = time.time()
    while time.time() - start < timeout:
        msgs = c.consume(10000, 0.5)
        if not msgs:
            if time.time() - last > idle and (expect is None or len(out) >= expect):
                break
            continue
        for m in msgs:
            if m.error():
                continue
            out.append((m.key(), m.value(), m.partition(), m.offset()) if where else (m.key(), m.value()))
        last = time.time()
    c.close()
    return out


def open_transactions(bootstrap, topics):
    """partitions whose read_committed end (the last stable offset) is short
    of the high watermark: a transaction is still open there"""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "verifier-lso-%f" % time.time(),
                  "isolation.level": "read_committed", "enable.partition.eof": True,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    parts, high = [], {}
    for t in topics:
        for p in kafkalib.partitions(c, t):
            lo, hi = c.get_watermark_offsets(TopicPartition(t, p), timeout=10)
            high[(t, p)] = hi
            parts.append(TopicPartition(t, p, max(lo, hi - 1) if hi > lo else lo))
    c.assign(parts)
    pending = set(high)
    deadline = time.time() + 30
    while pending and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() and m.error().code() == KafkaError._PARTITION_EOF:
            pending.discard((m.topic(), m.partition()))
    stuck = []
    for tp in c.position([TopicPartition(t, p) for (t, p) in high]):
        if tp.offset < high[(tp.topic, tp.partition)]:
            stuck.append("%s/%d at %d of %d" % (tp.topic, tp.partition, tp.offset, high[(tp.topic, tp.partition)]))
    c.close()
    return stuck + ["%s/%d: no end reached" % tp for tp in pending]


def good_bid(v):
    try:
        d = json.loads(v)
    except (ValueError, UnicodeDecodeError, TypeError):
        return False
    return isinstance(d, dict) and type(d.get("price")) is int and isinstance(d.get("auction"), str)


def check_processing_log(args, bad_offsets):
    """every bad input record is in the processing log, once per query that
    reads it (each query deserializes on its own, as in ksqlDB), and nothing
    else is"""
    entries = read_raw(args.bootstrap, args.plog, timeout=60, idle=5)
    seen, loggers = {}, {}
    for k, v in entries:
        d = json.loads(v)
        if d.get("topic") == args.bids:
            key = (d["partition"], d["offset"])
            seen[key] = seen.get(key, 0) + 1
            # ksqlDB's entry: the logger names the query that failed
            loggers.setdefault(key, set()).add(d.get("logger"))
    problems = []
    for off in sorted(bad_offsets):
        if seen.get(off, 0) != args.queries_per_record:
            problems.append("processing log: bad record %s/%d/%d logged %d time(s), want %d"
                            % (args.bids, off[0], off[1], seen.get(off, 0), args.queries_per_record))
        elif len(loggers.get(off, ())) != args.queries_per_record or \
                not all(str(l).startswith("processing.") for l in loggers[off]):
            problems.append("processing log: bad record %s/%d/%d: entries do not name one query each: %s"
                            % (args.bids, off[0], off[1], sorted(map(str, loggers.get(off, ())))))
    for off in sorted(set(seen) - bad_offsets):
        problems.append("processing log: good record %s/%d/%d logged" % (args.bids, off[0], off[1]))
    print("verifier: processing log holds %d entries for %d bad records" % (sum(seen.values()), len(bad_offsets)))
    return problems


def check(args):
    inputs = read_raw(args.bootstrap, args.bids, timeout=120, idle=3, where=True)
    bids, bad_offsets = {}, set()
    for k, v, p, o in inputs:
        if good_bid(v):
            bids[k.decode()] = json.loads(v)
        else:
            bad_offsets.add((p, o))
    # expected: every good bid's window, from its event time as produced
    times = read_raw_ts(args.bootstrap, args.bids)
    exp_windows = {}
    for k, d in bids.items():
        ts = times[k]
        key = (d["auction"], ts - ts % WINDOW_MS)
        n, s = exp_windows.get(key, (0, 0))
        exp_windows[key] = (n + 1, s + d["price"])

    enriched = read_raw(args.bootstrap, args.enriched, timeout=args.timeout, idle=5, expect=len(bids))
    seen, problems = {}, []
    for k, v in enriched:
        d = json.loads(v)
        b = d["BID"]
        seen[b] = seen.get(b, 0) + 1
        want = bids.get(b)
        if want is None:
            problems.append("enriched: unknown bid %s" % b)
        elif d["PRICE"] != want["price"] or d["CATEGORY"] != category(want["auction"]) or k.decode() != want["auction"]:
            problems.append("enriched: wrong record for %s: %s" % (b, d))
    dups = sum(n - 1 for n in seen.values() if n > 1)
    missing = [b for b in bids if b not in seen]

    windows = read_raw(args.bootstrap, args.windows, timeout=args.timeout, idle=5)
    last = {}
    for k, v in windows:
        auction, start = k[:-8].decode(), int.from_bytes(k[-8:], "big")
        last[(auction, start)] = json.loads(v) if v is not None else None
    wrong = []
    for key, (n, s) in exp_windows.items():
        got = last.get(key)
        if got is None or got["N"] != n or got["TOTAL"] != s:
            wrong.append((key, (n, s), got))
    extra = [k for k in last if k not in exp_windows]
    stuck = open_transactions(args.bootstrap, [args.windows, args.enriched])
    if args.plog:
        problems += check_processing_log(args, bad_offsets)

    print("verifier: %d good bids of %d input records; enriched %d records (%d duplicates, %d missing); "
          "%d windows expected, %d wrong, %d unexpected (%d window updates written); open transactions: %d"
          % (len(bids), len(inputs), len(enriched), dups, len(missing), len(exp_windows), len(wrong), len(extra),
             len(windows), len(stuck)))
    for p in problems[:5] + ["missing bid %s" % b for b in missing[:5]] + \
            ["window %s: want %s, got %s" % w for w in wrong[:5]] + stuck[:5]:
        print("  " + p)
    ok = not problems and not dups and not missing and not wrong and not extra and not stuck
    if args.expect_bids is not None and len(bids) != args.expect_bids:
        print("  expected %d good bids in the input, found %d" % (args.expect_bids, len(bids)))
        ok = False
    return 0 if ok else 1


def read_raw_ts(bootstrap, topic):
    """key -> record timestamp of the input topic"""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "verifier-ts-%f" % time.time(),
                  "isolation.level": "read_committed", "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, "enable.partition.eof": True})
    parts = kafkalib.partitions(c, topic)
    c.assign([TopicPartition(topic, p, 0) for p in parts])
    out, eof = {}, set()
    deadline = time.time() + 120
    while len(eof) < len(parts) and time.time() < deadline:
        for m in c.consume(10000, 0.5):
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                continue
            out[m.key().decode(errors="replace")] = m.timestamp()[1]
    c.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["sql", "auctions", "bids", "check"])
    ap.add_argument("--bootstrap")
    ap.add_argument("--topic")
    ap.add_argument("--bids")
    ap.add_argument("--auctions")
    ap.add_argument("--windows")
    ap.add_argument("--enriched")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--chunks", type=int, default=1)
    ap.add_argument("--pause", type=float, default=0)
    ap.add_argument("--poison", action="store_true")
    ap.add_argument("--timeout", type=float, default=180)
    ap.add_argument("--expect-bids", type=int)
    ap.add_argument("--plog", help="the processing log topic, to check that bad records reached it")
    ap.add_argument("--queries-per-record", type=int, default=2)
    args = ap.parse_args()
    if args.what == "sql":
        print(QUERIES.format(bids=args.bids, auctions=args.auctions, windows=args.windows, enriched=args.enriched))
        return 0
    if args.what == "auctions":
        kafkalib.produce(args.bootstrap, args.topic,
                         [("a%d" % a, {"category": category("a%d" % a)}, T0 - 60_000) for a in range(AUCTIONS)])
        return 0
    if args.what == "bids":
        step = (args.count + args.chunks - 1) // args.chunks
        for lo in range(args.first, args.first + args.count, step):
            hi = min(lo + step, args.first + args.count)
            recs = [bid(i) for i in range(lo, hi)]
            if args.poison:
                recs += [poison(i) for i in range(lo, hi, 997)]
                random.Random(lo).shuffle(recs)
            kafkalib.produce(args.bootstrap, args.topic, recs)
            time.sleep(args.pause)
        return 0
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
