"""Family `window`: TUMBLING and HOPPING windowed aggregation.

Random window sizes and advances (small, so that records of a case span
many windows), GRACE PERIOD present or absent, RETENTION present or absent
(never below size + grace, which ksqlDB rejects), EMIT CHANGES or FINAL;
several keys, NULL keys, tombstones, out-of-order and late records; COUNT,
SUM, MIN, MAX, WINDOWSTART/WINDOWEND in the projection, WHERE and HAVING.
EMIT FINAL cases set the emit interval to 0, as ksqlDB's corpus does."""
import gen_common as g

NAME = "window"
STATEFUL = True
EMIT_INTERVAL = "ksql.streams.__emit.interval.ms.kstreams.windowed.aggregation__"


def duration(ms):
    if ms % 1000 == 0 and ms:
        return "%d SECONDS" % (ms // 1000)
    return "%d MILLISECONDS" % ms


def aggregates(rng, cols):
    nums = [c for c in cols if c[1] in ("INT", "BIGINT", "DOUBLE")]
    items = []
    for i in range(rng.randint(1, 3)):
        r = rng.random()
        if r < 0.3 or not nums:
            items.append(("COUNT(*)" if rng.random() < 0.7 else "COUNT(%s)" % rng.choice(cols)[0], "C%d" % i))
        else:
            fn = rng.choice(["SUM", "MIN", "MAX"])
            items.append(("%s(%s)" % (fn, rng.choice(nums)[0]), "A%d" % i))
    return items


def query(rng, window_clause, key, cols, final):
    aggs = aggregates(rng, cols)
    items = [key[0]] + ["%s AS %s" % a for a in aggs]
    if rng.random() < 0.4:
        items.append("WINDOWSTART AS WS")
    if rng.random() < 0.4:
        items.append("WINDOWEND AS WE")
    rng.shuffle(items)
    where = ""
    nums = [c for c in cols if c[1] in ("INT", "BIGINT")]
    if nums and rng.random() < 0.2:
        where = " WHERE %s IS NULL OR %s > %d" % (nums[0][0], nums[0][0], rng.randint(-10, 10))
    having = ""
    if rng.random() < 0.25:
        having = " HAVING %s > %d" % (aggs[0][0], rng.randint(0, 3))
    emit = " EMIT FINAL" if final else (" EMIT CHANGES" if rng.random() < 0.5 else "")
    return "CREATE TABLE OUTPUT AS SELECT %s FROM INPUT WINDOW %s%s GROUP BY %s%s%s;" % (
        ", ".join(items), window_clause, where, key[0], having, emit)


def inputs(rng, key, cols, fmt, span):
    n = rng.randint(1, 30)
    pool = [g.value(rng, key[1], null_rate=0) for _ in range(rng.randint(1, 4))] + [None]
    out, ts = [], 0
    # times start at 1: a broker run (sluice test --bootstrap) cannot write
    # a record time of 0 and shifts every time of such a case by whole
    # weeks, which moves WINDOWSTART/WINDOWEND values and misaligns
    # hopping windows whose advance does not divide a week
    for _ in range(n):
        ts += rng.randint(0, span)
        t = max(1, ts)
        r = rng.random()
        if r < 0.25:
            t = max(1, ts - rng.randint(0, 3 * span))       # out of order, maybe late
        elif r < 0.3:
            t = max(1, ts - rng.randint(0, 40 * span))      # very late
        k = rng.choice(pool) if rng.random() < 0.95 else None
        if rng.random() < 0.05:
            v = None
        else:
            v = g.encode_value(rng, cols, fmt, [g.value(rng, c[1]) for c in cols])
        out.append({"topic": "input_topic", "key": k, "value": v, "timestamp": t})
    if rng.random() < 0.2:                                  # a big jump in time
        out.append({"topic": "input_topic", "key": rng.choice(pool[:-1]), "value": out[-1]["value"] or
                    g.encode_value(rng, cols, fmt, [None] * len(cols)), "timestamp": ts + rng.randint(10, 200) * span})
    return out


def generate(rng):
    key, cols, fmt = g.schema(rng, key_types=("BIGINT", "INT", "STRING"))
    stmts = [g.create_stream("INPUT", "input_topic", key, cols, fmt)]
    size = rng.choice([2, 5, 10, 100, 1000, 2000, 5000])
    final = rng.random() < 0.5
    hopping = rng.random() < 0.5
    parts = ["SIZE %s" % duration(size)]
    if hopping:
        adv = rng.choice([d for d in range(1, size + 1) if size % d == 0 or rng.random() < 0.2][:8] or [size])
        parts.append("ADVANCE BY %s" % duration(adv))
    grace = None
    if rng.random() < 0.6:
        grace = rng.choice([0, 1, size // 2, size, 3 * size])
    if rng.random() < 0.4:
        base = size + (grace if grace is not None else (0 if final else max(86400000 - size, 0)))
        parts.append("RETENTION %s" % duration(base + rng.choice([0, 1, size, 10 * size, 86400000])))
    if grace is not None:
        parts.append("GRACE PERIOD %s" % duration(grace))
    clause = "%s (%s)" % ("HOPPING" if hopping else "TUMBLING", ", ".join(parts))
    stmts.append(query(rng, clause, key, cols, final))
    case = {"statements": stmts, "inputs": inputs(rng, key, cols, fmt, max(1, size // 2))}
    if final:
        case["properties"] = {EMIT_INTERVAL: 0}
    return case


def corpus(cid, case):
    text = " ".join(case.get("statements", [])).upper()
    return ("TUMBLING" in text or "HOPPING" in text) and "GROUP BY" in text
