"""Typed evaluation of ksqlDB expressions for the reference models.

Values are plain Python: None (SQL NULL), bool, int (INT and BIGINT, kept
in range with Java's wrap-around), float (DOUBLE), decimal.Decimal, str,
bytes, list (ARRAY), dict (MAP and STRUCT). Types come from ksql.Type and
are inferred statically (infer) so that arithmetic follows Java's rules:
INT op INT is INT and wraps at 32 bits, integer division truncates toward
zero. Logic is ksqlDB's generated Java, not SQL's three-valued logic: a
comparison (and BETWEEN, IN) with a NULL side is false, and AND, OR and NOT
throw on a NULL operand they reach (the row fails and is logged).

Written from ksqlDB's documentation of its operators and types, not from
Sluice's code. Functions: only a handful every model needs; anything else is
OutOfScope so that a case using it is skipped, never guessed.
"""
from decimal import Decimal

import ksql
from ksql import OutOfScope, Type, INT, BIGINT, DOUBLE, STRING, BOOLEAN


class EvalError(Exception):
    """An expression failed on a row (ksqlDB logs it to the processing log)."""


_NUMERIC_RANK = {"INT": 1, "BIGINT": 2, "DECIMAL": 3, "DOUBLE": 4}


def wrap(v, t):
    """Java integer overflow."""
    if t.name == "INT":
        return (v + 2 ** 31) % 2 ** 32 - 2 ** 31
    if t.name == "BIGINT":
        return (v + 2 ** 63) % 2 ** 64 - 2 ** 63
    return v


class Scope:
    """Column name resolution: (qualifier, NAME) -> (slot, type).

    A row is a dict slot -> value. Unqualified names resolve when exactly
    one column of that name is visible."""

    def __init__(self):
        self.cols = []             # (qualifiers tuple, name, slot, type)

    def add(self, name, slot, type_, qualifiers=()):
        self.cols.append((tuple(q.upper() if q else q for q in qualifiers), name, slot, type_))

    def resolve(self, col):
        name = col.name
        if col.qualifier:
            q = col.qualifier
            hits = [c for c in self.cols if c[1] == name and q in c[0]]
            if not hits:
                hits = [c for c in self.cols if c[1] == name and q.upper() in c[0]]
        else:
            hits = [c for c in self.cols if c[1] == name]
        if len(hits) != 1:
            raise OutOfScope("column %s%s %s" % (col.qualifier + "." if col.qualifier else "", name,
                                                  "is ambiguous" if hits else "is unknown"))
        return hits[0][2], hits[0][3]


def infer(e, scope):
    """The SQL type of an expression."""
    if isinstance(e, ksql.Lit):
        return e.type
    if isinstance(e, ksql.Col):
        return scope.resolve(e)[1]
    if isinstance(e, ksql.Binary):
        if e.op in ("AND", "OR", "=", "<>", "<", "<=", ">", ">="):
            return BOOLEAN
        lt, rt = infer(e.left, scope), infer(e.right, scope)
        if lt is None:
            return rt
        if rt is None:
            return lt
        if e.op == "+" and lt.name == "STRING" and rt.name == "STRING":
            return STRING
        if lt.name not in _NUMERIC_RANK or rt.name not in _NUMERIC_RANK:
            raise OutOfScope("arithmetic on %s and %s" % (lt, rt))
        if "DECIMAL" in (lt.name, rt.name) and "DOUBLE" not in (lt.name, rt.name):
            raise OutOfScope("DECIMAL arithmetic")
        return lt if _NUMERIC_RANK[lt.name] >= _NUMERIC_RANK[rt.name] else rt
    if isinstance(e, ksql.Unary):
        return BOOLEAN if e.op == "NOT" else infer(e.arg, scope)
    if isinstance(e, (ksql.IsNull, ksql.Between, ksql.In)):
        return BOOLEAN
    if isinstance(e, ksql.Case):
        for _, r in e.whens:
            t = infer(r, scope)
            if t is not None:
                return t
        return infer(e.default, scope) if e.default is not None else None
    if isinstance(e, ksql.Cast):
        return e.type
    if isinstance(e, ksql.Call):
        f = _FUNCTIONS.get(e.name.upper())
        if not f:
            raise OutOfScope("function " + e.name)
        return f[0]([infer(a, scope) for a in e.args])
    raise OutOfScope("expression %s" % type(e).__name__)


def _comparable(a, b):
    num = (int, float, Decimal)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, num) and isinstance(b, num):
        return True
    return type(a) == type(b) and isinstance(a, str)


def _unbox(v):
    if v is None:
        raise EvalError("NullPointerException: a NULL BOOLEAN in AND, OR or NOT")
    return v


def _compare(op, a, b):
    """ksqlDB compiles a comparison with a NULL side to false, not NULL."""
    if a is None or b is None:
        return False
    if not _comparable(a, b):
        raise OutOfScope("comparison of %s with %s" % (type(a).__name__, type(b).__name__))
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)   # a DECIMAL literal against a DOUBLE compares as DOUBLE
    return {"=": a == b, "<>": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


_TEMPORAL = ("TIMESTAMP", "DATE", "TIME")


def _same_temporal(left, right, scope):
    """DATE, TIME and TIMESTAMP values are all ints here (days or ms): a
    comparison across them (or with a string literal, which ksqlDB parses
    as a time) is not modelled."""
    lt, rt = infer(left, scope), infer(right, scope)
    ln, rn = (lt.name if lt else None), (rt.name if rt else None)
    if (ln in _TEMPORAL or rn in _TEMPORAL) and ln != rn and None not in (ln, rn):
        raise OutOfScope("comparison of %s with %s" % (lt, rt))


def _arith(op, a, b, t):
    if a is None or b is None:
        return None
    if t.name == "DOUBLE":
        a, b = float(a), float(b)
        if op == "/":
            if b == 0:
                return float("nan") if a == 0 or a != a else (float("inf") if a > 0 else float("-inf"))
            return a / b
        if op == "%":
            raise OutOfScope("DOUBLE %")
        return {"+": a + b, "-": a - b, "*": a * b}[op]
    if t.name == "STRING":
        return a + b
    if op in ("/", "%"):
        if b == 0:
            raise EvalError("/ by zero")
        q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
        return wrap(q if op == "/" else a - q * b, t)
    return wrap({"+": a + b, "-": a - b, "*": a * b}[op], t)


_CASTABLE = ("BOOLEAN", "INT", "BIGINT", "DOUBLE", "STRING")


def cast(v, src, dst):
    if v is None:
        return None
    d = dst.name
    if src is not None and src.name not in _CASTABLE:
        raise OutOfScope("CAST from %s" % src)
    if d == "STRING":
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            raise OutOfScope("DOUBLE to STRING")
        return str(v)
    if d in ("INT", "BIGINT"):
        if isinstance(v, str):
            try:
                return wrap(int(v.strip()), dst)
            except ValueError:
                raise EvalError("cannot cast %r" % v)
        if isinstance(v, float):
            return wrap(int(v), dst)
        if isinstance(v, bool):
            raise OutOfScope("BOOLEAN to number")
        return wrap(int(v), dst)
    if d == "DOUBLE":
        if isinstance(v, str):
            try:
                return float(v)
            except ValueError:
                raise EvalError("cannot cast %r" % v)
        return float(v)
    if d == "BOOLEAN":
        if isinstance(v, str):
            return v.strip().lower() == "true"
        return bool(v)
    raise OutOfScope("CAST to %s" % dst)


def evaluate(e, row, scope):
    """Evaluates e over row; raises EvalError where ksqlDB would fail."""
    if isinstance(e, ksql.Lit):
        return e.value
    if isinstance(e, ksql.Col):
        return row.get(scope.resolve(e)[0])
    if isinstance(e, ksql.Binary):
        if e.op in ("AND", "OR"):
            # Java's && and || on boxed Booleans: short-circuit, and a NULL
            # operand that is reached throws (ksqlDB logs the failure)
            a = _unbox(evaluate(e.left, row, scope))
            if a is (e.op == "OR"):
                return a
            return _unbox(evaluate(e.right, row, scope))
        a, b = evaluate(e.left, row, scope), evaluate(e.right, row, scope)
        if e.op in ("=", "<>", "<", "<=", ">", ">="):
            _same_temporal(e.left, e.right, scope)
            return _compare(e.op, a, b)
        return _arith(e.op, a, b, infer(e, scope))
    if isinstance(e, ksql.Unary):
        v = evaluate(e.arg, row, scope)
        if e.op == "NOT":
            return not _unbox(v)
        if v is None:
            return None
        return wrap(-v, infer(e.arg, scope)) if isinstance(v, int) else -v
    if isinstance(e, ksql.IsNull):
        v = evaluate(e.arg, row, scope)
        return (v is not None) if e.negated else (v is None)
    if isinstance(e, ksql.Between):
        v, lo, hi = (evaluate(x, row, scope) for x in (e.arg, e.low, e.high))
        if v is None or lo is None or hi is None:
            r = False       # (v >= lo AND v <= hi), each false with a NULL
            return not r if e.negated else r
        if not (_comparable(v, lo) and _comparable(v, hi)):
            raise OutOfScope("BETWEEN over different types")
        r = _compare(">=", v, lo) and _compare("<=", v, hi)
        return not r if e.negated else r
    if isinstance(e, ksql.In):
        v = evaluate(e.arg, row, scope)
        items = [evaluate(x, row, scope) for x in e.items]
        if v is None:
            return e.negated      # NULL matches nothing
        if any(x is not None and not _comparable(v, x) for x in items):
            raise OutOfScope("IN over different types")
        hit = any(x is not None and _compare("=", v, x) for x in items)
        return not hit if e.negated else hit
    if isinstance(e, ksql.Case):
        if e.operand is not None:
            raise OutOfScope("simple CASE")
        for c, r in e.whens:
            if evaluate(c, row, scope) is True:
                return evaluate(r, row, scope)
        return evaluate(e.default, row, scope) if e.default is not None else None
    if isinstance(e, ksql.Cast):
        return cast(evaluate(e.arg, row, scope), infer(e.arg, scope), e.type)
    if isinstance(e, ksql.Call):
        f = _FUNCTIONS.get(e.name.upper())
        if not f:
            raise OutOfScope("function " + e.name)
        return f[1]([evaluate(a, row, scope) for a in e.args], [infer(a, scope) for a in e.args])
    raise OutOfScope("expression %s" % type(e).__name__)


def _first_type(ts):
    for t in ts:
        if t is not None:
            return t
    return None


def _abs(args, types):
    v = args[0]
    return None if v is None else abs(v)


def _concat(args, types):
    return "".join(a for a in args if a is not None)


def _coalesce(args, types):
    for a in args:
        if a is not None:
            return a
    return None


def _len(args, types):
    return None if args[0] is None else len(args[0])


# name -> (return type from argument types, implementation(values, types))
_FUNCTIONS = {
    "ABS": (lambda ts: ts[0], _abs),
    "CONCAT": (lambda ts: STRING, _concat),
    "COALESCE": (_first_type, _coalesce),
    "IFNULL": (_first_type, _coalesce),
    "UCASE": (lambda ts: STRING, lambda a, t: None if a[0] is None else a[0].upper()),
    "LCASE": (lambda ts: STRING, lambda a, t: None if a[0] is None else a[0].lower()),
    "LEN": (lambda ts: INT, _len),
}


def default_name(e):
    """The column name ksqlDB gives a select item without an alias, or None
    when it generates KSQL_COL_n."""
    if isinstance(e, ksql.Col):
        return e.name
    if isinstance(e, ksql.Deref):
        return None
    return None


def is_aggregate_call(e, names):
    return isinstance(e, ksql.Call) and e.name.upper() in names
