"""Pieces the case generators share: random schemas, literals, values and
input records in ksql-test-runner's format."""
import json

INT_RANGE = 2 ** 31
TYPES = ["BOOLEAN", "INT", "BIGINT", "DOUBLE", "STRING"]


def value(rng, t, null_rate=0.1, small=True):
    """A random value of SQL type t as the test file writes it (JSON)."""
    if rng.random() < null_rate:
        return None
    if t == "BOOLEAN":
        return rng.random() < 0.5
    if t == "INT":
        return rng.randint(-20, 20) if small and rng.random() < 0.8 else rng.randint(-INT_RANGE, INT_RANGE - 1)
    if t == "BIGINT":
        return rng.randint(-20, 20) if small and rng.random() < 0.8 else rng.randint(-2 ** 63, 2 ** 63 - 1)
    if t == "DOUBLE":
        return rng.choice([0.0, 1.5, -2.25, 100.0, 3.0]) if small else rng.uniform(-1e6, 1e6)
    if t == "STRING":
        return rng.choice(["", "a", "b", "abc", "Zz", "x y", "42", "-"])
    raise ValueError(t)


def literal(rng, t):
    v = value(rng, t, null_rate=0)
    if t == "BOOLEAN":
        return "true" if v else "false"
    if t == "STRING":
        return "'%s'" % v.replace("'", "''")
    if t == "DOUBLE":
        return repr(float(v))
    if t == "BIGINT" and -INT_RANGE <= v < INT_RANGE:
        return "%d" % v
    return "%d" % v


def schema(rng, key_types=("BIGINT", "INT", "STRING"), max_cols=4, formats=("JSON", "DELIMITED")):
    """(key (name, type), value columns [(name, type)], value format)."""
    key = ("ID", rng.choice(key_types))
    n = rng.randint(1, max_cols)
    cols = [("C%d" % i, rng.choice(TYPES)) for i in range(n)]
    fmt = rng.choice(formats)
    if fmt == "DELIMITED":
        cols = [(c, "STRING" if t == "BOOLEAN" or t == "DOUBLE" else t) for c, t in cols]
    return key, cols, fmt


def create_stream(name, topic, key, cols, fmt, kind="STREAM", extra=""):
    kw = "PRIMARY KEY" if kind == "TABLE" else "KEY"
    defs = ["%s %s %s" % (key[0], key[1], kw)] + ["%s %s" % c for c in cols]
    return "CREATE %s %s (%s) WITH (KAFKA_TOPIC='%s', VALUE_FORMAT='%s'%s);" % (kind, name, ", ".join(defs), topic,
                                                                              fmt, extra)


def encode_value(rng, cols, fmt, vals):
    if fmt == "JSON":
        return {c: v for (c, _), v in zip(cols, vals)}
    if fmt == "DELIMITED":
        return ",".join("" if v is None else str(v) for v in vals)
    raise ValueError(fmt)


def stream_inputs(rng, topic, key, cols, fmt, n, ts_start=0, disorder=0, tombstones=0.05, key_pool=None):
    """n records with increasing timestamps (each moved back by up to
    disorder ms at random)."""
    out, ts = [], ts_start
    for _ in range(n):
        ts += rng.randint(0, 1000)
        t = max(0, ts - (rng.randint(0, disorder) if disorder and rng.random() < 0.3 else 0))
        k = rng.choice(key_pool) if key_pool else value(rng, key[1], null_rate=0.05)
        if rng.random() < tombstones:
            v = None
        else:
            v = encode_value(rng, cols, fmt, [value(rng, c[1]) for c in cols])
            if fmt == "DELIMITED" and any(ch in v for ch in "\""):
                v = v.replace('"', "")
        out.append({"topic": topic, "key": k, "value": v, "timestamp": t})
    return out


def dumps(case):
    return json.dumps(case, indent=1)
