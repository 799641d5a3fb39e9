"""Family `join_st`: stream-table joins, INNER and LEFT, on the table's key
from the stream's key or from a stream value column (re-keyed); table
updates and tombstones interleaved with stream records (NULL keys, NULL
join values and tombstones among them); SELECT *, qualified and aliased
projections, WHERE."""
import gen_join_common as j

NAME = "join_st"
STATEFUL = True

PAIRS = [("S", "T"), ("ORDERS", "USERS"), ("S1", "T1"), ("EVENTS", "DIM")]


def _case(rng):
    sn, tn = rng.choice(PAIRS)
    kt = rng.choice(j.KEY_TYPES)
    table = j.make_source(rng, tn, "TABLE", kt)
    if rng.random() < 0.7:
        stream = j.make_source(rng, sn, "STREAM", kt, shared=[c for c, _ in table.cols])
        j.fix_aliases([stream, table], rng)
        lname = stream.key[0]
    else:
        stream = j.make_source(rng, sn, "STREAM", join_col_type=kt, shared=[c for c, _ in table.cols])
        j.fix_aliases([stream, table], rng)
        lname = stream.cols[-1][0]
    kind = rng.choice(["INNER", "LEFT"])
    lt, rt = "%s.%s" % (stream.ref, lname), "%s.%s" % (table.ref, table.key[0])
    cond = j.Cond(kind, table, lt, rt, (stream, lname), (table, table.key[0]), flipped=rng.random() < 0.2,
                  kw=j.join_keyword(rng, kind))
    srcs = [stream, table]
    stmts = [table.create(), stream.create()] if rng.random() < 0.5 else [stream.create(), table.create()]
    items = j.projection(rng, srcs, [cond])
    wh = j.where(rng, srcs) if rng.random() < 0.15 else None
    stmts.append(j.statement("STREAM", "OUTPUT", items, srcs, [cond], wh))
    pool = j.key_pool(rng, kt)
    n = rng.randint(1, 28)
    ts = j.times(rng, n, rng.choice([10, 100, 1000]), late=0.1)
    inputs = []
    for t in ts:
        if rng.random() < 0.45:
            key = None if rng.random() < 0.03 else rng.choice(pool)
            inputs.append(j.record(rng, table, key, t, tombstone=rng.random() < 0.2))
        else:
            key = None if rng.random() < 0.05 else (rng.choice(pool) if stream.key[1] == kt else
                                                   j.value_of(rng, stream.key[1], 0))
            ov = {lname: None if rng.random() < 0.05 else rng.choice(pool)} if lname != stream.key[0] else {}
            inputs.append(j.record(rng, stream, key, t, tombstone=rng.random() < 0.05, overrides=ov))
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
    return cid.split("/")[0] in ("joins", "stream-table-join", "join-with-custom-timestamp") and \
        last.count(" JOIN ") == 1 and " WITHIN " not in last and last.startswith("CREATE STREAM")
