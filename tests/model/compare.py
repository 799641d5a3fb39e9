"""Comparing output records the way ksqlDB's test runner does: per topic, in
order; numbers by value (1 == 1.0); a window compared by its bounds. Unlike
the runner, every topic either side wrote is compared, so a record Sluice
writes where the model expects none is a difference too."""
import decimal
import json
import math


def same(a, b):
    if isinstance(a, str) and hasattr(b, "text") and isinstance(b, float):
        # the runner compares an expected string with a BigDecimal it read
        # back by BigDecimal.equals (value and scale)
        try:
            e, t = decimal.Decimal(a), decimal.Decimal(b.text)
        except decimal.InvalidOperation:
            return False
        return e == t and e.as_tuple().exponent == t.as_tuple().exponent
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b if isinstance(a, bool) and isinstance(b, bool) else False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        if math.isnan(a) and math.isnan(b):
            return True
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    if type(a) != type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def record_same(e, a):
    if not same(e.get("key"), a.get("key")) or not same(e.get("value"), a.get("value")):
        return False
    # a corpus record without a timestamp does not check it (as ksqlDB's
    # runner and sluice test do); the models always give one
    if "timestamp" in e and e["timestamp"] != a.get("timestamp", 0):
        return False
    ew, aw = e.get("window"), a.get("window")
    if (ew is None) != (aw is None):
        return False
    if ew is not None and (ew.get("start") != aw.get("start") or ew.get("end") != aw.get("end")):
        return False
    return True


def show(r):
    r = {k: v for k, v in r.items() if k in ("key", "value", "timestamp", "window")}
    if "window" in r:
        r["window"] = [r["window"].get("start"), r["window"].get("end")]
    return json.dumps(r, sort_keys=True)


def diff(expected, actual, only_topics=None):
    """None when equal, else a readable description of the first difference
    per topic."""
    topics = sorted({r["topic"] for r in expected} | {r["topic"] for r in actual})
    if only_topics is not None:
        topics = [t for t in topics if t in only_topics]
    lines = []
    for t in topics:
        e = [r for r in expected if r["topic"] == t]
        a = [r for r in actual if r["topic"] == t]
        for i in range(max(len(e), len(a))):
            if i >= len(e) or i >= len(a) or not record_same(e[i], a[i]):
                lines.append("topic %s: %d expected, %d actual; first difference at record %d:" % (t, len(e), len(a), i))
                lines.append("  expected " + (show(e[i]) if i < len(e) else "(nothing)"))
                lines.append("  actual   " + (show(a[i]) if i < len(a) else "(nothing)"))
                break
    return "\n".join(lines) if lines else None
