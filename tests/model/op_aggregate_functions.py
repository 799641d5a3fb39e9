"""ksqlDB's aggregate functions (UDAFs), as the reference models compute them.

Written from ksqlDB's aggregate-function reference and its UDAF sources
(ksqldb-engine .../function/udaf/: CountKudaf, SumKudaf, AverageUdaf,
BaseComparableKudaf, TopkKudaf, TopkDistinctKudaf, CollectListUdaf,
CollectSetUdaf, HistogramUdaf, EarliestByOffset, LatestByOffset,
StandardDeviationSamp(le)Udaf, CorrelationUdaf, CountDistinct, Attr,
ListSumUdaf) and stream-lib's HyperLogLog, read for their semantics only.

Each function is a small class with ksqlDB's four operations on a plain
Python state:
    init()              the initial aggregate
    add(state, args)    ksqlDB's aggregate(): args is the tuple of the
                        evaluated column arguments (NULLs included: each
                        function decides, as in ksqlDB)
    undo(state, args)   ksqlDB's undo() (TableUdaf only: table sources)
    result(state)       ksqlDB's map(): the value the query sees
plus its result type, whether ksqlDB accepts it over a table (TABLE_OK:
only TableUdafs have undo) and whether its intermediate aggregate is a
complex type (a STRUCT, ARRAY or MAP: ksqlDB refuses those with DELIMITED).

Java arithmetic is reproduced: INT sums wrap at 32 bits, BIGINT at 64,
and every DOUBLE operation happens in the order ksqlDB's code does it, so
floating-point results are bit-identical.
"""
import math
import struct

import ksql
import values
from ksql import OutOfScope, Type, INT, BIGINT, DOUBLE, STRING, BOOLEAN

NUMERIC = ("INT", "BIGINT", "DOUBLE")


def _wrap(v, t):
    return values.wrap(v, t)


def jdiv(a, b):
    """Java double division (x/0 is an infinity or NaN, never an error)."""
    a, b = float(a), float(b)
    if b == 0.0:
        if a == 0.0 or a != a:
            return float("nan")
        neg = (a < 0) != (math.copysign(1.0, b) < 0)
        return float("-inf") if neg else float("inf")
    return a / b


def jsqrt(v):
    return float("nan") if v != v or v < 0 else math.sqrt(v)


def java_compare(a, b):
    """compareTo of the boxed Java values ksqlDB compares (Integer, Long,
    Double, String): Double orders -0.0 before 0.0 and NaN last."""
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        if a != a or b != b:
            return (a != a) - (b != b)
        if a == b == 0.0:
            return (math.copysign(1, a) > 0) - (math.copysign(1, b) > 0)
    if isinstance(a, str):
        # String.compareTo compares UTF-16 code units
        a, b = a.encode("utf-16-be"), b.encode("utf-16-be")
    return (a > b) - (a < b)


def java_equals(a, b):
    """Objects.equals of boxed Java values (Double by its bits)."""
    if isinstance(a, float) and isinstance(b, float):
        return struct.pack(">d", a) == struct.pack(">d", b)
    if type(a) != type(b):
        return False
    return a == b


class Aggregate:
    NAME = None
    TABLE_OK = False
    COMPLEX_INTERMEDIATE = False

    def __init__(self, arg_types, literals, props):
        self.arg_types = arg_types
        self.literals = literals
        self.props = props
        self.result_type = None

    def undo(self, state, args):
        raise OutOfScope("%s has no undo" % self.NAME)


class Count(Aggregate):
    NAME = "COUNT"
    TABLE_OK = True

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        if len(arg_types) != 1 or literals:
            raise OutOfScope("COUNT arguments")
        self.result_type = BIGINT

    def init(self):
        return 0

    def add(self, s, args):
        return s if args[0] is None else s + 1

    def undo(self, s, args):
        return s if args[0] is None else s - 1

    def result(self, s):
        return s


def _hash_long(data):
    """stream-lib's MurmurHash.hashLong (32-bit Java int arithmetic)."""
    m = 0x5bd1e995
    r = 24

    def i32(x):
        return (x + 2 ** 31) % 2 ** 32 - 2 ** 31

    def ushr(x, n):
        return (x % 2 ** 32) >> n

    data = _wrap(data, BIGINT)
    h = 0
    k = i32(i32(data) * m)
    k ^= ushr(k, r)
    h ^= i32(k * m)
    k = i32(i32(data >> 32) * m)
    k ^= ushr(k, r)
    h = i32(h * m)
    h ^= i32(k * m)
    h = i32(h)
    h ^= ushr(h, 13)
    h = i32(h * m)
    h ^= ushr(h, 15)
    return i32(h)


def _hash_bytes(data, seed=-1):
    """stream-lib's MurmurHash.hash(byte[]) (MurmurHash 2, seed -1)."""
    m = 0x5bd1e995
    r = 24

    def i32(x):
        return (x + 2 ** 31) % 2 ** 32 - 2 ** 31

    def ushr(x, n):
        return (x % 2 ** 32) >> n

    def sbyte(b):
        return b - 256 if b > 127 else b

    length = len(data)
    h = i32(seed ^ length)
    len_4 = length >> 2
    for i in range(len_4):
        i4 = i << 2
        k = sbyte(data[i4 + 3])
        k = i32(k << 8) | data[i4 + 2]
        k = i32(k << 8) | data[i4 + 1]
        k = i32(k << 8) | data[i4 + 0]
        k = i32(k * m)
        k ^= ushr(k, r)
        k = i32(k * m)
        h = i32(h * m)
        h ^= k
    left = length - (len_4 << 2)
    if left:
        if left >= 3:
            h ^= i32(sbyte(data[length - 3]) << 16)
        if left >= 2:
            h ^= i32(sbyte(data[length - 2]) << 8)
        if left >= 1:
            h ^= sbyte(data[length - 1])
        h = i32(h * m)
    h ^= ushr(h, 13)
    h = i32(h * m)
    h ^= ushr(h, 15)
    return i32(h)


def murmur_hash(v):
    """MurmurHash.hash(Object) as HyperLogLog.offer calls it."""
    if isinstance(v, bool):
        return _hash_bytes(("true" if v else "false").encode())
    if isinstance(v, int):
        return _hash_long(v)
    if isinstance(v, float):
        return _hash_long(struct.unpack(">q", struct.pack(">d", v))[0])
    if isinstance(v, str):
        return _hash_bytes(v.encode("utf-8"))
    raise OutOfScope("COUNT_DISTINCT of %r" % (v,))


class CountDistinct(Aggregate):
    """A HyperLogLog of 2^14 registers (stream-lib, log2m 14): the count is
    an estimate, exact only while no two values share a register."""
    NAME = "COUNT_DISTINCT"
    COMPLEX_INTERMEDIATE = True
    LOG2M = 14

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        if len(arg_types) != 1 or literals:
            raise OutOfScope("COUNT_DISTINCT arguments")
        if arg_types[0] is None or arg_types[0].name not in ("INT", "BIGINT", "DOUBLE", "STRING", "BOOLEAN"):
            raise OutOfScope("COUNT_DISTINCT of %s" % arg_types[0])
        self.result_type = BIGINT

    def init(self):
        return {}                       # register index -> value

    def add(self, s, args):
        v = args[0]
        if v is None:
            return s
        x = murmur_hash(v) % 2 ** 32   # as unsigned bits
        j = x >> (32 - self.LOG2M)
        w = ((x << self.LOG2M) % 2 ** 32) | ((1 << (self.LOG2M - 1)) + 1)
        r = 32 - w.bit_length() + 1     # numberOfLeadingZeros + 1
        if s.get(j, 0) < r:
            s[j] = r
        return s

    def result(self, s):
        m = 1 << self.LOG2M
        zeros = float(m - sum(1 for v in s.values() if v))
        # (Java sums the registers in index order; the order only matters
        # for estimates near 2.5 m, far beyond what the tests count)
        register_sum = zeros + sum(1.0 / (1 << v) for v in s.values() if v)
        alpha_mm = (0.7213 / (1 + 1.079 / m)) * m * m
        estimate = alpha_mm * (1 / register_sum)
        if estimate <= (5.0 / 2.0) * m:
            return _java_round(m * math.log(m / zeros))
        return _java_round(estimate)


def _java_round(x):
    return int(math.floor(x + 0.5))


class Sum(Aggregate):
    NAME = "SUM"
    TABLE_OK = True

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        if len(arg_types) != 1 or literals:
            raise OutOfScope("SUM arguments")
        t = arg_types[0]
        if t is None or t.name not in NUMERIC:
            raise OutOfScope("SUM of %s" % t)
        self.t = t
        self.result_type = t

    def init(self):
        return 0.0 if self.t.name == "DOUBLE" else 0

    def add(self, s, args):
        v = args[0]
        if v is None:
            return s
        return s + float(v) if self.t.name == "DOUBLE" else _wrap(s + v, self.t)

    def undo(self, s, args):
        v = args[0]
        if v is None:
            return s
        return s - float(v) if self.t.name == "DOUBLE" else _wrap(s - v, self.t)

    def result(self, s):
        return s


class SumList(Aggregate):
    NAME = "SUM_LIST"
    TABLE_OK = True

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        t = arg_types[0] if len(arg_types) == 1 else None
        if literals or t is None or t.name != "ARRAY" or t.params[0].name not in NUMERIC:
            raise OutOfScope("SUM_LIST arguments")
        self.t = t.params[0]
        self.result_type = self.t

    def _sum(self, lst):
        s = self.init()
        for v in lst:
            if v is not None:
                s = s + float(v) if self.t.name == "DOUBLE" else _wrap(s + v, self.t)
        return s

    def init(self):
        return 0.0 if self.t.name == "DOUBLE" else 0

    def add(self, s, args):
        if args[0] is None:
            return s
        x = self._sum(args[0])
        return s + x if self.t.name == "DOUBLE" else _wrap(s + x, self.t)

    def undo(self, s, args):
        if args[0] is None:
            return s
        x = self._sum(args[0])
        return s - x if self.t.name == "DOUBLE" else _wrap(s - x, self.t)

    def result(self, s):
        return s


class Avg(Aggregate):
    """STRUCT<SUM, COUNT>: SUM of the input's type (wrapping), the result
    SUM / (double) COUNT, 0.0 for an empty group."""
    NAME = "AVG"
    TABLE_OK = True
    COMPLEX_INTERMEDIATE = True

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        if len(arg_types) != 1 or literals:
            raise OutOfScope("AVG arguments")
        t = arg_types[0]
        if t is None or t.name not in NUMERIC:
            raise OutOfScope("AVG of %s" % t)
        self.t = t
        self.result_type = DOUBLE

    def init(self):
        return (0.0 if self.t.name == "DOUBLE" else 0, 0)

    def _plus(self, a, b):
        return a + float(b) if self.t.name == "DOUBLE" else _wrap(a + b, self.t)

    def add(self, s, args):
        v = args[0]
        if v is None:
            return s
        return (self._plus(s[0], v), s[1] + 1)

    def undo(self, s, args):
        v = args[0]
        if v is None:
            return s
        return (s[0] - float(v) if self.t.name == "DOUBLE" else _wrap(s[0] - v, self.t), s[1] - 1)

    def result(self, s):
        if s[1] == 0:
            return 0.0
        return jdiv(float(s[0]), float(s[1]))


class _Comparable(Aggregate):
    TYPES = ("INT", "BIGINT", "DOUBLE", "STRING")

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        if len(arg_types) != 1 or literals:
            raise OutOfScope("%s arguments" % self.NAME)
        t = arg_types[0]
        if t is None or t.name not in self.TYPES:
            raise OutOfScope("%s of %s" % (self.NAME, t))
        self.result_type = t

    def init(self):
        return None

    def add(self, s, args):
        v = args[0]
        if v is None:
            return s
        if s is None:
            return v
        return self.pick(v, s)

    def result(self, s):
        return s


class Max(_Comparable):
    NAME = "MAX"

    def pick(self, current, agg):
        return current if java_compare(current, agg) > 0 else agg


class Min(_Comparable):
    NAME = "MIN"

    def pick(self, current, agg):
        return agg if java_compare(current, agg) > 0 else current


def _stable_sort_desc(lst, key):
    """Java's List.sort(comparing(key).reversed()): stable, descending."""
    import functools
    return sorted(lst, key=functools.cmp_to_key(lambda a, b: java_compare(key(b), key(a))))


class TopK(Aggregate):
    """TOPK(col, [other cols...], k): the k greatest values (ties keep their
    arrival order), as an ARRAY of the values or, with other columns, of
    STRUCT<sort_col, col0, col1...>."""
    NAME = "TOPK"
    COMPLEX_INTERMEDIATE = True

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        if len(literals) != 1 or not isinstance(literals[0], int) or isinstance(literals[0], bool):
            raise OutOfScope("TOPK arguments")
        self.k = literals[0]
        if self.k < 1:
            raise OutOfScope("TOPK with k < 1")
        t = arg_types[0]
        if t is None or t.name not in ("INT", "BIGINT", "DOUBLE", "STRING"):
            raise OutOfScope("TOPK of %s" % t)
        self.others = len(arg_types) - 1
        if self.others:
            if any(x is None for x in arg_types[1:]):
                raise OutOfScope("TOPK of a NULL literal")
            fields = (("sort_col", t),) + tuple(("col%d" % i, x) for i, x in enumerate(arg_types[1:]))
            self.result_type = Type("ARRAY", (Type("STRUCT", fields),))
        else:
            self.result_type = Type("ARRAY", (t,))

    def init(self):
        return []                       # [(sort value, entry)]

    def add(self, s, args):
        v = args[0]
        if v is None:
            return s
        if self.others:
            entry = {"sort_col": v}
            for i, o in enumerate(args[1:]):
                entry["col%d" % i] = o
        else:
            entry = v
        n = len(s)
        if s and java_compare(v, s[-1][0]) <= 0 and n == self.k:
            return s
        if n == self.k:
            s[n - 1] = (v, entry)
        else:
            s.append((v, entry))
        return _stable_sort_desc(s, lambda e: e[0])

    def result(self, s):
        return [e for _, e in s]


class TopKDistinct(Aggregate):
    NAME = "TOPKDISTINCT"
    COMPLEX_INTERMEDIATE = True

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        if len(arg_types) != 1 or len(literals) != 1 or not isinstance(literals[0], int) \
                or isinstance(literals[0], bool):
            raise OutOfScope("TOPKDISTINCT arguments")
        self.k = literals[0]
        if self.k < 1:
            raise OutOfScope("TOPKDISTINCT with k < 1")
        t = arg_types[0]
        if t is None or t.name not in ("INT", "BIGINT", "DOUBLE", "STRING"):
            raise OutOfScope("TOPKDISTINCT of %s" % t)
        self.result_type = Type("ARRAY", (t,))

    def init(self):
        return []

    def add(self, s, args):
        v = args[0]
        if v is None:
            return s
        n = len(s)
        if n == self.k and java_compare(v, s[-1]) <= 0:
            return s
        if any(java_equals(v, x) for x in s):
            return s
        if n == self.k:
            s[n - 1] = v
        else:
            s.append(v)
        return _stable_sort_desc(s, lambda e: e)

    def result(self, s):
        return list(s)


def _limit(props, name):
    v = (props or {}).get(name)
    if v is None:
        return None
    try:
        n = int(v)
    except (TypeError, ValueError):
        raise OutOfScope("%s = %r" % (name, v))
    return None if n < 0 else n


class CollectList(Aggregate):
    """Every value, NULLs too, up to ksql.functions.collect_list.limit; undo
    removes the last occurrence of the value."""
    NAME = "COLLECT_LIST"
    TABLE_OK = True
    COMPLEX_INTERMEDIATE = True

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        if len(arg_types) != 1 or literals or arg_types[0] is None:
            raise OutOfScope("COLLECT_LIST arguments")
        self.limit = _limit(props, "ksql.functions.collect_list.limit")
        self.result_type = Type("ARRAY", (arg_types[0],))

    def init(self):
        return []

    def add(self, s, args):
        if self.limit is None or len(s) < self.limit:
            s.append(args[0])
        return s

    def undo(self, s, args):
        for i in range(len(s) - 1, -1, -1):
            if (s[i] is None and args[0] is None) or (s[i] is not None and java_equals(s[i], args[0])):
                del s[i]
                break
        return s

    def result(self, s):
        return list(s)


class CollectSet(Aggregate):
    NAME = "COLLECT_SET"
    COMPLEX_INTERMEDIATE = True

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        if len(arg_types) != 1 or literals or arg_types[0] is None:
            raise OutOfScope("COLLECT_SET arguments")
        self.limit = _limit(props, "ksql.functions.collect_set.limit")
        self.result_type = Type("ARRAY", (arg_types[0],))

    def init(self):
        return []

    def add(self, s, args):
        v = args[0]
        present = any((x is None and v is None) or (x is not None and java_equals(x, v)) for x in s)
        if (self.limit is None or len(s) < self.limit) and not present:
            s.append(v)
        return s

    def result(self, s):
        return list(s)


class Histogram(Aggregate):
    """STRING -> BIGINT counts of up to 1000 distinct values."""
    NAME = "HISTOGRAM"
    TABLE_OK = True
    COMPLEX_INTERMEDIATE = True
    LIMIT = 1000

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        if len(arg_types) != 1 or literals or arg_types[0] is None or arg_types[0].name != "STRING":
            raise OutOfScope("HISTOGRAM arguments")
        self.result_type = Type("MAP", (STRING, BIGINT))

    def init(self):
        return {}

    def add(self, s, args):
        v = args[0]
        if v is None:
            # a NULL map key: what ksqlDB's serializers do with it is not modelled
            raise OutOfScope("HISTOGRAM of a NULL")
        if len(s) < self.LIMIT or v in s:
            s[v] = s.get(v, 0) + 1
        return s

    def undo(self, s, args):
        v = args[0]
        if v is None or v not in s:
            raise OutOfScope("HISTOGRAM undo of a value it does not hold")
        s[v] -= 1
        if s[v] < 1:
            del s[v]
        return s

    def result(self, s):
        return dict(s)


def _by_offset_args(name, arg_types, literals):
    """(n or None, ignore_nulls) from EARLIEST/LATEST_BY_OFFSET's literals."""
    if len(arg_types) != 1 or arg_types[0] is None:
        raise OutOfScope("%s arguments" % name)
    n, ignore = None, True
    lits = list(literals)
    if lits and isinstance(lits[0], int) and not isinstance(lits[0], bool):
        n = lits.pop(0)
        if n < 1:
            raise OutOfScope("%s with N < 1" % name)
    if lits and isinstance(lits[0], bool):
        ignore = lits.pop(0)
    if lits:
        raise OutOfScope("%s arguments" % name)
    return n, ignore


class EarliestByOffset(Aggregate):
    NAME = "EARLIEST_BY_OFFSET"
    COMPLEX_INTERMEDIATE = True

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        self.n, self.ignore = _by_offset_args(self.NAME, arg_types, literals)
        t = arg_types[0]
        self.result_type = Type("ARRAY", (t,)) if self.n else t

    def init(self):
        return [] if self.n else None   # None: no value taken yet; else (value,)

    def add(self, s, args):
        v = args[0]
        if self.n:
            if v is None and self.ignore:
                return s
            if len(s) < self.n:
                s.append(v)
            return s
        if s is not None:
            return s
        if v is None and self.ignore:
            return None
        return (v,)

    def result(self, s):
        if self.n:
            return list(s)
        return None if s is None else s[0]


class LatestByOffset(Aggregate):
    NAME = "LATEST_BY_OFFSET"
    COMPLEX_INTERMEDIATE = True

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        self.n, self.ignore = _by_offset_args(self.NAME, arg_types, literals)
        t = arg_types[0]
        self.result_type = Type("ARRAY", (t,)) if self.n else t

    def init(self):
        return [] if self.n else None

    def add(self, s, args):
        v = args[0]
        if v is None and self.ignore:
            return s
        if self.n:
            s.append(v)
            return s[-self.n:]
        return v

    def result(self, s):
        return list(s) if self.n else s


class _StdDev(Aggregate):
    """Youngs-Cramer, STRUCT<SUM (input type, wrapping), COUNT, M2>, in
    ksqlDB's exact order of operations (its undo computes the delta from
    the aggregate before the value is removed, as it does)."""
    TABLE_OK = True
    COMPLEX_INTERMEDIATE = True

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        if len(arg_types) != 1 or literals:
            raise OutOfScope("%s arguments" % self.NAME)
        t = arg_types[0]
        if t is None or t.name not in NUMERIC:
            raise OutOfScope("%s of %s" % (self.NAME, t))
        self.t = t
        self.result_type = DOUBLE

    def init(self):
        return (0.0 if self.t.name == "DOUBLE" else 0, 0, 0.0)   # SUM, COUNT, M2

    def _delta(self, s, v):
        total, count, _ = s
        if self.t.name == "DOUBLE":
            return float(v) * (count + 1) - (total + float(v))
        if self.t.name == "INT":
            a = _wrap(v * (count + 1), BIGINT)
            b = _wrap(total + v, INT)
            return float(_wrap(a - b, BIGINT))
        a = _wrap(v * (count + 1), BIGINT)
        b = _wrap(total + v, BIGINT)
        return float(_wrap(a - b, BIGINT))

    def _add_sum(self, total, v):
        return total + float(v) if self.t.name == "DOUBLE" else _wrap(v + total, self.t)

    def add(self, s, args):
        v = args[0]
        if v is None:
            return s
        total, count, m2 = s
        new_count = count + 1
        if new_count - 1 > 0:
            delta = self._delta(s, v)
            new_m2 = jdiv(delta * delta, float(_wrap(new_count * (new_count - 1), BIGINT)))
        else:
            new_m2 = 0.0
        return (self._add_sum(total, v), new_count, new_m2 + m2)

    def undo(self, s, args):
        v = args[0]
        if v is None:
            return s
        total, count, m2 = s
        new_count = count - 1
        if new_count > 0:
            delta = self._delta(s, v)
            new_m2 = jdiv(delta * delta, float(_wrap(new_count * (new_count + 1), BIGINT)))
        else:
            new_m2 = 0.0
        new_total = total - float(v) if self.t.name == "DOUBLE" else _wrap(total - v, self.t)
        return (new_total, new_count, m2 - new_m2)

    def variance(self, s):
        if s[1] < 2:
            return None
        return jdiv(s[2], float(s[1] - 1))


class StdDevSamp(_StdDev):
    """STDDEV_SAMP: ksqlDB returns the sample variance (not its root)."""
    NAME = "STDDEV_SAMP"

    def result(self, s):
        v = self.variance(s)
        return 0.0 if v is None else v


class StdDevSample(_StdDev):
    NAME = "STDDEV_SAMPLE"

    def result(self, s):
        v = self.variance(s)
        return 0.0 if v is None else jsqrt(v)


class Correlation(Aggregate):
    NAME = "CORRELATION"
    TABLE_OK = True
    COMPLEX_INTERMEDIATE = True

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        if len(arg_types) != 2 or literals:
            raise OutOfScope("CORRELATION arguments")
        a, b = arg_types
        if a is None or b is None or a.name not in NUMERIC or a.name != b.name:
            raise OutOfScope("CORRELATION of %s, %s" % (a, b))
        self.result_type = DOUBLE

    def init(self):
        return (0.0, 0.0, 0.0, 0.0, 0.0, 0)   # X_SUM Y_SUM X2 Y2 XY COUNT

    def add(self, s, args):
        x, y = args
        if x is None or y is None:
            return s
        x, y = float(x), float(y)
        return (s[0] + x, s[1] + y, s[2] + x * x, s[3] + y * y, s[4] + x * y, s[5] + 1)

    def undo(self, s, args):
        x, y = args
        if x is None or y is None:
            return s
        x, y = float(x), float(y)
        return (s[0] - x, s[1] - y, s[2] - x * x, s[3] - y * y, s[4] - x * y, s[5] - 1)

    def result(self, s):
        sx, sy, sxx, syy, sxy, n = s
        n = float(n)
        numerator = n * sxy - sx * sy
        dx = n * sxx - sx * sx
        dy = n * syy - sy * sy
        return jdiv(numerator, jsqrt(dx * dy))


class Attr(Aggregate):
    """ATTR: the one value the group holds, NULL when it holds several."""
    NAME = "ATTR"
    TABLE_OK = True
    COMPLEX_INTERMEDIATE = True

    def __init__(self, arg_types, literals, props):
        super().__init__(arg_types, literals, props)
        if len(arg_types) != 1 or literals or arg_types[0] is None:
            raise OutOfScope("ATTR arguments")
        self.result_type = arg_types[0]

    def init(self):
        return []                       # [[value, count]]

    def _update(self, s, v, n):
        for e in s:
            if (e[0] is None and v is None) or (e[0] is not None and java_equals(e[0], v)):
                e[1] = max(0, e[1] + n)
                return s
        if n > 0:
            s.append([v, n])
        return s

    def add(self, s, args):
        return self._update(s, args[0], 1)

    def undo(self, s, args):
        return self._update(s, args[0], -1)

    def result(self, s):
        live = [e for e in s if e[1] > 0]
        return live[0][0] if len(live) == 1 else None


FUNCTIONS = {c.NAME: c for c in (Count, CountDistinct, Sum, SumList, Avg, Max, Min, TopK, TopKDistinct,
                                 CollectList, CollectSet, Histogram, EarliestByOffset, LatestByOffset,
                                 StdDevSamp, StdDevSample, Correlation, Attr)}


def is_aggregate(e):
    return isinstance(e, ksql.Call) and e.name.upper() in FUNCTIONS
