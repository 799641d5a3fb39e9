"""Family `project`: WHERE and projection over a stream (no state).

Random schemas (a BIGINT, INT or STRING key; one to four value columns of
BOOLEAN, INT, BIGINT, DOUBLE, STRING), JSON or DELIMITED values, NULL keys
and values, tombstones, a random WHERE (comparisons, IS [NOT] NULL,
BETWEEN, IN, AND/OR/NOT) and projections with integer arithmetic that
overflows as Java's does."""
import gen_common as g

NAME = "project"
STATEFUL = False


def _predicate(rng, cols, depth=0):
    r = rng.random()
    if depth < 2 and r < 0.25:
        op = rng.choice(["AND", "OR"])
        return "(%s %s %s)" % (_predicate(rng, cols, depth + 1), op, _predicate(rng, cols, depth + 1))
    if depth < 2 and r < 0.3:
        return "NOT (%s)" % _predicate(rng, cols, depth + 1)
    name, t = rng.choice(cols)
    if r < 0.45:
        return "%s IS %sNULL" % (name, rng.choice(["", "NOT "]))
    if t == "BOOLEAN":
        return "%s = %s" % (name, rng.choice(["true", "false"]))
    lit = g.literal(rng, t)
    if t in ("INT", "BIGINT") and r < 0.6:
        lo = g.value(rng, t, null_rate=0) or 0
        return "%s BETWEEN %d AND %d" % (name, lo, lo + rng.randint(0, 50))
    if r < 0.7:
        return "%s IN (%s)" % (name, ", ".join(g.literal(rng, t) for _ in range(rng.randint(1, 3))))
    return "%s %s %s" % (name, rng.choice(["=", "<>", "<", "<=", ">", ">="]), lit)


def generate(rng):
    key, cols, fmt = g.schema(rng)
    stmts = [g.create_stream("INPUT", "input_topic", key, cols, fmt)]
    all_cols = [key] + cols
    items = [key[0]]
    for name, t in cols:
        r = rng.random()
        if r < 0.5:
            items.append(name)
        elif t in ("INT", "BIGINT") and r < 0.8:
            other = rng.choice([c for c in all_cols if c[1] == t] or [(name, t)])[0]
            items.append("%s %s %s AS %s_X" % (name, rng.choice(["+", "-", "*"]), other, name))
        elif t == "STRING" and r < 0.8:
            items.append("CONCAT(%s, '-') AS %s_C" % (name, name))
    if len(items) == 1:                 # ksqlDB wants a value column
        items.append(cols[0][0])
    where = " WHERE " + _predicate(rng, all_cols) if rng.random() < 0.7 else ""
    stmts.append("CREATE STREAM OUTPUT AS SELECT %s FROM INPUT%s;" % (", ".join(items), where))
    inputs = g.stream_inputs(rng, "input_topic", key, cols, fmt, rng.randint(1, 30))
    return {"statements": stmts, "inputs": inputs}


def corpus(cid, case):
    text = " ".join(case.get("statements", [])).upper()
    return not any(w in text for w in (" JOIN ", "GROUP BY", "WINDOW", "PARTITION BY", "EMIT FINAL"))
