"""Family `coercion`: how each format reads and writes every SQL type.

Random schemas over every SQL type (BOOLEAN, INT, BIGINT, DOUBLE,
DECIMAL(p,s), STRING, BYTES, TIMESTAMP, DATE, TIME, ARRAY, MAP, STRUCT, as
far as each format carries them) with KAFKA, JSON, DELIMITED or AVRO keys
and JSON, DELIMITED, AVRO or KAFKA values; input records mixing valid and
invalid representations of each column (numbers as strings, strings for
booleans, fractions for integers, out-of-range numbers, bad base64,
objects and arrays read as STRING, quoted and malformed DELIMITED fields,
wrong field counts, non-object values); `CREATE STREAM OUTPUT AS SELECT`
of every column or a projection, sometimes into other formats. Accepted
values and their converted output are checked, and a rejected record must
be absent from the output (ksqlDB logs it and goes on).

Inputs the test runner itself cannot serialize (a string for a KAFKA INT,
an integer for an AVRO DECIMAL: ksqlDB's runner fails before ksqlDB sees
the record) are not generated: each record is drawn again until the model
(serde.py) accepts or rejects it rather than calling it out of scope.
"""
import engine
import gen_common as g
from ksql import OutOfScope

NAME = "coercion"
STATEFUL = False

CORPUS_FILES = ("serdes", "json", "delimited", "avro", "kafka", "formats", "decimal", "bytes", "timestamp",
                "date", "time")

PRIMITIVES = ["BOOLEAN", "INT", "BIGINT", "DOUBLE", "DECIMAL", "STRING", "BYTES", "TIMESTAMP", "DATE", "TIME"]
KAFKA_TYPES = ["INT", "BIGINT", "DOUBLE", "STRING", "BYTES"]


# ---------------------------------------------------------------- types

def _decimal(rng):
    p = rng.randint(1, 15)
    return "DECIMAL(%d,%d)" % (p, rng.randint(0, p))


def _field_name(rng, i):
    return rng.choice(["F%d" % i, "F%d" % i, "`f%d`" % i, "`Fx%d`" % i])


def sql_type(rng, allowed, depth=0, no_map=False):
    """A random SQL type: a primitive, or ARRAY/MAP/STRUCT when allowed."""
    kinds = list(allowed)
    if depth >= 2:
        kinds = [k for k in kinds if k not in ("ARRAY", "MAP", "STRUCT")]
    if no_map:
        kinds = [k for k in kinds if k != "MAP"]
    k = rng.choice(kinds)
    if k == "DECIMAL":
        return _decimal(rng)
    if k == "ARRAY":
        return "ARRAY<%s>" % sql_type(rng, allowed, depth + 1, no_map)
    if k == "MAP":
        return "MAP<STRING, %s>" % sql_type(rng, allowed, depth + 1, no_map)
    if k == "STRUCT":
        n = rng.randint(1, 3)
        return "STRUCT<%s>" % ", ".join("%s %s" % (_field_name(rng, i), sql_type(rng, allowed, depth + 1, no_map))
                                        for i in range(n))
    return k


def _types_for(fmt, key):
    if fmt == "KAFKA":
        return KAFKA_TYPES
    if fmt == "DELIMITED":
        return PRIMITIVES
    return PRIMITIVES * 2 + ["ARRAY", "MAP", "STRUCT"]


# ---------------------------------------------------------------- values

WORDS = ["", "a", "abc", "Zz", "x y", "42", "-1", "1.5", "true", "FALSE", "null", "é€", "😀", "tab\there",
         "q\"uote", "back\\slash", "a,b", "a|b", "semi;colon", " pad ", "#hash", "\x01ctl"]


def _int_like(rng, bits):
    lim = 2 ** (bits - 1)
    return rng.choice([0, 1, -1, rng.randint(-1000, 1000), lim - 1, -lim, lim, -lim - 1, 2 ** 64 + 5,
                       rng.randint(-lim, lim - 1)])


def _good(rng, t):
    """A valid value of type t as a test-file JSON value."""
    n = t.name
    if n == "BOOLEAN":
        return rng.random() < 0.5
    if n == "INT":
        return rng.choice([rng.randint(-50, 50), rng.randint(-2 ** 31, 2 ** 31 - 1)])
    if n in ("BIGINT", "TIMESTAMP"):
        return rng.choice([rng.randint(-50, 50), rng.randint(-2 ** 63, 2 ** 63 - 1), 1600000000000])
    if n == "DATE":
        return rng.randint(-30000, 30000)
    if n == "TIME":
        return rng.choice([0, rng.randint(0, 86399999), 86399999])
    if n == "DOUBLE":
        return rng.choice([0.0, 1.5, -2.25, 100.0, 1e21, 1.5e-5, 123456.789, -0.0, 3.0, 1e7, 0.001])
    if n == "DECIMAL":
        p, s = t.params
        ip = rng.randint(0, 10 ** (p - s) - 1) if p > s else 0
        fp = rng.randint(0, 10 ** s - 1) if s else 0
        txt = "%d.%0*d" % (ip, s, fp) if s else "%d" % ip
        txt = ("-" if rng.random() < 0.3 else "") + txt
        return float(txt) if s and len(txt.replace("-", "").replace(".", "").lstrip("0")) <= 15 else int(ip)
    if n == "STRING":
        return rng.choice(WORDS)
    if n == "BYTES":
        return rng.choice(["", "YQ==", "YWI=", "YWJj", "AAEC/w==", "dmFyaWF0aW9ucw==", "+/+/"])
    if n == "ARRAY":
        return [_json_rep(rng, t.params[0]) for _ in range(rng.randint(0, 3))]
    if n == "MAP":
        return {rng.choice(["a", "b", "K", "k", "x y", ""]): _json_rep(rng, t.params[1])
                for _ in range(rng.randint(0, 3))}
    if n == "STRUCT":
        out = {}
        for f, ft in t.params:
            if rng.random() < 0.85:
                out[rng.choice([f, f.lower(), f.upper()])] = _json_rep(rng, ft)
        if rng.random() < 0.2:
            out["extra"] = 1
        return out
    raise ValueError(t)


def _json_rep(rng, t, null_rate=0.08):
    """A JSON test-file value for a column of type t: mostly valid, often a
    representation ksqlDB coerces, sometimes one it rejects."""
    r = rng.random()
    if r < null_rate:
        return None
    if r < 0.55:
        return _good(rng, t)
    n = t.name
    if n == "BOOLEAN":
        return rng.choice(["true", "false", "TRUE", 1, 0, "yes", [], {}])
    if n in ("INT", "BIGINT", "TIMESTAMP", "DATE", "TIME"):
        bits = 32 if n == "INT" else 64
        return rng.choice([_int_like(rng, bits), str(rng.randint(-99, 99)), "+7", "007", "1.0", "1e3", " 5",
                           "abc", "", 1.75, -2.5, 1e10, 3e19, True, [1], {"a": 1}, -1, 86400000, 86400001,
                           str(2 ** 31), str(2 ** 63)])
    if n == "DOUBLE":
        return rng.choice([rng.randint(-9, 9), 2 ** 63 + 1, "1.5", " 2.5 ", "NaN", "Infinity", "-Infinity", "nan",
                           "inf", "1e3", "1.5f", "2d", "0x1p3", "abc", "", ".5", "5.", True, [1.5], {"x": 1}])
    if n == "DECIMAL":
        return rng.choice([1.23456, 10.5, -0.5, 99999999999.5, 12, 0, "1.5", "-2", "1e1", " 1.5", "abc", ".5",
                           "5.", "+3", True, [1], 1e-10, 0.1])
    if n == "STRING":
        return rng.choice([1, -0, 2 ** 40, 1.5, 1e16, 1e-7, -0.0, 100.0, True, False,
                           {"a": 1, "B": [1, "x", None], "c": {"d": 1.5}}, {}, [], [1, "a", None, {"k": 2}, [3, 4]],
                           ["x"], {"s": "q\"\\\x01é"}])
    if n == "BYTES":
        return rng.choice(["YQ", "YWI", " YQ== ", "YQ== YWI=", "YQ==YWI=", "-_8=", "!!!!", "YQ=", "Y", 5, True, [],
                           "YQ==\n"])
    if n == "ARRAY":
        return rng.choice(["[1]", 1, {"a": 1}, [_json_rep(rng, t.params[0]) for _ in range(rng.randint(1, 3))]])
    if n in ("MAP", "STRUCT"):
        return rng.choice(["{}", 1, [1], _good(rng, t)])
    raise ValueError(t)


def _delimited_rep(rng, t, delimiter):
    """The text of one DELIMITED field."""
    r = rng.random()
    if r < 0.08:
        return ""
    n = t.name
    if r < 0.55:
        v = _good(rng, t)
        if isinstance(v, bool):
            s = "true" if v else "false"
        elif isinstance(v, float):
            s = repr(v)
        else:
            s = str(v)
    elif n == "BOOLEAN":
        s = rng.choice(["TRUE", "yes", "1", "False", "t"])
    elif n in ("INT", "BIGINT", "TIMESTAMP", "DATE", "TIME"):
        s = rng.choice(["+5", "-0", "007", str(2 ** 31), str(2 ** 63), "1.0", " 5", "5 ", "abc", "1e3", "-1",
                        "86400000", "86400001", str(-2 ** 31)])
    elif n == "DOUBLE":
        s = rng.choice([" 2.5 ", "NaN", "-Infinity", "1e3", "1.5d", "nan", "inf", "abc", "0x1p3", ".5", "5."])
    elif n == "DECIMAL":
        s = rng.choice(["1.23456", "99999999999.5", ".5", "5.", "1e1", "+3", " 1", "abc", "-0.00"])
    elif n == "STRING":
        s = rng.choice(WORDS + ["a" + delimiter + "b"])
    elif n == "BYTES":
        s = rng.choice(["YQ", "YWI", "Y Q==", "-_8=", "!!", "YQ=", "Y", "YQ==YQ=="])
    else:
        raise ValueError(t)
    q = rng.random()
    if q < 0.15 or (delimiter in s or s.startswith('"')):
        s = '"' + s.replace('"', '""') + '"'
        if rng.random() < 0.1:
            s += rng.choice([" ", "x"])
    elif q < 0.18:
        s = '"' + s                                   # unterminated quote
    return s


def _delimited_record(rng, types, delimiter):
    fields = [_delimited_rep(rng, t, delimiter) for t in types]
    r = rng.random()
    if r < 0.04:
        fields.append(_delimited_rep(rng, types[0], delimiter))
    elif r < 0.07 and len(fields) > 1:
        fields.pop()
    elif r < 0.08:
        return ""
    return delimiter.join(fields)


def _kafka_rep(rng, t):
    if rng.random() < 0.08:
        return None
    n = t.name
    if n == "INT":
        return rng.choice([rng.randint(-50, 50), 2 ** 31 - 1, -2 ** 31])
    if n == "BIGINT":
        return rng.choice([rng.randint(-50, 50), 2 ** 63 - 1, -2 ** 63, 2 ** 63 + 7, 3.75, -1e19])
    if n == "DOUBLE":
        return rng.choice([1.5, -0.25, 7, 1e300, 0.0])
    if n == "STRING":
        return rng.choice(WORDS)
    if n == "BYTES":
        return rng.choice(WORDS)
    raise ValueError(t)


def _avro_rep(rng, t):
    """AVRO inputs: valid values, and the strings and numbers ksqlDB's
    runner converts for the Avro schema (numbers as strings, anything for
    BOOLEAN and STRING)."""
    if rng.random() < 0.08:
        return None
    n = t.name
    if rng.random() < 0.6:
        v = _good(rng, t)
        if n in ("ARRAY",):
            return [_avro_rep(rng, t.params[0]) for _ in range(rng.randint(0, 3))]
        if n == "MAP":
            return {k: _avro_rep(rng, t.params[1]) for k in rng.sample(["a", "b", "K"], rng.randint(0, 3))}
        if n == "STRUCT":
            return {rng.choice([f, f.upper(), f.lower()]): _avro_rep(rng, ft) for f, ft in t.params
                    if rng.random() < 0.85}
        return v
    if n in ("INT", "BIGINT", "TIMESTAMP", "DATE", "TIME"):
        return rng.choice([str(rng.randint(0, 999)), "+12", "-3"])
    if n == "DOUBLE":
        return rng.choice(["1.5", "NaN", "-2", 3, " 4.5 "])
    if n == "BOOLEAN":
        return rng.choice(["true", "TRUE", "yes", 1, "false"])
    if n == "STRING":
        return rng.choice([12, 1.5, True, 1e16])
    if n == "DECIMAL":
        return rng.choice(["1.5", "0.125", " 2 ", "-0.5"])
    if n == "BYTES":
        return rng.choice(["YQ", "YWI="])
    return _good(rng, t)


# ---------------------------------------------------------------- records

def _value_rep(rng, fmt, cols, wrap, delimiter):
    types = [t for _, t in cols]
    if fmt == "DELIMITED":
        return _delimited_record(rng, types, delimiter)
    if fmt == "KAFKA":
        return _kafka_rep(rng, types[0])
    if not wrap:
        return _json_rep(rng, types[0]) if fmt == "JSON" else _avro_rep(rng, types[0])
    if fmt == "JSON" and rng.random() < 0.04:
        return rng.choice(["text", 5, [1, 2], True])
    out = {}
    for name, t in cols:
        if rng.random() < 0.9:
            key = rng.choice([name, name, name.lower()]) if not name.startswith("`") else name
            out[key] = _json_rep(rng, t) if fmt == "JSON" else _avro_rep(rng, t)
    return out


def _key_rep(rng, fmt, cols, delimiter=","):
    if not cols or rng.random() < 0.06:
        return None
    types = [t for _, t in cols]
    if fmt == "KAFKA":
        return _kafka_rep(rng, types[0])
    if fmt == "DELIMITED":
        return _delimited_record(rng, types, delimiter)
    if len(cols) == 1:
        return _json_rep(rng, types[0]) if fmt == "JSON" else _avro_rep(rng, types[0])
    return {name: (_json_rep(rng, t) if fmt == "JSON" else _avro_rep(rng, t)) for name, t in cols}


def _parsed(type_text):
    import ksql
    return ksql._Parser(type_text).type()


def _supports(fmt, t, key):
    """Whether fmt carries type t (ksqlDB rejects the statement otherwise)."""
    n = t.name
    if key and n == "MAP":
        return False
    if fmt == "KAFKA":
        return n in KAFKA_TYPES
    if fmt == "DELIMITED":
        return n not in ("ARRAY", "MAP", "STRUCT")
    if n == "ARRAY":
        return _supports(fmt, t.params[0], key)
    if n == "MAP":
        return _supports(fmt, t.params[1], key)
    if n == "STRUCT":
        return all(_supports(fmt, ft, key) for _, ft in t.params)
    return True


def _fmt_clause(name, value):
    return "%s='%s'" % (name, value)


def generate(rng):
    vfmt = rng.choice(["JSON"] * 5 + ["DELIMITED"] * 3 + ["AVRO"] * 2 + ["KAFKA"])
    kfmt = rng.choice(["KAFKA"] * 4 + ["JSON"] * 3 + ["DELIMITED"] * 2 + ["AVRO"])
    nkeys = 0 if rng.random() < 0.1 else (1 if kfmt == "KAFKA" or rng.random() < 0.7 else 2)
    keys = [("K%d" % i if nkeys > 1 else "K", sql_type(rng, _types_for(kfmt, True), no_map=True))
            for i in range(nkeys)]
    nvals = 1 if vfmt == "KAFKA" else rng.randint(1, 4)
    vals = [("C%d" % i, sql_type(rng, _types_for(vfmt, False))) for i in range(nvals)]
    wrap = True
    props = ["KAFKA_TOPIC='input_topic'", _fmt_clause("KEY_FORMAT", kfmt), _fmt_clause("VALUE_FORMAT", vfmt)]
    if nvals == 1 and vfmt in ("JSON", "AVRO") and rng.random() < 0.3:
        wrap = False
        props.append("WRAP_SINGLE_VALUE=false")
    delimiter = ","
    if vfmt == "DELIMITED" and rng.random() < 0.3:
        delimiter = rng.choice(["|", ";", "\t"])
        props.append("VALUE_DELIMITER='%s'" % {"\t": "TAB"}.get(delimiter, delimiter))
    defs = ["%s %s KEY" % c for c in keys] + ["%s %s" % c for c in vals]
    stmts = ["CREATE STREAM INPUT (%s) WITH (%s);" % (", ".join(defs), ", ".join(props))]

    # the query: every key column, a shuffled subset of the value columns
    chosen = [c for c in vals if rng.random() < 0.7] or [rng.choice(vals)]
    rng.shuffle(chosen)
    items = [k for k, _ in keys]
    for name, _ in chosen:
        items.append(name if rng.random() < 0.7 else "%s AS %s_R" % (name, name))
    out_props = []
    key_types = [_parsed(t) for _, t in keys]
    val_types = [_parsed(t) for _, t in chosen]
    if rng.random() < 0.35:
        cand = [f for f in ("JSON", "DELIMITED", "AVRO", "KAFKA") if f != vfmt and
                all(_supports(f, t, False) for t in val_types) and (f != "KAFKA" or len(val_types) == 1)]
        if cand:
            out_props.append(_fmt_clause("VALUE_FORMAT", rng.choice(cand)))
    if keys and rng.random() < 0.25:
        cand = [f for f in ("JSON", "DELIMITED", "AVRO", "KAFKA") if f != kfmt and
                all(_supports(f, t, True) for t in key_types) and (f != "KAFKA" or len(key_types) == 1)]
        if cand:
            out_props.append(_fmt_clause("KEY_FORMAT", rng.choice(cand)))
    out_vfmt = next((p.split("'")[1] for p in out_props if p.startswith("VALUE_FORMAT")), vfmt)
    if len(chosen) == 1 and out_vfmt in ("JSON", "AVRO") and rng.random() < 0.3:
        out_props.append("WRAP_SINGLE_VALUE=false")
    where = ""
    if rng.random() < 0.15:
        where = " WHERE %s IS NOT NULL" % chosen[0][0]
    with_clause = " WITH (%s)" % ", ".join(out_props) if out_props else ""
    stmts.append("CREATE STREAM OUTPUT%s AS SELECT %s FROM INPUT%s;" % (with_clause, ", ".join(items), where))

    vcols = [(n, _parsed(t)) for n, t in vals]
    kcols = [(n, _parsed(t)) for n, t in keys]
    inputs, ts = [], 0
    for _ in range(rng.randint(1, 25)):
        ts += rng.randint(0, 1000)
        for _attempt in range(30):
            rec = {"topic": "input_topic", "key": _key_rep(rng, kfmt, kcols),
                   "value": None if rng.random() < 0.04 else _value_rep(rng, vfmt, vcols, wrap, delimiter),
                   "timestamp": ts}
            try:
                engine.expected_outputs({"statements": stmts, "inputs": [rec]})
            except OutOfScope:
                continue
            inputs.append(rec)
            break
    return {"statements": stmts, "inputs": inputs}


def corpus(cid, case):
    return cid.split("/")[0] in CORPUS_FILES
