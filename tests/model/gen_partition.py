"""Family `partition`: PARTITION BY over a stream.

Random schemas (a KAFKA key of BIGINT, INT or STRING, a JSON key of one or
two columns, or no key; one to four value columns), JSON or DELIMITED
values. PARTITION BY one to three of: a value column, the key itself, an
expression over value columns, one over the key only (computed for
tombstones too), a constant, ROWTIME, an expression that fails, or NULL
alone. SELECT * (with extra items sometimes) or an explicit projection
that names each PARTITION BY expression once, aliased or not; an optional
WHERE; sometimes an aggregation of the result by its new key. Inputs:
NULL keys and values, tombstones, disorder.
"""
import gen_common as g
from gen_project import _predicate

NAME = "partition"
STATEFUL = True

KAFKA_TYPES = ("INT", "BIGINT", "STRING", "DOUBLE")


def _value(rng, t, null_rate=0.12):
    if rng.random() < null_rate:
        return None
    if rng.random() < 0.1:
        return g.value(rng, t, null_rate=0, small=False)
    if t == "BOOLEAN":
        return rng.random() < 0.5
    if t in ("INT", "BIGINT"):
        return rng.randint(-3, 5)
    if t == "DOUBLE":
        return rng.choice([0.0, 1.5, -2.25, 4.0])
    return rng.choice(["a", "b", "", "xy"])


def _key_value(rng, keys, json_key):
    if rng.random() < 0.08:
        return None
    if len(keys) == 1:
        return _value(rng, keys[0][1], null_rate=0)
    return {n: _value(rng, t, null_rate=0.1) for n, t in keys}


def _partition_exprs(rng, keys, cols, multi):
    """[(expression, type)]"""
    def one():
        r = rng.random()
        ints = [c for c in cols if c[1] in ("INT", "BIGINT")]
        key_ints = [k for k in keys if k[1] in ("INT", "BIGINT")]
        if r < 0.35 or not keys:
            return rng.choice(cols)
        if r < 0.5:
            return rng.choice(keys)
        if r < 0.6 and key_ints:
            k = rng.choice(key_ints)
            return rng.choice(["%s * 2", "ABS(%s)", "%s + 1"]) % k[0], k[1]
        if r < 0.7 and ints:
            c = rng.choice(ints)
            return rng.choice(["%s + 1", "ABS(%s)", "%s %% 3", "100 / %s"]) % c[0], c[1]
        strings = [c for c in cols if c[1] == "STRING"]
        if r < 0.78 and strings:
            c = rng.choice(strings)
            return rng.choice(["UCASE(%s)", "CONCAT(%s, '-')", "LEN(%s)"]) % c[0], \
                "STRING" if r < 0.75 else "INT"
        if r < 0.86:
            return "ROWTIME", "BIGINT"
        if r < 0.93:
            return "1", "INT"
        return rng.choice(cols)

    if not multi and rng.random() < 0.05:
        return [("NULL", None)]
    n = rng.randint(2, 3) if multi else 1
    out = []
    for _ in range(8):
        e = one()
        if e[0] not in [x[0] for x in out] and (multi or e[1] in KAFKA_TYPES):
            out.append(e)
        if len(out) == n:
            break
    return out or [rng.choice([c for c in cols if c[1] in KAFKA_TYPES] or [("1", "INT")])]


def generate(rng):
    fmt = "DELIMITED" if rng.random() < 0.25 else "JSON"
    _, cols, _ = g.schema(rng, formats=(fmt,))
    if fmt == "DELIMITED":
        cols = [(c, "STRING" if t in ("BOOLEAN", "DOUBLE") else t) for c, t in cols]
    r = rng.random()
    if r < 0.1:
        keys, key_fmt = [], "NONE"
    elif r < 0.35 and fmt == "JSON":
        keys = [("K%d" % i, rng.choice(["INT", "BIGINT", "STRING", "BOOLEAN"])) for i in range(rng.randint(1, 2))]
        key_fmt = "JSON"
    else:
        keys, key_fmt = [("ID", rng.choice(["INT", "BIGINT", "STRING"]))], "KAFKA"
    defs = ["%s %s KEY" % k for k in keys] + ["%s %s" % c for c in cols]
    extra = ", KEY_FORMAT='JSON'" if key_fmt == "JSON" else ""
    stmts = ["CREATE STREAM INPUT (%s) WITH (KAFKA_TOPIC='input_topic', VALUE_FORMAT='%s'%s);"
             % (", ".join(defs), fmt, extra)]
    multi = rng.random() < 0.3
    sink_json = multi and key_fmt != "JSON"
    exprs = _partition_exprs(rng, keys, cols, multi or key_fmt == "JSON")
    if key_fmt != "JSON" and not sink_json and any(t not in KAFKA_TYPES for e, t in exprs if e != "NULL"):
        sink_json = True
    if len(exprs) > 1 and key_fmt != "JSON":
        sink_json = True
    key_names = []
    if rng.random() < 0.35:
        items = ["*"]
        partitioned = {e for e, _ in exprs}
        if rng.random() < 0.3 or not [c for c in keys + cols if c[0] not in partitioned]:
            extras = ["%s AS EXTRA" % c[0] for c in cols if c[0] not in partitioned]
            extras += ["ROWTIME AS RT"] if "ROWTIME" not in partitioned else []
            items.append(rng.choice(extras or ["CONCAT('x', 'y') AS EXTRA"]))
    else:
        items = []
        for i, (e, t) in enumerate(exprs):
            if e == "NULL":
                continue
            alias = rng.random() < 0.5 or e == "ROWTIME"
            items.append(e + (" AS P%d" % i if alias else ""))
            key_names.append("P%d" % i if alias else e)
        partition_cols = {e for e, _ in exprs}
        others = [c[0] for c in keys + cols if c[0] not in partition_cols]
        chosen = [c for c in others if rng.random() < 0.6] or [cols[0][0]]
        if cols[0][0] in partition_cols and chosen == [cols[0][0]]:
            chosen = ["ROWTIME AS RT" if "ROWTIME" not in partition_cols else "CONCAT('x', 'y') AS V"]
        ints = [c for c in cols if c[1] in ("INT", "BIGINT")]
        if ints and rng.random() < 0.3:
            c = rng.choice(ints)
            chosen.append("%s * 3 AS X_%s" % (c[0], c[0]))
        items += chosen
        rng.shuffle(items)
    where = " WHERE " + _predicate(rng, keys + cols) if rng.random() < 0.3 else ""
    with_ = " WITH (KEY_FORMAT='JSON')" if sink_json else ""
    stmts.append("CREATE STREAM OUTPUT%s AS SELECT %s FROM INPUT%s PARTITION BY %s;" % (
        with_, ", ".join(items), where, ", ".join(e for e, _ in exprs)))
    if len(key_names) == 1 and fmt == "JSON" and rng.random() < 0.2:
        # count by the new key: an aggregation over the repartitioned stream
        name = key_names[0]
        if name.isidentifier():
            stmts.append("CREATE TABLE COUNTS AS SELECT %s, COUNT(*) AS N FROM OUTPUT GROUP BY %s;" % (name, name))
    inputs, ts = [], 0
    for _ in range(rng.randint(1, 25)):
        ts += rng.randint(1, 1000)   # from 1: a broker run shifts every time when one is 0, not ROWTIME values
        k = _key_value(rng, keys, key_fmt == "JSON") if keys else None
        v = None if rng.random() < 0.1 else g.encode_value(rng, cols, fmt, [_value(rng, c[1]) for c in cols])
        inputs.append({"topic": "input_topic", "key": k, "value": v, "timestamp": ts})
    return {"statements": stmts, "inputs": inputs}


def corpus(cid, case):
    text = " ".join(case.get("statements", [])).upper()
    return "PARTITION BY" in text and " JOIN " not in text and "GROUP BY" not in text
