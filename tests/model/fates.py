"""Record accounting: what became of each record a query read.

Sluice counts, per query, the fate of every record it reads (`sluice test
--stats FILE`, src/ops/fate.h); the reference model keeps the same counts
(engine.Stats). Two checks, both about records that vanish without a
trace, which no comparison of outputs can see:

- Sluice's own ledger balances: every record it read ended in exactly one
  fate (read = passed + filtered + late + failed; none unaccounted, none
  counted twice).
- Its counts are the model's, query by query, when both split the
  statements into the same queries (an n-way join is one model query but
  several Sluice steps: only the ledger is checked there).
"""

FATES = ("read", "passed", "filtered", "late", "failed")


def ledger_problems(stats):
    """Sluice's per-query stats -> list of descriptions (empty: balanced)."""
    out = []
    for q in stats:
        settled = q["passed"] + q["filtered"] + q["late"] + q["failed"] + q["forwarded"]
        if q["unaccounted"]:
            out.append("%s: %d records read ended in no fate (dropped without a trace)"
                       % (q["id"], q["unaccounted"]))
        if q["overcounted"]:
            out.append("%s: %d records were given more than one fate" % (q["id"], q["overcounted"]))
        if settled != q["read"]:
            out.append("%s: read %d, but passed + filtered + late + failed = %d" % (q["id"], q["read"], settled))
    return out


def model_problems(stats, model_queries):
    """Sluice's counts against the model's, when the query lists match."""
    if any(q["internal"] for q in stats) or len(stats) != len(model_queries):
        return []
    out = []
    for q, mq in zip(stats, model_queries):
        ms = mq.stats
        diffs = ["%s %d (model %d)" % (f, q[f], getattr(ms, f)) for f in FATES if q[f] != getattr(ms, f)]
        if diffs:
            out.append("%s: %s" % (q["id"], ", ".join(diffs)))
    return out
