"""Pieces the join families share: sources with random schemas, join
conditions, projections ksqlDB accepts, and input records.

Only SQL ksqlDB accepts is generated: a join key column (or ROWKEY when the
key is synthetic) selected exactly once, no duplicate output names, no
ambiguous unqualified names, WITHIN only on stream-stream joins, tables
joined on their primary key (foreign keys only from the left table of the
first join), equal types on both sides of ON."""
import gen_common as g

KEY_TYPES = ["BIGINT", "INT", "STRING"]
VALUE_TYPES = ["BIGINT", "INT", "STRING", "DOUBLE", "BOOLEAN"]
UNITS = [("MILLISECONDS", 1), ("SECONDS", 1000)]


class Src:
    """A source of a generated case."""

    def __init__(self, name, kind, key, cols, fmt, alias=None):
        self.name = name
        self.kind = kind                   # STREAM or TABLE
        self.key = key                     # (name, type)
        self.cols = cols                   # [(name, type)]
        self.fmt = fmt
        self.alias = alias
        self.topic = name.lower() + "_topic"
        self.key_format = None             # None: KAFKA (the default)

    @property
    def ref(self):
        """How the statement names it."""
        return self.alias or self.name

    def columns(self):
        return [self.key] + self.cols

    def create(self):
        extra = ", KEY_FORMAT='%s'" % self.key_format if self.key_format else ""
        return g.create_stream(self.name, self.topic, self.key, self.cols, self.fmt, kind=self.kind, extra=extra)

    def from_clause(self):
        return "%s %s" % (self.name, self.alias) if self.alias else self.name


def make_source(rng, name, kind, key_type=None, shared=(), join_col_type=None):
    """A source with 1-3 value columns. `shared` names may be reused so
    that sources clash on column names; join_col_type adds a value column
    of that type to join on."""
    key = (rng.choice(["ID", "K", name + "_ID"]), key_type or rng.choice(KEY_TYPES))
    cols = []
    n = rng.randint(1, 3)
    used = {key[0]}
    for i in range(n):
        if shared and rng.random() < 0.4:
            c = rng.choice(list(shared))
        else:
            c = "%s%d" % (rng.choice(["V", "C", name[0] + "V"]), i)
        if c in used:
            continue
        used.add(c)
        cols.append((c, rng.choice(VALUE_TYPES)))
    if join_col_type:
        c = base = rng.choice(["FK", "JK", name + "_FK"])
        # a free name: a shared column may have taken JK2 already (the
        # statement would then be refused for its duplicate column)
        n = 2
        while c in used:
            c = "%s%d" % (base, n)
            n += 1
        cols.append((c, join_col_type))
        used.add(c)
    if not cols:
        cols.append(("V0", "BIGINT"))
    fmt = "JSON" if rng.random() < 0.8 else "DELIMITED"
    if fmt == "DELIMITED":
        cols = [(c, "STRING" if t in ("BOOLEAN", "DOUBLE") else t) for c, t in cols]
    alias = rng.choice([None, None, name[0] + "X", "T" + name[-1]])
    return Src(name, kind, key, cols, fmt, alias)


def fix_aliases(srcs, rng=None):
    """Aliases must differ from every source's name and from each other.
    Also: a DELIMITED left source makes the sink DELIMITED, which cannot
    hold DOUBLE or BOOLEAN columns from the other sources either. With rng,
    sometimes every source's keys are JSON (one key format for all: a
    mismatch makes ksqlDB repartition a side, which is not modelled)."""
    if rng is not None and rng.random() < 0.15:
        for s in srcs:
            s.key_format = "JSON"
    if srcs[0].fmt == "DELIMITED":
        for s in srcs:
            s.cols = [(c, "STRING" if t in ("BOOLEAN", "DOUBLE") else t) for c, t in s.cols]
    names = {s.name for s in srcs}
    seen = set()
    for s in srcs:
        if s.alias and (s.alias in names or s.alias in seen):
            s.alias = None
        if s.alias:
            seen.add(s.alias)
        else:
            seen.add(s.name)


def within(rng):
    """A WITHIN clause (before, after) in ms and its text, maybe with GRACE."""
    unit, mult = rng.choice(UNITS) if rng.random() < 0.3 else UNITS[0]
    pick = (lambda: rng.choice([0, 1, 2, 5])) if mult > 1 else (lambda: rng.choice([0, 50, 100, 500, 1000, 2000]))
    if rng.random() < 0.6:
        b = pick() or 1
        text = "WITHIN %d %s" % (b, unit)
        before = after = b * mult
    else:
        b, a = pick(), pick()
        if b + a == 0:
            a = 1
        text = "WITHIN (%d %s, %d %s)" % (b, unit, a, unit)
        before, after = b * mult, a * mult
    grace = None
    if rng.random() < 0.6:
        gu, gm = rng.choice(UNITS) if rng.random() < 0.2 else UNITS[0]
        gv = rng.choice([0, 0, 100, 500, 1000, 3000]) if gm == 1 else rng.choice([0, 1, 2])
        text += " GRACE PERIOD %d %s" % (gv, gu)
        grace = gv * gm
    return text, before, after, grace


def col(src, c, qualify=True):
    return "%s.%s" % (src.ref, c) if qualify else c


def value_of(rng, t, null_rate=0.1):
    return g.value(rng, t, null_rate=null_rate)


def record(rng, src, key, ts, tombstone=False, overrides=None):
    if tombstone:
        v = None
    else:
        vals = []
        for c, t in src.cols:
            if overrides and c in overrides:
                vals.append(overrides[c])
            else:
                vals.append(value_of(rng, t))
        v = g.encode_value(rng, src.cols, src.fmt, vals)
    return {"topic": src.topic, "key": key, "value": v, "timestamp": ts}


def key_value(rng, t, pool):
    return rng.choice(pool)


def key_pool(rng, t, n=None):
    n = n or rng.randint(1, 4)
    if t == "STRING":
        vals = ["a", "b", "c", "k1", "k2", "zz"]
    else:
        vals = [0, 1, 2, 3, 7, -1, 100]
    rng.shuffle(vals)
    return vals[:n]


def times(rng, n, spread, late=0.1, start=None):
    """n timestamps, mostly increasing, some moved back (disorder) and some
    far back (late for every window). Never below 1: a broker run
    (--bootstrap) shifts cases with times <= 0, and a ROWTIME selected into
    a value cannot be shifted back."""
    ts = start if start is not None else rng.randint(1, 1000)
    out = []
    for _ in range(n):
        ts += rng.randint(0, spread)
        t = ts
        r = rng.random()
        if r < late:
            t = max(1, ts - rng.randint(spread, 6 * spread))
        elif r < late + 0.2:
            t = max(1, ts - rng.randint(0, spread))
        out.append(t)
    return out


def unique_names(items):
    """True when the select items' output names are all different (items:
    (text, name))."""
    names = [n for _, n in items]
    return len(names) == len(set(names))


# ---------------------------------------------------------------- join shapes

class Cond:
    """One ON: left and right expressions as text; `left_col`/`right_col`
    are (src, column) when the side is a plain column reference."""

    def __init__(self, kind, right, ltext, rtext, lcol=None, rcol=None, within_text="", flipped=False, kw=None):
        self.kind = kind
        self.kw = kw or {"INNER": "JOIN", "LEFT": "LEFT JOIN", "RIGHT": "RIGHT JOIN", "FULL": "FULL OUTER JOIN"}[kind]
        self.right = right
        self.ltext = ltext
        self.rtext = rtext
        self.lcol = lcol
        self.rcol = rcol
        self.within_text = within_text
        self.flipped = flipped

    def clause(self):
        on = "%s = %s" % ((self.rtext, self.ltext) if self.flipped else (self.ltext, self.rtext))
        w = " " + self.within_text if self.within_text else ""
        return "%s %s%s ON %s" % (self.kw, self.right.from_clause(), w, on)


def join_keyword(rng, kind):
    return rng.choice({"INNER": ["JOIN", "INNER JOIN"], "LEFT": ["LEFT JOIN", "LEFT OUTER JOIN"],
                       "RIGHT": ["RIGHT JOIN", "RIGHT OUTER JOIN"], "FULL": ["FULL OUTER JOIN", "FULL JOIN"]}[kind])


def viable_keys(conds):
    """ksqlDB's viable key columns of a left-deep join (JoinTree): column
    references in the final join's equivalence set; [] means a synthetic
    ROWKEY."""
    eq, viable = set(), []
    for i, c in enumerate(conds):
        if c.kind == "FULL":
            eq, viable = set(), []
            continue
        keys = {c.ltext, c.rtext}
        neq = set(keys)
        if eq & keys:
            neq |= eq
        cands = viable + [(c.ltext, c.lcol), (c.rtext, c.rcol)]
        viable = [(t, colref) for t, colref in cands if colref and t in neq]
        seen, out = set(), []
        for t, colref in viable:
            if t not in seen:
                seen.add(t)
                out.append((t, colref))
        viable, eq = out, neq
    return viable


def clash(srcs, c):
    return sum(1 for s in srcs if any(n == c for n, _ in s.columns())) > 1


def default_name(srcs, src, c, qualified=True):
    return "%s_%s" % (src.ref, c) if qualified and clash(srcs, c) else c


def projection(rng, srcs, conds, allow_rowtime=True, fk_key=None):
    """Select items (text, output name) ksqlDB accepts for the join.
    fk_key: (src, column) of a foreign-key join's left key, which the
    projection must hold."""
    viable = viable_keys(conds) if fk_key is None else [("%s.%s" % (fk_key[0].ref, fk_key[1]), fk_key)]
    synthetic = not viable
    r = rng.random()
    if r < 0.2:
        items = [("*", None)]
        extra = _value_items(rng, srcs, set(), rng.randint(0, 1), allow_rowtime, star=True)
        return items + extra
    items, used = [], set()
    covered_key = False
    if r < 0.4:
        # some qualified stars
        for s in srcs:
            if rng.random() < 0.5:
                items.append(("%s.*" % s.ref, None))
                for c, _ in s.columns():
                    used.add((s.ref, c))
                if not synthetic and any(colref == (s, s.key[0]) for _, colref in viable):
                    covered_key = True
                if not synthetic and any(colref[0] is s for _, colref in viable):
                    covered_key = True
    if synthetic:
        name = rng.choice(["ROWKEY", "K", "JKEY"])
        items.insert(0, ("ROWKEY" if name == "ROWKEY" else "ROWKEY AS %s" % name, name))
    elif not covered_key:
        text, (s, c) = rng.choice(viable)
        if (s.ref, c) not in used:
            used.add((s.ref, c))
            if rng.random() < 0.4:
                name = rng.choice(["K", "ID", "JOIN_KEY"])
                items.insert(0, ("%s AS %s" % (text, name), name))
            else:
                items.insert(0, (text, default_name(srcs, s, c)))
    items += _value_items(rng, srcs, used, rng.randint(1, 4), allow_rowtime)
    if not any(it[0] for it in items[1:]) or len(items) < 2:
        items += _value_items(rng, srcs, used, 1, allow_rowtime, force=True)
    return items


def _value_items(rng, srcs, used, n, allow_rowtime, star=False, force=False):
    out = []
    taken = set()
    for _ in range(n * 3):
        if len(out) >= n:
            break
        s = rng.choice(srcs)
        r = rng.random()
        if allow_rowtime and r < 0.07:
            name = "%s_TIME" % s.ref
            if name not in taken:
                taken.add(name)
                out.append(("%s.ROWTIME AS %s" % (s.ref, name), name))
            continue
        c, t = rng.choice(s.cols)
        if star or r < 0.25:
            # an expression, always aliased
            name = "E%d_%s" % (len(out), s.ref)
            if t in ("INT", "BIGINT"):
                text = "%s.%s %s %d" % (s.ref, c, rng.choice(["+", "-", "*"]), rng.randint(1, 5))
            elif t == "STRING":
                text = "CONCAT(%s.%s, '!')" % (s.ref, c)
            elif t == "DOUBLE":
                text = "%s.%s * 2" % (s.ref, c)
            else:
                text = "NOT %s.%s" % (s.ref, c) if rng.random() < 0.0 else "%s.%s" % (s.ref, c)
                if (s.ref, c) in used:
                    continue
            if name in taken:
                continue
            taken.add(name)
            out.append(("%s AS %s" % (text, name), name))
            continue
        if (s.ref, c) in used:
            continue
        used.add((s.ref, c))
        if not clash(srcs, c) and rng.random() < 0.3:
            text, name = c, c
        else:
            text, name = "%s.%s" % (s.ref, c), default_name(srcs, s, c)
        if rng.random() < 0.15 or name in taken:
            name = "A%d_%s" % (len(out), c)
            text = "%s AS %s" % (text, name)
        if name in taken:
            continue
        taken.add(name)
        out.append((text, name))
    if force and not out:
        s = srcs[0]
        c, _ = s.cols[0]
        out.append(("%s.%s AS FORCED_%s" % (s.ref, c, c), "FORCED_" + c))
    return out


def select_text(items):
    return ", ".join(t for t, _ in items)


def where(rng, srcs):
    s = rng.choice(srcs)
    c, t = rng.choice(s.cols)
    ref = "%s.%s" % (s.ref, c)
    if t in ("INT", "BIGINT"):
        return "%s %s %d" % (ref, rng.choice(["<", ">", "<>", "="]), rng.randint(-5, 5))
    if t == "STRING":
        return rng.choice(["%s IS NULL" % ref, "%s IS NOT NULL" % ref, "%s <> 'a'" % ref])
    return "%s IS NOT NULL" % ref


def statement(kind, name, items, srcs, conds, where_text=None):
    sql = "CREATE %s %s AS SELECT %s FROM %s" % (kind, name, select_text(items), srcs[0].from_clause())
    for c in conds:
        sql += " " + c.clause()
    if where_text:
        sql += " WHERE " + where_text
    return sql + ";"


def accepted(case):
    """Whether the reference model builds the case (the generator retries
    another projection when not: a key selected twice, a clash of names)."""
    import engine
    from ksql import OutOfScope
    try:
        engine.Engine(case["statements"], case.get("properties"))
        return True
    except OutOfScope:
        return False
