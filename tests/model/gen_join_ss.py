"""Family `join_ss`: stream-stream joins, every kind (INNER, LEFT, RIGHT,
FULL OUTER), WITHIN n and WITHIN (before, after), with and without GRACE
PERIOD, joins on the key, on value columns (re-keyed) and on expressions
(synthetic ROWKEY), SELECT * and qualified/aliased projections, WHERE;
inputs with disorder, late records, several matches per key, NULL keys,
NULL join values and tombstones."""
import gen_join_common as j

NAME = "join_ss"
STATEFUL = True

PAIRS = [("L", "R"), ("LEFT_S", "RIGHT_S"), ("S1", "S2"), ("A", "B")]


def _case(rng):
    ln, rn = rng.choice(PAIRS)
    shape = rng.random()
    if shape < 0.7:
        kt = rng.choice(j.KEY_TYPES)
        left = j.make_source(rng, ln, "STREAM", kt)
        right = j.make_source(rng, rn, "STREAM", kt, shared=[c for c, _ in left.cols])
        j.fix_aliases([left, right], rng)
        lt, rt = "%s.%s" % (left.ref, left.key[0]), "%s.%s" % (right.ref, right.key[0])
        lcol, rcol = (left, left.key[0]), (right, right.key[0])
    elif shape < 0.85:
        jt = rng.choice(["BIGINT", "INT", "STRING"])
        left = j.make_source(rng, ln, "STREAM", join_col_type=jt if rng.random() < 0.7 else None,
                             key_type=jt if rng.random() < 0.5 else None)
        right = j.make_source(rng, rn, "STREAM", join_col_type=jt, shared=[c for c, _ in left.cols])
        j.fix_aliases([left, right], rng)
        lc = [c for c, t in left.columns() if t == jt]
        if not lc:
            left.cols.append(("JL", jt))
            lc = ["JL"]
        lname = rng.choice(lc)
        rname = right.cols[-1][0]
        lt, rt = "%s.%s" % (left.ref, lname), "%s.%s" % (right.ref, rname)
        lcol, rcol = (left, lname), (right, rname)
    else:
        kt = rng.choice(["BIGINT", "INT"])
        left = j.make_source(rng, ln, "STREAM", kt)
        right = j.make_source(rng, rn, "STREAM", kt, shared=[c for c, _ in left.cols])
        j.fix_aliases([left, right], rng)
        lk, rk = "%s.%s" % (left.ref, left.key[0]), "%s.%s" % (right.ref, right.key[0])
        if rng.random() < 0.5:
            lt, rt, lcol, rcol = "ABS(%s)" % lk, "ABS(%s)" % rk, None, None
        else:
            lt, rt, lcol, rcol = "%s + 1" % lk, rk, None, (right, right.key[0])
    kind = rng.choice(["INNER", "LEFT", "RIGHT", "FULL"])
    wtext, before, after, grace = j.within(rng)
    cond = j.Cond(kind, right, lt, rt, lcol, rcol, wtext, flipped=rng.random() < 0.2, kw=j.join_keyword(rng, kind))
    srcs = [left, right]
    stmts = [left.create(), right.create()]
    items = j.projection(rng, srcs, [cond])
    wh = j.where(rng, srcs) if rng.random() < 0.15 else None
    stmts.append(j.statement("STREAM", "OUTPUT", items, srcs, [cond], wh))
    # inputs: a small key pool on both sides, times spread over the window
    span = max(before + after + (grace or 0), 50)
    spread = rng.choice([span // 4 + 1, span // 2 + 1, span + 1, 2 * span + 1])
    n = rng.randint(1, 24)
    ts = j.times(rng, n, spread, late=0.1)
    inputs = []
    pools = {}
    for t in ts:
        s = rng.choice(srcs)
        inputs.append(_record(rng, s, t, pools, cond))
    return {"statements": stmts, "inputs": inputs}


def _record(rng, s, ts, pools, cond):
    kt = s.key[1]
    pool = pools.setdefault(kt, j.key_pool(rng, kt))
    key = None if rng.random() < 0.05 else rng.choice(pool)
    overrides = {}
    for c, t in s.cols:
        # join columns from the same small pool, so that re-keyed sides meet
        if t == kt and rng.random() < 0.8:
            overrides[c] = None if rng.random() < 0.05 else rng.choice(pool)
        elif t in ("BIGINT", "INT", "STRING") and rng.random() < 0.8:
            p = pools.setdefault(t, j.key_pool(rng, t))
            overrides[c] = None if rng.random() < 0.05 else rng.choice(p)
    return j.record(rng, s, key, ts, tombstone=rng.random() < 0.05, overrides=overrides)


def generate(rng):
    for _ in range(50):
        case = _case(rng)
        if j.accepted(case):
            return case
    return case


def corpus(cid, case):
    stmts = case.get("statements", [])
    last = stmts[-1].upper() if stmts else ""
    return cid.split("/")[0] in ("joins", "multi-joins", "join-with-custom-timestamp") and \
        last.count(" JOIN ") == 1 and " WITHIN " in last
