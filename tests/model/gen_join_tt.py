"""Family `join_tt`: table-table joins on the primary key, INNER, LEFT,
RIGHT and FULL OUTER, with updates and tombstones on either side (for keys
present and absent), and foreign-key joins, INNER and LEFT, from a left
table's value column (or an expression of it) to the right table's key:
foreign keys that change, turn NULL and come back; SELECT *, qualified and
aliased projections."""
import gen_join_common as j

NAME = "join_tt"
STATEFUL = True

PAIRS = [("T1", "T2"), ("LEFT_T", "RIGHT_T"), ("USERS", "ACCOUNTS"), ("A", "B")]


def _case(rng):
    ln, rn = rng.choice(PAIRS)
    kt = rng.choice(j.KEY_TYPES)
    fk = rng.random() < 0.35
    if not fk:
        left = j.make_source(rng, ln, "TABLE", kt)
        right = j.make_source(rng, rn, "TABLE", kt, shared=[c for c, _ in left.cols])
        j.fix_aliases([left, right], rng)
        kind = rng.choice(["INNER", "LEFT", "RIGHT", "FULL"])
        lname = left.key[0]
        lt, rt = "%s.%s" % (left.ref, lname), "%s.%s" % (right.ref, right.key[0])
        lcol = (left, lname)
        fk_key = None
    else:
        left = j.make_source(rng, ln, "TABLE", rng.choice(j.KEY_TYPES), join_col_type=kt)
        right = j.make_source(rng, rn, "TABLE", kt, shared=[c for c, _ in left.cols])
        j.fix_aliases([left, right], rng)
        kind = rng.choice(["INNER", "LEFT"])
        lname = left.cols[-1][0]
        lt = "%s.%s" % (left.ref, lname)
        lcol = (left, lname)
        if kt in ("INT", "BIGINT") and rng.random() < 0.2:
            lt, lcol = "%s + 1" % lt, None
        rt = "%s.%s" % (right.ref, right.key[0])
        fk_key = (left, left.key[0])
    cond = j.Cond(kind, right, lt, rt, lcol, (right, right.key[0]), flipped=rng.random() < 0.2,
                  kw=j.join_keyword(rng, kind))
    srcs = [left, right]
    stmts = [left.create(), right.create()]
    items = j.projection(rng, srcs, [cond], fk_key=fk_key)
    wh = j.where(rng, srcs) if rng.random() < 0.1 else None
    stmts.append(j.statement("TABLE", "OUTPUT", items, srcs, [cond], wh))
    pool = j.key_pool(rng, kt)
    lpool = pool if not fk else j.key_pool(rng, left.key[1])
    n = rng.randint(1, 26)
    ts = j.times(rng, n, rng.choice([10, 100, 1000]), late=0.1)
    inputs = []
    for t in ts:
        side = rng.choice(srcs)
        p = lpool if side is left else pool
        key = None if rng.random() < 0.03 else rng.choice(p)
        ov = {}
        if fk and side is left:
            ov[lname] = None if rng.random() < 0.1 else rng.choice(pool)
        inputs.append(j.record(rng, side, key, t, tombstone=rng.random() < 0.25, overrides=ov))
    return {"statements": stmts, "inputs": inputs}


def generate(rng):
    for _ in range(50):
        case = _case(rng)
        if j.accepted(case):
            return case
    return case


def corpus(cid, case):
    stmts = case.get("statements", [])
    last = stmts[-1].upper() if stmts else ""
    return cid.split("/")[0] in ("joins", "table-table-join", "fk-join", "join-with-custom-timestamp") and \
        last.count(" JOIN ") == 1 and last.startswith("CREATE TABLE")
