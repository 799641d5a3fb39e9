"""Family `aggregate`: GROUP BY without a window, over a stream or a table.

Random schemas (a BIGINT, INT or STRING key; one to four value columns of
BOOLEAN, INT, BIGINT, DOUBLE, STRING), JSON or DELIMITED values, KAFKA or
JSON keys. GROUP BY the key (no repartition), a value column, an
expression, a constant, or several of them (JSON keys); one to four
aggregate functions among those Sluice has (over a table only those with
an undo; with DELIMITED only those whose intermediate value is a
primitive), sometimes inside arithmetic; an optional WHERE and HAVING;
collect_list/collect_set limits. Inputs: small value pools so that groups
collide, wide values now and then (INT and BIGINT sums wrap), NULLs, NULL
keys, tombstones, disorder (output times are the max of a group's), and
for tables a small key pool so that rows change group, are retracted and
deleted.
"""
import gen_common as g
from gen_project import _predicate

NAME = "aggregate"
STATEFUL = True

NUM = ("INT", "BIGINT", "DOUBLE")


def _value(rng, t, wide=0.1, null_rate=0.12):
    if rng.random() < null_rate:
        return None
    if rng.random() < wide:
        return g.value(rng, t, null_rate=0, small=False)
    if t == "BOOLEAN":
        return rng.random() < 0.5
    if t in ("INT", "BIGINT"):
        return rng.randint(-3, 5)
    if t == "DOUBLE":
        return rng.choice([0.0, 1.5, -2.25, 4.0, 0.5])
    return rng.choice(["a", "b", "c", "", "xy"])


def _inputs(rng, topic, key, cols, fmt, n, is_table, key_fmt_json, ts_col=None):
    out, ts = [], 0
    pool = [_value(rng, key[1], wide=0, null_rate=0) for _ in range(rng.randint(1, 5))]
    for _ in range(n):
        ts += rng.randint(0, 1000)
        t = max(0, ts - rng.randint(0, 3000)) if rng.random() < 0.25 else ts
        if ts_col is not None:
            # sluice test --bootstrap shifts every time when one is 0 (a
            # Kafka client cannot write 0), which a time from a column
            # does not follow
            t = max(1, t)
        if rng.random() < (0.03 if is_table else 0.05):
            k = None
        elif is_table or rng.random() < 0.7:
            k = rng.choice(pool)
        else:
            k = _value(rng, key[1], null_rate=0)
        if rng.random() < (0.15 if is_table else 0.05):
            v = None
        else:
            vals = [_value(rng, c[1]) for c in cols]
            if ts_col is not None and vals[ts_col] == 0:
                # a record time of 0 cannot be written through librdkafka
                # (it reads 0 as "now"): keep broker runs comparable
                vals[ts_col] = 1
            v = g.encode_value(rng, cols, fmt, vals)
        out.append({"topic": topic, "key": k, "value": v, "timestamp": t})
    return out


def _group_exprs(rng, key, cols, json_key):
    """[(expression, type, alias or None)]: what to GROUP BY."""
    keyable = [c for c in cols if json_key or c[1] != "BOOLEAN"]
    choices = []

    def one():
        r = rng.random()
        if r < 0.3 or not keyable:
            return (key[0], key[1], None)
        name, t = rng.choice(keyable)
        if r < 0.7:
            return (name, t, None)
        if t in ("INT", "BIGINT") and r < 0.85:
            return ("%s %s %d" % (name, rng.choice(["+", "-", "*", "%"]), rng.randint(1, 3)), t,
                    rng.choice([None, "G_%s" % name]))
        if t in ("INT", "BIGINT", "DOUBLE") and r < 0.9:
            return ("ABS(%s)" % name, t, rng.choice([None, "A_%s" % name]))
        if t == "STRING" and r < 0.95:
            return (rng.choice(["UCASE(%s)", "CONCAT(%s, '-')"]) % name, t, "S_%s" % name)
        if t == "STRING":
            return ("LEN(%s)" % name, "INT", "L_%s" % name)
        return ("1", "INT", rng.choice([None, "ONE"]))

    n = 1 if not json_key or rng.random() < 0.4 else rng.randint(2, 3)
    while len(choices) < n:
        c = one()
        if c[0] not in [x[0] for x in choices]:
            choices.append(c)
        elif len(choices) >= 1 and rng.random() < 0.3:
            break
    return choices


def _aggregates(rng, cols, is_table, delimited, props):
    """1-4 aggregate select expressions (text) and whether any is used."""
    nums = [c for c in cols if c[1] in NUM]
    ordered = [c for c in cols if c[1] in ("INT", "BIGINT", "DOUBLE", "STRING")]
    strings = [c for c in cols if c[1] == "STRING"]
    options = ["COUNT(*)", "COUNT()", "COUNT(1)"]
    options += ["COUNT(%s)" % c[0] for c in cols]
    options += ["SUM(%s)" % c[0] for c in nums if not delimited or c[1] != "DOUBLE"]
    if not delimited:
        options += ["AVG(%s)" % c[0] for c in nums]
        options += ["STDDEV_SAMP(%s)" % c[0] for c in nums]
        options += ["STDDEV_SAMPLE(%s)" % c[0] for c in nums]
        options += ["COLLECT_LIST(%s)" % c[0] for c in cols]
        options += ["HISTOGRAM(IFNULL(%s, 'n'))" % c[0] for c in strings]
        options += ["ATTR(%s)" % c[0] for c in cols]
        for a in nums:
            for b in nums:
                if a[1] == b[1]:
                    options.append("CORRELATION(%s, %s)" % (a[0], b[0]))
    if not is_table:
        options += ["%s(%s)" % (f, c[0]) for c in ordered for f in ("MIN", "MAX")
                    if not delimited or c[1] != "DOUBLE"]
        if not delimited:
            for c in ordered:
                k = rng.randint(1, 4)
                options.append("TOPK(%s, %d)" % (c[0], k))
                options.append("TOPKDISTINCT(%s, %d)" % (c[0], k))
                other = rng.choice(cols)
                if other[0] != c[0]:
                    options.append("TOPK(%s, %s, %d)" % (c[0], other[0], k))
            for c in cols:
                options.append("COLLECT_SET(%s)" % c[0])
                options.append("COUNT_DISTINCT(%s)" % c[0])
                for f in ("EARLIEST_BY_OFFSET", "LATEST_BY_OFFSET"):
                    extra = rng.choice(["", ", true", ", false", ", %d" % rng.randint(1, 3),
                                        ", %d, %s" % (rng.randint(1, 3), rng.choice(["true", "false"]))])
                    options.append("%s(%s%s)" % (f, c[0], extra))
    out = []
    for _ in range(rng.randint(1, 4)):
        a = rng.choice(options)
        if a.startswith("COLLECT_") and rng.random() < 0.3:
            name = "ksql.functions.%s.limit" % a[:a.index("(")].lower()
            props[name] = rng.randint(0, 3)
        if rng.random() < 0.15 and (a.startswith("COUNT") or a.startswith("SUM")):
            a = "%s %s %d" % (a, rng.choice(["+", "*", "-"]), rng.randint(1, 3))
        out.append(a)
    return out


def _having(rng, aggs, cols, nums):
    r = rng.random()
    if r < 0.5:
        return "COUNT(*) %s %d" % (rng.choice([">", ">=", "<", "<>", "="]), rng.randint(0, 3))
    if nums and r < 0.8:
        c = rng.choice(nums)
        return "SUM(%s) %s %d" % (c[0], rng.choice([">", "<", "<>"]), rng.randint(-2, 6))
    if cols and r < 0.9:
        c = rng.choice(cols)
        return "COUNT(%s) > 1 AND COUNT(*) < 5" % c[0]
    return "COUNT(*) %% 2 = %d" % rng.randint(0, 1)


def _arg_expressions(rng, cols, is_table):
    """Aggregates of expressions: evaluated per row, a failing one is NULL."""
    ints = [c for c in cols if c[1] in ("INT", "BIGINT")]
    out = []
    for c in ints:
        out.append("SUM(%s * 2)" % c[0])
        out.append("SUM(100 / %s)" % c[0])
        out.append("COUNT(%s > 0)" % c[0])
        if not is_table:
            out.append("MAX(%s - 1)" % c[0])
    for a in ints:
        for b in ints:
            if a[1] == b[1] and a != b:
                out.append("SUM(%s + %s)" % (a[0], b[0]))
    return out


def generate(rng):
    is_table = rng.random() < 0.35
    fmt = "DELIMITED" if rng.random() < 0.2 else "JSON"
    key, cols, _ = g.schema(rng, formats=(fmt,))
    if fmt == "DELIMITED":
        cols = [(c, "STRING" if t in ("BOOLEAN", "DOUBLE") else t) for c, t in cols]
    json_src_key = fmt == "JSON" and rng.random() < 0.3
    keyless = not is_table and not json_src_key and rng.random() < 0.1
    json_sink_key = not json_src_key and rng.random() < 0.25
    json_key = json_src_key or json_sink_key
    kind = "TABLE" if is_table else "STREAM"
    extra = ", KEY_FORMAT='JSON'" if json_src_key else ""
    bigints = [c for c, t in cols if t == "BIGINT"]
    ts_col = None
    if not is_table and bigints and rng.random() < 0.15:
        # event time from a column (a NULL or negative one fails the record)
        ts_name = rng.choice(bigints)
        ts_col = [c for c, _ in cols].index(ts_name)
        extra += ", TIMESTAMP='%s'" % ts_name
    if keyless:
        stmts = ["CREATE STREAM INPUT (%s) WITH (KAFKA_TOPIC='input_topic', VALUE_FORMAT='%s'%s);" % (
            ", ".join("%s %s" % c for c in cols), fmt, extra)]
    else:
        stmts = [g.create_stream("INPUT", "input_topic", key, cols, fmt, kind=kind, extra=extra)]
    props = {}
    groups = _group_exprs(rng, key, cols, json_key)
    if keyless and any(e == key[0] for e, _, _ in groups):
        groups = [x for x in groups if x[0] != key[0]] or [("1", "INT", "ONE")]
    ints = [c for c in cols if c[1] in ("INT", "BIGINT")]
    if ints and rng.random() < 0.1:
        c = rng.choice(ints)
        groups[0] = ("100 / %s" % c[0], c[1], "Q")      # fails (NULL, logged) on 0
    items = []
    for i, (e, t, alias) in enumerate(groups):
        items.append(e + (" AS %s%d" % (alias, i) if alias else ""))
        if t in ("INT", "BIGINT") and rng.random() < 0.15:
            items.append("(%s) * 7 AS D%d" % (e, i))     # computed from the key
    chained = fmt == "JSON" and rng.random() < 0.15
    if chained:
        # OUTPUT is read back: only columns the model's JSON reader knows
        ints = [c for c in cols if c[1] in ("INT", "BIGINT")]
        aggs = [rng.choice(["COUNT(%s)" % c[0] for c in cols] + ["SUM(%s)" % c[0] for c in ints] +
                           (["MIN(%s)" % c[0] for c in ints] if not is_table else []) + ["COUNT(1)"])
                for _ in range(rng.randint(0, 2))]
        items.append("COUNT(*) AS CNT")
    else:
        aggs = _aggregates(rng, cols, is_table, fmt == "DELIMITED", props)
        exprs = _arg_expressions(rng, cols, is_table)
        if exprs and rng.random() < 0.25:
            aggs.append(rng.choice(exprs))
    for i, a in enumerate(aggs):
        items.append(a + (" AS AGG%d" % i if rng.random() < 0.7 else ""))
    rng.shuffle(items)
    all_cols = ([] if keyless else [key]) + cols
    where = " WHERE " + _predicate(rng, all_cols) if rng.random() < 0.3 else ""
    nums = [c for c in cols if c[1] in NUM and (fmt != "DELIMITED" or c[1] != "DOUBLE")]
    having = " HAVING " + _having(rng, aggs, cols, nums) if rng.random() < 0.3 else ""
    with_ = " WITH (KEY_FORMAT='JSON')" if json_sink_key else ""
    stmts.append("CREATE TABLE OUTPUT%s AS SELECT %s FROM INPUT%s GROUP BY %s%s;" % (
        with_, ", ".join(items), where, ", ".join(e for e, _, _ in groups), having))
    if chained:
        # an aggregation of the aggregate: every update of OUTPUT retracts
        # its previous row from OUTPUT2 (and a HAVING tombstone deletes it)
        stmts.append("CREATE TABLE OUTPUT2 AS SELECT CNT, COUNT(*) AS N, SUM(CNT) AS S%s FROM OUTPUT GROUP BY CNT;"
                     % (", COLLECT_LIST(CNT) AS L" if fmt == "JSON" else ""))
    n = rng.randint(1, 30)
    inputs = _inputs(rng, "input_topic", key, cols, fmt, n, is_table, json_src_key, ts_col)
    if keyless:
        for r in inputs:
            r["key"] = None
    case = {"statements": stmts, "inputs": inputs}
    if props:
        case["properties"] = props
    return case


def corpus(cid, case):
    text = " ".join(case.get("statements", [])).upper()
    return "GROUP BY" in text and " WINDOW " not in text and " JOIN " not in text
