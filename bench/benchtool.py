"""Measurement helpers for bench/run, on the confluent-kafka client (an
independent Kafka client: its own librdkafka, none of Sluice's code).

    benchtool.py drain    --brokers B --group G --inputs T1,T2 --pid PID
    benchtool.py ready    --brokers B --group G --partitions N
    benchtool.py consume  --brokers B --topic T --mode count|stateless|windowed --out FILE
    benchtool.py latency  --brokers B --group G --inputs T1,T2 --output T -- GENERATOR...
    benchtool.py compare  --mode stateless|windowed A.json B.json
    benchtool.py table    RESULTS.jsonl
    benchtool.py create   --brokers B --partitions P TOPIC...
    benchtool.py cleanup  --brokers B --prefix P

Why it measures this way (the header of bench/run says the same in short):
  - Drained means the system's consumer group has committed the end offset
    of every partition it reads (inputs and its own repartition topics).
    The group's committed offsets are what an exactly-once system has
    really finished: outputs and offsets commit in one transaction.
  - Throughput is measured from the last sample before the group commits
    anything to the first sample where it has drained (samples every
    100 ms), so JVM start, group join and topic creation are left out for
    every system alike. CPU time is the process's own utime+stime over the
    same interval, from /proc/PID/stat; peak RSS is VmHWM at the end.
  - Latency runs feed the system live, at a fixed rate, with each input
    record stamped with the wall clock when the generator produces it (the
    producer timestamp). Every system keeps the input record's timestamp on
    its output (ksqlDB's rule: stateless and join outputs carry the input's
    timestamp, a windowed aggregate the newest one in the window), so the
    latency of an output record is the wall clock when a read_committed
    consumer receives it minus its timestamp: from entering Kafka to being
    committed and visible. Outputs of the first seconds (warm-up) are left
    out.
  - Results compared between systems: windowed queries by the final value
    of every (key, window), which is the last record per key read
    read_committed; stateless queries as multisets of (key, value) with the
    JSON values parsed (so 1648.020 and 1648.02 are the same number).
"""
import argparse
import faulthandler
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time

from confluent_kafka import (Consumer, ConsumerGroupTopicPartitions, KafkaError,
                             KafkaException, TopicPartition)
from confluent_kafka.admin import AdminClient, OffsetSpec

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---- process and group state ----

def process_cpu_seconds(pid):
    """utime + stime of the process (not its children)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # after the command name: state is field 3, utime 14, stime 15 (1-based)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def committed_offsets(admin, group):
    """{(topic, partition): offset} the group has committed."""
    request = [ConsumerGroupTopicPartitions(group)]
    result = admin.list_consumer_group_offsets(request)[group].result(timeout=10)
    return {(tp.topic, tp.partition): tp.offset for tp in result.topic_partitions if tp.offset >= 0}


def end_offsets(admin, partitions):
    """{(topic, partition): high watermark}."""
    if not partitions:
        return {}
    request = {TopicPartition(t, p): OffsetSpec.latest() for (t, p) in partitions}
    futures = admin.list_offsets(request, request_timeout=10)
    return {(tp.topic, tp.partition): f.result().offset for tp, f in futures.items()}


def topic_partitions(admin, topics):
    metadata = admin.list_topics(timeout=10)
    result = []
    for t in topics:
        if t not in metadata.topics or metadata.topics[t].error:
            raise SystemExit(f"benchtool: no topic {t}")
        result += [(t, p) for p in metadata.topics[t].partitions]
    return result


class LagProbe:
    """How far a consumer group is from the end of what it reads.

    A partition written transactionally ends with a commit marker, and a
    librdkafka consumer commits the offset after its last record, not after
    the marker: Sluice's group keeps a lag of 1 on each partition of its
    repartition topics when it is done. So a partition that lags counts as
    done when reading it read_committed from the committed offset reaches
    the end without a record."""

    def __init__(self, brokers, group):
        self.admin = AdminClient({"bootstrap.servers": brokers})
        self.group = group
        self.reader = Consumer({
            "bootstrap.servers": brokers,
            "group.id": "benchtool-lag-probe",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
        })

    def internal_partitions(self):
        """Partitions of the group's repartition topics. Both Sluice and Kafka
        Streams name them <application.id>-...-repartition; they count before
        the group has committed anything on them."""
        metadata = self.admin.list_topics(timeout=10)
        return [(t, p) for t, m in metadata.topics.items()
                if t.startswith(self.group + "-") and t.endswith("-repartition") for p in m.partitions]

    def state(self, input_partitions):
        """(input records committed, records left to process)."""
        committed = committed_offsets(self.admin, self.group)
        partitions = set(input_partitions) | set(committed) | set(self.internal_partitions())
        ends = end_offsets(self.admin, partitions)
        done = sum(committed.get(tp, 0) for tp in input_partitions)
        lagging = {tp: committed.get(tp, 0) for tp in partitions if ends[tp] > committed.get(tp, 0)}
        lag = sum(ends[tp] - offset for tp, offset in lagging.items())
        if 0 < lag <= len(lagging) and self.only_markers_left(lagging):
            lag = 0
        return done, lag

    def only_markers_left(self, lagging):
        self.reader.assign([TopicPartition(t, p, offset) for (t, p), offset in lagging.items()])
        pending = set(lagging)
        deadline = time.monotonic() + 5
        try:
            while pending and time.monotonic() < deadline:
                for m in self.reader.consume(num_messages=100, timeout=0.5):
                    if not m.error():
                        return False
                    if m.error().code() == KafkaError._PARTITION_EOF:
                        pending.discard((m.topic(), m.partition()))
            return not pending
        finally:
            self.reader.unassign()

    def close(self):
        self.reader.close()


# ---- sub-commands ----

def cmd_drain(args):
    probe = LagProbe(args.brokers, args.group)
    inputs = topic_partitions(probe.admin, args.inputs.split(","))
    total = sum(end_offsets(probe.admin, inputs).values())
    deadline = time.monotonic() + args.timeout
    before = None  # last sample with nothing committed: (time, cpu)
    while True:
        now = time.monotonic()
        try:
            if not alive(args.pid):
                raise FileNotFoundError
            cpu = process_cpu_seconds(args.pid)
        except FileNotFoundError:
            print(json.dumps({"error": "the process exited before draining its input"}))
            return 1
        try:
            done, lag = probe.state(inputs)
        except KafkaException as e:  # e.g. a repartition topic still being created
            if now > deadline:
                print(json.dumps({"error": f"not drained after {args.timeout} s: {e}"}))
                return 1
            time.sleep(args.interval)
            continue
        if done == 0 or before is None:
            before = (now, cpu)
        if done >= total and lag == 0 and total > 0:
            seconds = max(now - before[0], args.interval)  # no finer than the sampling
            print(json.dumps({
                "records": total,
                "seconds": round(seconds, 3),
                "records_per_s": round(total / seconds, 1),
                "cpu_seconds": round(cpu - before[1], 3),
                "peak_rss_kb": process_peak_rss_kb(args.pid),
            }))
            return 0
        if now > deadline:
            print(json.dumps({"error": f"not drained after {args.timeout} s ({done}/{total} input records, lag {lag})"}))
            return 1
        time.sleep(max(0.0, args.interval - (time.monotonic() - now)))


def cmd_ready(args):
    """Waits until the group is stable with all the input partitions assigned."""
    admin = AdminClient({"bootstrap.servers": args.brokers})
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        description = admin.describe_consumer_groups([args.group])[args.group]
        try:
            group = description.result(timeout=10)
            assigned = sum(len(m.assignment.topic_partitions) for m in group.members if m.assignment)
            if str(group.state).endswith("STABLE") and assigned >= args.partitions:
                return 0
        except Exception:  # the group does not exist yet
            pass
        time.sleep(0.2)
    print(f"benchtool: group {args.group} not ready after {args.timeout} s", file=sys.stderr)
    return 1


def read_topic(brokers, topic, on_message):
    """Reads a topic read_committed from the beginning to its end."""
    admin = AdminClient({"bootstrap.servers": brokers})
    partitions = topic_partitions(admin, [topic])
    consumer = Consumer({
        "bootstrap.servers": brokers,
        "group.id": "benchtool-reader",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
        "enable.partition.eof": True,
    })
    consumer.assign([TopicPartition(t, p, 0) for (t, p) in partitions])
    pending = set(partitions)
    while pending:
        for m in consumer.consume(num_messages=10000, timeout=1.0):
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    pending.discard((m.topic(), m.partition()))
                    continue
                raise SystemExit(f"benchtool: reading {topic}: {m.error()}")
            on_message(m)
    consumer.close()


def canonical_value(raw):
    if raw is None:
        return "null"
    try:
        return json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return "bytes:" + raw.hex()


def cmd_consume(args):
    count = 0
    digest = 0
    final = {}

    def on_message(m):
        nonlocal count, digest
        count += 1
        if args.mode == "stateless":
            text = (m.key() or b"").hex() + "|" + canonical_value(m.value())
            digest = (digest + int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")) % (1 << 64)
        elif args.mode == "windowed":
            final[(m.key() or b"").hex()] = canonical_value(m.value())

    read_topic(args.brokers, args.topic, on_message)
    summary = {"topic": args.topic, "count": count}
    if args.mode == "stateless":
        summary["digest"] = f"{digest:016x}"
    if args.mode == "windowed":
        summary["final"] = final
    with open(args.out, "w") as f:
        json.dump(summary, f)
    print(json.dumps({"count": count}))
    return 0 if count > 0 else 1


def cmd_latency(args):
    probe = LagProbe(args.brokers, args.group)
    admin = probe.admin
    inputs = topic_partitions(admin, args.inputs.split(","))
    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": "benchtool-latency",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
        "fetch.wait.max.ms": 5,
    })
    consumer.assign([TopicPartition(t, p, 0) for (t, p) in topic_partitions(admin, [args.output])])
    start_ms = time.time() * 1000
    generator = subprocess.Popen(args.generator, stdout=subprocess.DEVNULL)
    samples = []  # (output timestamp, latency ms)
    drained_since = None
    deadline = time.monotonic() + args.timeout
    next_check = 0.0
    while time.monotonic() < deadline:
        for m in consumer.consume(num_messages=10000, timeout=0.05):
            received = time.time() * 1000
            if m.error():
                continue
            kind, timestamp = m.timestamp()
            if kind != 0:
                samples.append((timestamp, received - timestamp))
        if generator.poll() is not None and time.monotonic() >= next_check:
            next_check = time.monotonic() + 0.25
            try:
                done, lag = probe.state(inputs)
            except KafkaException:
                done, lag = 0, None
            if lag == 0 and done > 0:
                drained_since = drained_since or time.monotonic()
                if time.monotonic() - drained_since > 0.5:
                    break
            else:
                drained_since = None
    consumer.close()
    if generator.wait() != 0:
        print(json.dumps({"error": "the generator failed"}))
        return 1
    measured = sorted(lat for ts, lat in samples if ts >= start_ms + args.warmup_ms)
    if not measured:
        print(json.dumps({"error": f"no output after the warm-up ({len(samples)} records in all)"}))
        return 1
    def percentile(q):
        return measured[min(len(measured) - 1, int(q * len(measured)))]
    print(json.dumps({"records": len(measured), "p50_ms": round(percentile(0.50), 1),
                      "p99_ms": round(percentile(0.99), 1)}))
    return 0


def cmd_compare(args):
    with open(args.a) as f:
        a = json.load(f)
    with open(args.b) as f:
        b = json.load(f)
    if args.mode == "stateless":
        same = a["count"] == b["count"] and a["digest"] == b["digest"]
        print(f"{args.label}: {'same' if same else 'DIFFERENT'} records "
              f"({a['count']} vs {b['count']}, digests {a['digest']} vs {b['digest']})")
        return 0 if same else 1
    fa, fb = a["final"], b["final"]
    differing = [k for k in set(fa) | set(fb) if fa.get(k) != fb.get(k)]
    if differing:
        print(f"{args.label}: DIFFERENT final values in {len(differing)} of {len(set(fa) | set(fb))} windows; e.g.")
        for k in sorted(differing)[:5]:
            print(f"  key {k}: {fa.get(k)} vs {fb.get(k)}")
        return 1
    print(f"{args.label}: same final values in all {len(fa)} windows")
    return 0


def cmd_table(args):
    runs = {}
    latency = {}
    with open(args.results) as f:
        for line in f:
            r = json.loads(line)
            if r["kind"] == "throughput":
                runs.setdefault((r["workload"], r["system"]), []).append(r)
            else:
                latency[(r["workload"], r["system"])] = r
    workloads = list(dict.fromkeys(w for w, _ in list(runs) + list(latency)))
    systems = list(dict.fromkeys(s for _, s in list(runs) + list(latency)))

    def median(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    metrics = {}
    for key, rs in runs.items():
        ok = [r for r in rs if "error" not in r]
        metrics[key] = {
            "rate": median([r["records_per_s"] for r in ok]),
            "cpu": median([r["cpu_seconds"] / r["records"] * 1e6 for r in ok]),
            "rss": median([r["peak_rss_kb"] / 1024 for r in ok]),
            "out": median([r.get("output_records") for r in ok]),
            "runs": f"{len(ok)}/{len(rs)}",
        }
    for key, r in latency.items():
        m = metrics.setdefault(key, {"rate": None, "cpu": None, "rss": None, "out": None, "runs": "0/0"})
        m["p50"] = r.get("p50_ms")
        m["p99"] = r.get("p99_ms")

    def fmt(v, digits=0):
        if v is None:
            return "-"
        return f"{v:,.{digits}f}"

    def ratio(a, b):
        return f"{a / b:.2f}x" if a is not None and b not in (None, 0) else "-"

    header = ["workload", "system", "records/s", "cpu-s/M rec", "peak RSS MB", "p50 ms", "p99 ms", "out records", "runs"]
    rows = []
    for w in workloads:
        for s in systems:
            m = metrics.get((w, s))
            if m:
                rows.append([w, s, fmt(m["rate"]), fmt(m["cpu"], 2), fmt(m["rss"], 1), fmt(m.get("p50"), 1),
                             fmt(m.get("p99"), 1), fmt(m["out"]), m["runs"]])
        me = metrics.get((w, "sluice"))
        for other in ("kstreams", "pipe-eos"):
            o = metrics.get((w, other))
            if me and o:
                rows.append([w, f"sluice/{other}", ratio(me["rate"], o["rate"]), ratio(me["cpu"], o["cpu"]),
                             ratio(me["rss"], o["rss"]), ratio(me.get("p50"), o.get("p50")),
                             ratio(me.get("p99"), o.get("p99")), "", ""])
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    def line(r):
        return "  ".join(str(c).ljust(widths[i]) if i < 2 else str(c).rjust(widths[i]) for i, c in enumerate(r))
    print(line(header))
    print("  ".join("-" * w for w in widths))
    previous = None
    for r in rows:
        if previous is not None and r[0] != previous:
            print()
        previous = r[0]
        print(line(r))
    return 0


def cmd_create(args):
    """Creates topics (replication 1) that do not exist yet."""
    from confluent_kafka.admin import NewTopic
    admin = AdminClient({"bootstrap.servers": args.brokers})
    futures = admin.create_topics([NewTopic(t, args.partitions, 1) for t in args.topics], operation_timeout=30)
    for topic, f in futures.items():
        try:
            f.result()
        except Exception as e:
            if "TOPIC_ALREADY_EXISTS" not in str(e):
                raise SystemExit(f"benchtool: creating {topic}: {e}")
    return 0


def cmd_cleanup(args):
    admin = AdminClient({"bootstrap.servers": args.brokers})
    topics = [t for t in admin.list_topics(timeout=10).topics if t.startswith(args.prefix)]
    if topics:
        for f in admin.delete_topics(topics, operation_timeout=30).values():
            try:
                f.result()
            except Exception:
                pass
    groups = [g.group_id for g in admin.list_consumer_groups().result(timeout=10).valid
              if g.group_id.startswith(args.prefix)]
    if groups:
        for f in admin.delete_consumer_groups(groups).values():
            try:
                f.result()
            except Exception:
                pass
    return 0


def main():
    faulthandler.enable()  # a crash inside the client library still says where
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("drain")
    d.add_argument("--brokers", required=True)
    d.add_argument("--group", required=True)
    d.add_argument("--inputs", required=True)
    d.add_argument("--pid", type=int, required=True)
    d.add_argument("--timeout", type=float, default=600)
    d.add_argument("--interval", type=float, default=0.1)

    r = sub.add_parser("ready")
    r.add_argument("--brokers", required=True)
    r.add_argument("--group", required=True)
    r.add_argument("--partitions", type=int, required=True)
    r.add_argument("--timeout", type=float, default=120)

    c = sub.add_parser("consume")
    c.add_argument("--brokers", required=True)
    c.add_argument("--topic", required=True)
    c.add_argument("--mode", choices=["count", "stateless", "windowed"], default="count")
    c.add_argument("--out", required=True)

    lat = sub.add_parser("latency")
    lat.add_argument("--brokers", required=True)
    lat.add_argument("--group", required=True)
    lat.add_argument("--inputs", required=True)
    lat.add_argument("--output", required=True)
    lat.add_argument("--warmup-ms", type=float, default=2000)
    lat.add_argument("--timeout", type=float, default=300)
    lat.add_argument("generator", nargs=argparse.REMAINDER)

    cmp_ = sub.add_parser("compare")
    cmp_.add_argument("--mode", choices=["stateless", "windowed"], required=True)
    cmp_.add_argument("--label", default="compare")
    cmp_.add_argument("a")
    cmp_.add_argument("b")

    t = sub.add_parser("table")
    t.add_argument("results")

    cr = sub.add_parser("create")
    cr.add_argument("--brokers", required=True)
    cr.add_argument("--partitions", type=int, required=True)
    cr.add_argument("topics", nargs="+")

    cl = sub.add_parser("cleanup")
    cl.add_argument("--brokers", required=True)
    cl.add_argument("--prefix", required=True)

    args = p.parse_args()
    if args.command == "latency":
        if args.generator and args.generator[0] == "--":
            args.generator = args.generator[1:]
        if not args.generator:
            p.error("latency needs the generator command after --")
    return {"drain": cmd_drain, "ready": cmd_ready, "consume": cmd_consume, "latency": cmd_latency,
            "compare": cmd_compare, "table": cmd_table, "create": cmd_create,
            "cleanup": cmd_cleanup}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
