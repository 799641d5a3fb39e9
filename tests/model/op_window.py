"""Model of ksqlDB's windowed aggregation over time windows (TUMBLING and
HOPPING), as ksqlDB wires it into Kafka Streams, and the aggregation pieces
the session model (op_session.py) shares.

What ksqlDB builds for `CREATE TABLE T AS SELECT ... FROM S WINDOW
TUMBLING|HOPPING (...) [WHERE ...] GROUP BY ... [HAVING ...] [EMIT
CHANGES|FINAL]` (StreamAggregateBuilder, RewrittenAnalysis):
 - WHERE, then grouping: by the source's key columns (groupByKey: a NULL key
   is skipped by the windowed processor) or by expressions (a NULL grouping
   value is logged and the row excluded; NULL values are filtered out
   before grouping). A tombstone is dropped before the window processor and
   so never moves its stream time (see TOMBSTONES below).
 - TimeWindows.ofSizeAndGrace(size, grace).advanceBy(advance) where grace
   is GRACE PERIOD, else max(24 h - size, 0) under EMIT CHANGES and 0 under
   EMIT FINAL (RewrittenAnalysis rewrites a FINAL window without GRACE to
   GRACE PERIOD 0).
 - The window store keeps windows for RETENTION, else size + grace
   (Kafka Streams' WindowStoreMaterializer). Its clock is the largest
   window start written; a window whose start is below that clock minus
   the retention has expired (plus one under EMIT CHANGES: the key-first
   RocksDB window store; EMIT FINAL's time-first store keeps the boundary
   window).
 - Kafka Streams' KStreamWindowAggregate: stream time is the largest
   timestamp the processor has seen; a record updates every window
   containing it (in order of start) whose end > stream time - grace; a
   window's timestamp is the largest record timestamp in it.
 - EMIT CHANGES: every update is forwarded (the runner has no record
   cache), with the window's timestamp.
 - EMIT FINAL (Kafka Streams' on-window-close strategy; every corpus case
   sets the emit interval to 0, and so must a case this model runs): after
   each record, when the close time (stream time - grace) has advanced, the
   windows with start in (last close - size, close - size] that the store
   still holds are emitted in the store's order: start, then the
   serialized key's bytes. Emitted windows stay in the store.
 - The result then goes through WINDOWSTART/WINDOWEND, HAVING (a row that
   fails it is forwarded as a tombstone: KTable.filter without old values)
   and the projection.

TOMBSTONES: ksqlDB passes a NULL value grouped by the key straight into
the windowed aggregator (Kafka Streams' windowed processors skip only NULL
keys), where ksqlDB's KudafAggregator cannot handle it; the model treats a
tombstone as filtered before the aggregation (as the GROUP BY expression
path does), which is what Sluice does.

Aggregates: COUNT(*), COUNT(x), SUM, MIN, MAX over INT, BIGINT and DOUBLE
(NULL arguments ignored; SUM starts at 0 and wraps as Java does), TOPK and
TOPKDISTINCT (the k largest non-NULL values, descending; sessions merge
the two lists); anything else is OutOfScope.
"""
import ksql
import values
import engine as E
from ksql import OutOfScope, Type, BIGINT
from serde import DecodeError

EMIT_INTERVAL = "ksql.streams.__emit.interval.ms.kstreams.windowed.aggregation__"
DAY = 24 * 3600 * 1000


# ---------------------------------------------------------------- aggregate functions

class AggFn:
    """One aggregate call: init, add one row's argument, merge two states
    (sessions), the result."""

    def __init__(self, call, scope):
        self.call = call
        name = call.name.upper()
        self.name = name
        if call.distinct:
            raise OutOfScope("DISTINCT in an aggregate")
        if name == "COUNT":
            if call.star or not call.args:
                self.arg = None
            elif len(call.args) == 1:
                self.arg = call.args[0]
            else:
                raise OutOfScope("COUNT with several arguments")
            self.type = BIGINT
            return
        if name in ("TOPK", "TOPKDISTINCT"):
            if len(call.args) != 2 or not isinstance(call.args[1], ksql.Lit) or call.args[1].type.name != "INT":
                raise OutOfScope("%s arguments" % name)
            self.arg, self.k = call.args[0], call.args[1].value
            t = values.infer(self.arg, scope)
            if t is None or t.name not in ("INT", "BIGINT", "DOUBLE", "STRING") or self.k < 1:
                raise OutOfScope("%s over %s" % (name, t))
            self.type = Type("ARRAY", (t,))
            return
        if name not in ("SUM", "MIN", "MAX") or len(call.args) != 1:
            raise OutOfScope("aggregate %s" % name)
        self.arg = call.args[0]
        t = values.infer(self.arg, scope)
        if t is None or t.name not in ("INT", "BIGINT", "DOUBLE"):
            raise OutOfScope("%s over %s" % (name, t))
        self.type = t

    def init(self):
        if self.name == "COUNT":
            return 0
        if self.name == "SUM":
            return 0.0 if self.type.name == "DOUBLE" else 0
        if self.name in ("TOPK", "TOPKDISTINCT"):
            return []
        return None

    def add(self, state, v):
        if self.name == "COUNT":
            return state + 1 if (self.arg is None or v is not None) else state
        if v is None:
            return state
        if self.name in ("TOPK", "TOPKDISTINCT"):
            return self.merge(state, [v])
        if self.name == "SUM":
            return state + float(v) if self.type.name == "DOUBLE" else values.wrap(state + v, self.type)
        if state is None:
            return v
        return min(state, v) if self.name == "MIN" else max(state, v)

    def merge(self, a, b):
        if self.name == "TOPK":
            return sorted(a + b, reverse=True)[:self.k]
        if self.name == "TOPKDISTINCT":
            return sorted(set(a + b), reverse=True)[:self.k]
        if self.name == "COUNT":
            return a + b
        if self.name == "SUM":
            return a + b if self.type.name == "DOUBLE" else values.wrap(a + b, self.type)
        if a is None:
            return b
        if b is None:
            return a
        return min(a, b) if self.name == "MIN" else max(a, b)


AGG_NAMES = {"COUNT", "SUM", "MIN", "MAX", "AVG", "TOPK", "TOPKDISTINCT", "COLLECT_LIST", "COLLECT_SET",
             "HISTOGRAM", "EARLIEST_BY_OFFSET", "LATEST_BY_OFFSET", "COUNT_DISTINCT", "STDDEV_SAMP",
             "STDDEV_SAMPLE", "CORRELATION", "ATTR"}
WINDOW_BOUNDS = ("WINDOWSTART", "WINDOWEND")


# ---------------------------------------------------------------- the aggregation plan

def _rewrite(e, plan):
    """A select item or HAVING over the aggregation's output: aggregate
    calls, grouping expressions and window bounds become slots."""
    for i, g in enumerate(plan.group_by):
        if e == g:
            return ksql.Col("__K%d" % i)
    if isinstance(e, ksql.Call) and e.name.upper() in AGG_NAMES:
        for i, a in enumerate(plan.aggs):
            if a.call == e:
                return ksql.Col("__A%d" % i)
        plan.aggs.append(AggFn(e, plan.scope))
        return ksql.Col("__A%d" % (len(plan.aggs) - 1))
    if isinstance(e, ksql.Col):
        if e.name in WINDOW_BOUNDS:
            return ksql.Col(e.name)
        raise OutOfScope("column %s is neither grouped nor aggregated" % e.name)
    if isinstance(e, ksql.Lit):
        return e
    if not hasattr(e, "__dataclass_fields__"):
        return e
    kw = {}
    for f in e.__dataclass_fields__:
        v = getattr(e, f)
        if isinstance(v, list):
            v = [tuple(_rewrite(x, plan) for x in it) if isinstance(it, tuple) else _rewrite(it, plan) for it in v]
        elif hasattr(v, "__dataclass_fields__") and not isinstance(v, Type):
            v = _rewrite(v, plan)
        kw[f] = v
    return type(e)(**kw)


class AggregationPlan:
    """The parts of an aggregation query both window models share:
    decoding, WHERE, grouping, aggregate arguments, the projection after
    the aggregation, and the sink."""

    def __init__(self, eng, stmt, window_type):
        sel = stmt.select
        if not isinstance(stmt, ksql.CreateAs) or stmt.kind != "TABLE":
            raise OutOfScope("a windowed aggregation that is not CREATE TABLE AS")
        if sel.joins:
            raise OutOfScope("windowed aggregation over a join")
        if sel.partition_by:
            raise OutOfScope("PARTITION BY with GROUP BY")
        if not sel.group_by:
            raise OutOfScope("window without GROUP BY")
        self.eng = eng
        self.stmt = stmt
        self.src = eng.source(sel.source)
        if self.src.is_table or self.src.window:
            raise OutOfScope("windowed aggregation over a table or a windowed source")
        self.scope = E.single_source_scope(self.src, sel.alias)
        self.group_by = list(sel.group_by)
        if len(self.group_by) != 1:
            raise OutOfScope("GROUP BY several expressions")
        key_names = [c.name for c in self.src.key_cols]
        # groupByKey when the grouping is exactly the source's key columns
        self.by_key = [g.name for g in self.group_by if isinstance(g, ksql.Col)] == key_names and \
            len(key_names) == len(self.group_by)
        self.aggs = []
        items = []
        for it in sel.items:
            if it.star:
                raise OutOfScope("SELECT * in an aggregation")
            items.append(it)
        key_items, value_items = [], []
        taken = {c.name for c in self.src.columns()}
        names = E.generated_names(items, taken)
        for it, name in zip(items, names):
            if it.alias is None and isinstance(it.expr, ksql.Col) and it.expr.name in WINDOW_BOUNDS + E.PSEUDO:
                raise OutOfScope("unaliased %s in the projection" % it.expr.name)
            if any(it.expr == g for g in self.group_by):
                if not isinstance(it.expr, ksql.Col):
                    raise OutOfScope("a grouping expression that is not a column")
                key_items.append((name, self.group_by.index(it.expr)))
            else:
                value_items.append((name, _rewrite(it.expr, self)))
        if len(key_items) != len(self.group_by):
            raise OutOfScope("grouping expressions not selected exactly once")
        self.having = _rewrite(sel.having, self) if sel.having is not None else None
        if not self.aggs:
            raise OutOfScope("GROUP BY without an aggregate")
        self.key_types = [values.infer(g, self.scope) for g in self.group_by]
        # the scope after the aggregation
        self.post = values.Scope()
        for i, t in enumerate(self.key_types):
            self.post.add("__K%d" % i, "__K%d" % i, t)
        for i, a in enumerate(self.aggs):
            self.post.add("__A%d" % i, "__A%d" % i, a.type)
        for b in WINDOW_BOUNDS:
            self.post.add(b, b, BIGINT)
        key_cols = [ksql.ColumnDef(n, self.key_types[i], key=True) for n, i in key_items]
        self.key_items = key_items
        self.value_items = [(ksql.ColumnDef(n, values.infer(e, self.post)), e) for n, e in value_items]
        kf, vf = E.sink_formats(stmt, self.src)
        if vf != "JSON" and any(c.type.name == "ARRAY" for c, _ in self.value_items):
            raise OutOfScope("an ARRAY result in %s" % vf)
        self.sink = eng.sink_for(stmt, key_cols, [c for c, _ in self.value_items], kf, vf, self.src, kind="TABLE",
                                 window={"type": window_type})
        self.key_format = self.src.key_format

    # -- input side
    def read(self, stats, rec):
        """An input record -> (group key tuple, aggregate arguments, time),
        or None when it does not reach the window processor (stats done)."""
        stats.read += 1
        try:
            row, deleted = E.decode(self.src, rec)
            if deleted:
                stats.filtered += 1       # see TOMBSTONES in the docstring
                return None
            ts = E.record_time(self.src, row, rec)
        except DecodeError:
            if E.rejected_on_key(self.src, self.stmt.select.where, self.scope, rec):
                stats.filtered += 1
                return None
            stats.failed += 1
            stats.log_entries += 1
            return None
        where = self.stmt.select.where
        if where is not None and E.evaluate_logged(stats, where, row, self.scope, False) is not True:
            stats.filtered += 1
            return None
        key = []
        for g in self.group_by:
            if self.by_key:
                v = row.get(g.name)
            else:
                try:
                    v = values.evaluate(g, row, self.scope)
                except values.EvalError:
                    stats.log_entries += 1
                    stats.failed += 1
                    return None
                if v is None:
                    stats.log_entries += 1
                    stats.failed += 1
                    return None
            if v is None:
                stats.filtered += 1       # Kafka Streams skips a NULL key
                return None
            key.append(v)
        args = []
        for a in self.aggs:
            args.append(None if a.arg is None else E.evaluate_logged(stats, a.arg, row, self.scope))
        if ts < 0:
            raise OutOfScope("negative timestamp")
        if any(isinstance(v, (dict, list)) for v in key):
            raise OutOfScope("a STRUCT, ARRAY or MAP grouping key")
        return tuple(key), args, ts

    def init(self):
        return [a.init() for a in self.aggs]

    def add(self, state, args):
        return [a.add(s, v) for a, s, v in zip(self.aggs, state, args)]

    def merge(self, x, y):
        return [a.merge(p, q) for a, p, q in zip(self.aggs, x, y)]

    # -- output side
    def _passes(self, stats, key, state, start, end):
        if state is None:
            return False
        if self.having is None:
            return True
        return E.evaluate_logged(stats, self.having, self._row(key, state, start, end), self.post, False) is True

    def _row(self, key, state, start, end):
        row = {"WINDOWSTART": start, "WINDOWEND": end}
        for i, k in enumerate(key):
            row["__K%d" % i] = k
        for i, v in enumerate(state):
            row["__A%d" % i] = v
        return row

    def output(self, stats, key, state, old, start, end, ts):
        """The sink records (none or one) of a change of one window's result
        from old to state (either None: no result). HAVING is a KTable
        filter that gets old values: a result that fails it is a
        tombstone, forwarded only when the old result passed (ksqlDB's
        corpus: having/table having)."""
        keys = {c: key[i] for c, i in self.key_items}
        window = {"start": start, "end": end, "type": self.sink.window["type"]}
        if not self._passes(stats, key, state, start, end):
            if self.having is None and state is None:
                return [self.eng.encode(self.sink, keys, None, ts, window)]
            if self.having is not None and self._passes(stats, key, old, start, end):
                return [self.eng.encode(self.sink, keys, None, ts, window)]
            return []
        row = self._row(key, state, start, end)
        vals = {c.name: E.evaluate_logged(stats, e, row, self.post) for c, e in self.value_items}
        return [self.eng.encode(self.sink, keys, vals, ts, window)]

    def key_bytes(self, key):
        """The grouping key serialized as the state store holds it: the
        order in which windows closing together are emitted."""
        if len(key) != 1:
            raise OutOfScope("several key columns")
        v, t = key[0], self.key_types[0]
        fmt = self.key_format
        if fmt == "KAFKA":
            if t.name == "BIGINT":
                return (v & (2 ** 64 - 1)).to_bytes(8, "big")
            if t.name == "INT":
                return (v & (2 ** 32 - 1)).to_bytes(4, "big")
            if t.name == "STRING":
                return v.encode("utf-8")
            if t.name == "DOUBLE":
                import struct
                return struct.pack(">d", v)
        if fmt == "JSON" and t.name in ("BIGINT", "INT"):
            return str(v).encode()
        if fmt == "JSON" and t.name == "STRING" and all(0x20 <= ord(c) < 0x7f and c not in '"\\' for c in v):
            return ('"%s"' % v).encode()
        raise OutOfScope("store order of a %s key in %s" % (t, fmt))


def emit_final_interval_zero(eng):
    v = eng.properties.get(EMIT_INTERVAL)
    if v is None or str(v) != "0":
        raise OutOfScope("EMIT FINAL without a zero emit interval (wall-clock throttled)")


def java_div(a, b):
    """Java's long division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


# ---------------------------------------------------------------- time windows

def windows_for(ts, size, advance):
    """Kafka Streams' TimeWindows.windowsFor: starts in increasing order."""
    start = max(0, ts - size + advance) // advance * advance
    out = []
    while start <= ts:
        out.append(start)
        start += advance
    return out


class TimeWindowQuery(E.Query):
    def __init__(self, eng, stmt):
        super().__init__(eng, stmt)
        w = stmt.select.window
        self.size = w.size
        self.advance = w.advance if w.kind == "HOPPING" else w.size
        if w.kind == "HOPPING" and (w.advance is None or w.advance <= 0 or w.advance > w.size):
            raise OutOfScope("HOPPING advance")
        if not self.size or self.size <= 0:
            raise OutOfScope("window size")
        self.final = stmt.select.emit == "FINAL"
        if w.grace is not None:
            self.grace = w.grace
        else:
            self.grace = 0 if self.final else max(DAY - self.size, 0)
        self.retention = w.retention if w.retention is not None else self.size + self.grace
        if self.size + self.grace > self.retention:
            raise OutOfScope("retention below size + grace (ksqlDB rejects the statement)")
        if self.final:
            emit_final_interval_zero(eng)
        self.plan = AggregationPlan(eng, stmt, "time")
        self.sink = self.plan.sink
        self.stream_time = None
        self.store = {}             # (key, start) -> [state, timestamp]
        self.store_time = None      # the largest window start written
        self.last_emit_close = None

    def reads(self):
        return [self.plan.src.topic]

    def _visible(self, start):
        if self.store_time is None:
            return True
        low = self.store_time - self.retention + (0 if self.final else 1)
        return start >= low

    def process(self, rec):
        got = self.plan.read(self.stats, rec)
        if got is None:
            return []
        key, args, ts = got
        self.stream_time = ts if self.stream_time is None else max(self.stream_time, ts)
        close = self.stream_time - self.grace
        out, updated = [], False
        for start in windows_for(ts, self.size, self.advance):
            end = start + self.size
            if end <= close:
                continue                     # expired window
            old = self.store.get((key, start))
            if old is not None and not self._visible(start):
                old = None
            if old is None:
                prev, wts = self.plan.init(), ts
            else:
                prev, wts = old[0], max(ts, old[1])
            state = self.plan.add(prev, args)
            self.store[(key, start)] = [state, wts]
            self.store_time = start if self.store_time is None else max(self.store_time, start)
            updated = True
            if not self.final:
                out.extend(self.plan.output(self.stats, key, state, prev, start, end, wts))
        if updated:
            self.stats.passed += 1
        else:
            self.stats.late += 1
        if self.final:
            out.extend(self._emit_final(close))
        return out

    def _emit_final(self, close):
        if self.last_emit_close is not None and self.last_emit_close >= close:
            return []
        upper = close - self.size
        if upper < 0:
            return []
        if self.last_emit_close is None:
            lower = 0
        else:
            lower = max(0, self.last_emit_close - self.size) + 1
            if windows_for(upper, self.size, self.advance) == windows_for(lower - 1, self.size, self.advance):
                return []
        self.last_emit_close = close
        frm = max(lower, self.store_time - self.retention)
        if upper < frm:
            return []
        due = [(start, self.plan.key_bytes(key), key) for (key, start) in self.store if frm <= start <= upper]
        due.sort(key=lambda d: (d[0], d[1]))
        out = []
        for start, _, key in due:
            state, wts = self.store[(key, start)]
            out.extend(self.plan.output(self.stats, key, state, None, start, start + self.size, wts))
        return out


def build(eng, stmt):
    if not isinstance(stmt, (ksql.CreateAs, ksql.InsertInto)):
        return None
    w = stmt.select.window
    if w is None or w.kind not in ("TUMBLING", "HOPPING"):
        return None
    if isinstance(stmt, ksql.InsertInto):
        raise OutOfScope("INSERT INTO a windowed table")
    return TimeWindowQuery(eng, stmt)
