"""Family `join_chain`: chains of three sources, left-deep as ksqlDB builds
them: stream-table-table, table-table-table (the first join maybe on a
foreign key), stream-stream-stream, stream-stream-table, stream-table-
stream; the second join on a key of the first one's result (no re-keying)
or on another column (re-keyed), including after a FULL OUTER join whose
key is synthetic; qualified and aliased columns, SELECT * and X.*."""
import gen_join_common as j

NAME = "join_chain"
STATEFUL = True

SHAPES = [("STREAM", "TABLE", "TABLE"), ("TABLE", "TABLE", "TABLE"), ("STREAM", "STREAM", "STREAM"),
          ("STREAM", "STREAM", "TABLE"), ("STREAM", "TABLE", "STREAM")]
NAMES = [("S1", "S2", "S3"), ("A", "B", "C"), ("LEFT_X", "MIDDLE_X", "RIGHT_X")]


def _kind(rng, ltab_or_stream, rkind, first_ltable):
    if rkind == "TABLE" and not first_ltable:
        return rng.choice(["INNER", "LEFT"])
    return rng.choice(["INNER", "LEFT", "RIGHT", "FULL"])


def _case(rng):
    shape = rng.choice(SHAPES)
    names = rng.choice(NAMES)
    kt = rng.choice(j.KEY_TYPES)
    fk = shape == ("TABLE", "TABLE", "TABLE") and rng.random() < 0.3
    srcs = []
    for i, (kind, name) in enumerate(zip(shape, names)):
        shared = [c for s in srcs for c, _ in s.cols]
        if i == 0 and fk:
            srcs.append(j.make_source(rng, name, kind, kt, join_col_type=rng.choice(j.KEY_TYPES)))
        else:
            srcs.append(j.make_source(rng, name, kind, kt, shared=shared,
                                      join_col_type=kt if rng.random() < 0.4 else None))
    j.fix_aliases(srcs, rng)
    s0, s1, s2 = srcs
    conds = []
    # first join
    all_tables = shape[0] == shape[1] == "TABLE"
    if fk:
        k1 = rng.choice(["INNER", "LEFT"])
        fcol = s0.cols[-1]
        s1.key = (s1.key[0], fcol[1])
        lt, lcol = "%s.%s" % (s0.ref, fcol[0]), (s0, fcol[0])
    else:
        k1 = rng.choice(["INNER", "LEFT", "RIGHT", "FULL"]) if shape[1] == "STREAM" or all_tables else \
            rng.choice(["INNER", "LEFT"])
        lt, lcol = "%s.%s" % (s0.ref, s0.key[0]), (s0, s0.key[0])
    w1 = j.within(rng)[0] if shape[1] == "STREAM" else ""
    conds.append(j.Cond(k1, s1, lt, "%s.%s" % (s1.ref, s1.key[0]), lcol, (s1, s1.key[0]), w1,
                        flipped=rng.random() < 0.2, kw=j.join_keyword(rng, k1)))
    # second join: the left side is the first join's result
    inter_table = all_tables
    if inter_table and k1 == "FULL":
        conds[0].kind, conds[0].kw = "INNER", "JOIN"
        k1 = "INNER"
    if shape[2] == "TABLE" and not inter_table:
        k2 = rng.choice(["INNER", "LEFT"])
    elif inter_table and fk:
        k2 = rng.choice(["INNER", "LEFT", "RIGHT", "FULL"])
    else:
        k2 = rng.choice(["INNER", "LEFT", "RIGHT", "FULL"])
    # left expression of the second join
    cands = []
    if fk:
        cands.append((s0, s0.key[0]))
    elif k1 != "FULL":
        cands += [(s0, s0.key[0]), (s1, s1.key[0])]
    if not inter_table:
        for s in (s0, s1):
            cands += [(s, c) for c, t in s.cols if t == s2.key[1]]
        if k1 == "FULL":
            cands += [(s0, s0.key[0]), (s1, s1.key[0])]
    if not cands:
        cands = [(s0, s0.key[0])]
    ls, lc = rng.choice(cands)
    rname = s2.key[0]
    if shape[2] == "STREAM" and rng.random() < 0.3:
        rc = [c for c, t in s2.cols if t == (ls.key[1] if lc == ls.key[0] else dict(ls.cols)[lc])]
        if rc:
            rname = rng.choice(rc)
    w2 = j.within(rng)[0] if shape[2] == "STREAM" else ""
    conds.append(j.Cond(k2, s2, "%s.%s" % (ls.ref, lc), "%s.%s" % (s2.ref, rname), (ls, lc), (s2, rname), w2,
                        flipped=rng.random() < 0.2, kw=j.join_keyword(rng, k2)))
    stmts = [s.create() for s in srcs]
    fk_key = (s0, s0.key[0]) if fk and False else None
    items = j.projection(rng, srcs, conds, fk_key=fk_key)
    wh = j.where(rng, srcs) if rng.random() < 0.1 else None
    out_kind = "TABLE" if all(k == "TABLE" for k in shape) else "STREAM"
    stmts.append(j.statement(out_kind, "OUTPUT", items, srcs, conds, wh))
    pool = j.key_pool(rng, kt)
    n = rng.randint(1, 30)
    ts = j.times(rng, n, rng.choice([50, 300, 1000]), late=0.08)
    inputs = []
    pools = {kt: pool}
    for t in ts:
        s = rng.choice(srcs)
        key = None if rng.random() < 0.04 else rng.choice(pools.setdefault(s.key[1], j.key_pool(rng, s.key[1])))
        ov = {}
        for c, ty in s.cols:
            if ty in ("BIGINT", "INT", "STRING") and rng.random() < 0.8:
                ov[c] = None if rng.random() < 0.05 else rng.choice(pools.setdefault(ty, j.key_pool(rng, ty)))
        tomb = rng.random() < (0.2 if s.kind == "TABLE" else 0.04)
        inputs.append(j.record(rng, s, key, t, tombstone=tomb, overrides=ov))
    return {"statements": stmts, "inputs": inputs}


def generate(rng):
    for _ in range(80):
        case = _case(rng)
        if j.accepted(case):
            return case
    return case


def corpus(cid, case):
    stmts = case.get("statements", [])
    last = stmts[-1].upper() if stmts else ""
    return cid.split("/")[0] in ("multi-joins", "fk-n-way-join", "joins") and last.count(" JOIN ") >= 2
