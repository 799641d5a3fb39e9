"""Family `session`: session-windowed aggregation.

Random gaps, GRACE PERIOD present or absent, RETENTION present or absent
(never below gap + grace), EMIT CHANGES or FINAL; several keys, NULL keys,
tombstones, records that bridge sessions, records at a session's own
timestamp, out-of-order, late and very late records, big jumps in time;
the aggregates and projections of gen_window."""
import gen_common as g
from gen_window import duration, query, inputs, EMIT_INTERVAL

NAME = "session"
STATEFUL = True


def generate(rng):
    key, cols, fmt = g.schema(rng, key_types=("BIGINT", "INT", "STRING"))
    stmts = [g.create_stream("INPUT", "input_topic", key, cols, fmt)]
    gap = rng.choice([2, 5, 10, 100, 1000, 2000, 5000, 30000])
    final = rng.random() < 0.5
    parts = [duration(gap)]
    grace = None
    if rng.random() < 0.6:
        grace = rng.choice([0, 1, gap // 2, gap, 3 * gap])
    if rng.random() < 0.4:
        base = gap + (grace if grace is not None else (0 if final else max(86400000 - gap, 0)))
        parts.append("RETENTION %s" % duration(base + rng.choice([0, 1, gap, 10 * gap, 86400000])))
    if grace is not None:
        parts.append("GRACE PERIOD %s" % duration(grace))
    stmts.append(query(rng, "SESSION (%s)" % ", ".join(parts), key, cols, final))
    recs = inputs(rng, key, cols, fmt, max(1, gap))
    # repeat some timestamps exactly (updates of a one-record session in place)
    for r in recs:
        if rng.random() < 0.1:
            r["timestamp"] = rng.choice(recs)["timestamp"]
    case = {"statements": stmts, "inputs": recs}
    if final:
        case["properties"] = {EMIT_INTERVAL: 0}
    return case


def corpus(cid, case):
    text = " ".join(case.get("statements", [])).upper()
    return "SESSION" in text and "GROUP BY" in text
