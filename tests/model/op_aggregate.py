"""Model of ksqlDB's aggregation without a window: CREATE TABLE ... AS
SELECT ... FROM a stream or a table ... [WHERE] GROUP BY ... [HAVING].

Written from ksqlDB's documentation and its execution steps (read for
understanding: StreamGroupByBuilderBase, TableGroupByBuilderBase,
GroupByParamsFactory, StreamAggregateBuilder, TableAggregateBuilder,
KudafAggregator, KudafUndoAggregator, TableFilterBuilder, Repartitioning)
and Kafka Streams' KStreamAggregate, KTableRepartitionMap, KTableAggregate
and KTableFilter. Aggregate functions are in op_aggregate_functions.py.

Semantics, with one record per batch (the record cache off), so that every
update is emitted:

Stream source. A record whose value is NULL is dropped (groupBy filters
NULL values), then WHERE. The GROUP BY expressions are evaluated on the
row; if any is NULL (or fails, which ksqlDB logs and treats as NULL) the
record is dropped with a processing-log entry. Otherwise the group's
aggregate takes the record (KStreamAggregate) and the new row is emitted
with the timestamp max(record's time, the group's last timestamp).

Table source. The source table is materialized (the latest row per key;
a NULL key is dropped; a tombstone deletes). An update is a change (old
row, new row); WHERE applies to both sides (a row that stops passing it is
retracted). The old and new group keys are computed (NULL -> no key): when
both exist and are equal, one update undoes the old row and adds the new
one (KTableRepartitionMap forwards a single change); otherwise the old row
is undone from its group (emitting that group, even at a count of 0), then
the new row is added to its group (emitting it). Timestamps as
KTableAggregate: the record's, or max(record's, group's) when the group
already exists. Only functions with an undo are accepted over a table.

HAVING runs on the aggregate: a group that fails it emits a tombstone if
its previous row passed, else nothing (KTableFilter with old values: the
aggregate sends them, and a change whose old and new rows both fail is not
forwarded). The
projection then sees GROUP BY expressions (matched structurally) as the
key and aggregate calls as their results; any other column is refused.

Output: key columns are the GROUP BY expressions in GROUP BY order, named
by the select item that is that expression (its alias, its column name,
or KSQL_COL_n); every GROUP BY expression must be selected exactly once.
The key format is the source's (NONE becomes the default key format), or
the statement's; KAFKA holds only one column.

Corpus quirks: none known.
"""
import dataclasses
import struct

import ksql
import values
from engine import (Query, decode, record_time, evaluate_logged, single_source_scope, generated_names, sink_formats,
                    rejected_on_key)
from ksql import OutOfScope
from op_aggregate_functions import FUNCTIONS, is_aggregate
from serde import DecodeError
from values import Scope

PSEUDO = ("ROWTIME", "ROWPARTITION", "ROWOFFSET")
KAFKA_KEY_TYPES = ("INT", "BIGINT", "DOUBLE", "STRING")


def build(engine, stmt):
    if not isinstance(stmt, ksql.CreateAs):
        return None
    sel = stmt.select
    if not sel.group_by or sel.window or sel.joins:
        return None
    return AggregateQuery(engine, stmt)


def _children(e):
    """(field name, value) of an expression node's sub-expressions."""
    return [(f.name, getattr(e, f.name)) for f in dataclasses.fields(e)]


def map_expr(e, fn):
    """Rebuilds e with fn applied to every direct sub-expression."""
    if e is None or isinstance(e, (ksql.Lit, ksql.Col, ksql.Type)):
        return e

    def one(x):
        if isinstance(x, list):
            return [one(y) for y in x]
        if isinstance(x, tuple):
            return tuple(one(y) for y in x)
        if dataclasses.is_dataclass(x) and not isinstance(x, ksql.Type):
            return fn(x)
        return x

    return dataclasses.replace(e, **{name: one(v) for name, v in _children(e)})


def walk(e):
    """Every expression node under e (e included)."""
    out = []

    def visit(x):
        if isinstance(x, (list, tuple)):
            for y in x:
                visit(y)
        elif dataclasses.is_dataclass(x) and not isinstance(x, ksql.Type):
            out.append(x)
            for _, v in _children(x):
                visit(v)

    visit(e)
    return out


def group_key_of(vals):
    """A dict key for a group: Java's GenericKey equality (a DOUBLE by its
    bits, so 0.0 and -0.0 differ)."""
    return tuple(("d", struct.pack(">d", v)) if isinstance(v, float) else (type(v).__name__, v) for v in vals)


@dataclasses.dataclass
class Group:
    key: tuple
    aggs: list
    ts: int
    passed: bool = False     # whether the group's last row passed HAVING


class AggregateQuery(Query):
    def __init__(self, engine, stmt):
        super().__init__(engine, stmt)
        sel = stmt.select
        if stmt.kind != "TABLE":
            raise OutOfScope("GROUP BY into a stream")
        if sel.partition_by or sel.emit == "FINAL":
            raise OutOfScope("PARTITION BY or EMIT FINAL with GROUP BY")
        if "TIMESTAMP" in stmt.props:
            raise OutOfScope("sink TIMESTAMP on an aggregate")
        self.src = engine.source(sel.source)
        if self.src.window:
            raise OutOfScope("windowed source")
        self.quals = {q.upper() for q in (self.src.name, sel.alias) if q}
        self.scope = single_source_scope(self.src, sel.alias)
        self.where = self.norm(sel.where) if sel.where is not None else None
        if self.where is not None:
            self._no_aggregates(self.where)
        self.group_exprs = [self.norm(g) for g in sel.group_by]
        for g in self.group_exprs:
            self._no_aggregates(g)
        if any(self.group_exprs.count(g) > 1 for g in self.group_exprs):
            raise OutOfScope("the same GROUP BY expression twice")
        self.group_types = [values.infer(g, self.scope) for g in self.group_exprs]
        if any(t is None for t in self.group_types):
            raise OutOfScope("GROUP BY NULL")
        if self.src.is_table:
            if self.src.timestamp_col:
                raise OutOfScope("TIMESTAMP column on a table source")
            used = [x for e in self.group_exprs + ([self.where] if self.where is not None else []) for x in walk(e)]
            if any(isinstance(x, ksql.Col) and x.name in PSEUDO for x in used):
                raise OutOfScope("pseudo columns over a table source")

        # select items (* expanded to the source's columns)
        items = []
        for it in sel.items:
            if it.star:
                if it.star_qualifier and it.star_qualifier.upper() not in self.quals:
                    raise OutOfScope("unknown qualifier in *")
                for c in self.src.columns():
                    items.append(ksql.SelectItem(ksql.Col(c.name), c.name))
            else:
                items.append(ksql.SelectItem(self.norm(it.expr), it.alias))
        names = generated_names(items, {c.name for c in self.src.columns()})

        # aggregate calls, each computed once
        self.calls = []
        for it in items:
            self._collect_calls(it.expr)
        having = self.norm(sel.having) if sel.having is not None else None
        if having is not None:
            self._collect_calls(having)
        if not self.calls:
            raise OutOfScope("GROUP BY without an aggregate function")
        self.funcs, self.arg_exprs = [], []
        for c in self.calls:
            self._build_function(c)

        # the aggregate row's scope: $Ki group keys, $Aj aggregate results
        self.agg_scope = Scope()
        for i, t in enumerate(self.group_types):
            self.agg_scope.add("$K%d" % i, "$K%d" % i, t)
        for j, f in enumerate(self.funcs):
            self.agg_scope.add("$A%d" % j, "$A%d" % j, f.result_type)
        self.having = self.rewrite(having) if having is not None else None

        key_cols = [None] * len(self.group_exprs)
        self.value_items = []
        for it, name in zip(items, names):
            if it.expr in self.group_exprs:
                i = self.group_exprs.index(it.expr)
                if key_cols[i] is not None:
                    raise OutOfScope("a GROUP BY expression selected twice")
                key_cols[i] = ksql.ColumnDef(name, self.group_types[i], key=True)
            else:
                e = self.rewrite(it.expr)
                self.value_items.append((ksql.ColumnDef(name, values.infer(e, self.agg_scope)), e))
        if any(c is None for c in key_cols):
            raise OutOfScope("a GROUP BY expression missing from the projection")
        if not self.value_items:
            raise OutOfScope("no value columns")
        self.key_cols = key_cols

        kf, vf = sink_formats(stmt, self.src)
        if kf == "NONE":
            kf = str(engine.properties.get("ksql.persistence.default.format.key", "KAFKA")).upper()
        if kf == "KAFKA":
            if len(key_cols) != 1:
                raise OutOfScope("KAFKA key format with several key columns")
            if key_cols[0].type.name not in KAFKA_KEY_TYPES:
                raise OutOfScope("KAFKA key of type %s" % key_cols[0].type)
        elif kf != "JSON":
            raise OutOfScope("key format " + kf)
        for fmt in (vf, self.src.value_format):
            if fmt == "DELIMITED":
                if any(f.COMPLEX_INTERMEDIATE for f in self.funcs):
                    raise OutOfScope("DELIMITED with an aggregate of complex intermediate type")
                if any(c.type is None or c.type.name not in ("BOOLEAN", "INT", "BIGINT", "STRING", "DOUBLE")
                       for c, _ in self.value_items):
                    raise OutOfScope("DELIMITED with a complex column")
            elif fmt not in ("JSON",):
                raise OutOfScope("value format " + fmt)
        self.sink = engine.sink_for(stmt, key_cols, [c for c, _ in self.value_items], kf, vf, self.src,
                                    kind="TABLE")
        self.groups = {}
        self.table = {}          # table source: source key -> row

    # ------------------------------------------------------------ building

    def norm(self, e):
        """e with the source's qualifiers dropped (one source only)."""
        if isinstance(e, ksql.Col):
            if e.qualifier:
                if e.qualifier.upper() not in self.quals:
                    raise OutOfScope("unknown qualifier " + e.qualifier)
                return ksql.Col(e.name)
            return e
        if isinstance(e, ksql.Call):
            e = dataclasses.replace(e, name=e.name.upper())
        return map_expr(e, self.norm)

    def _no_aggregates(self, e):
        if any(is_aggregate(x) for x in walk(e)):
            raise OutOfScope("an aggregate function where none is allowed")

    def _collect_calls(self, e):
        """Registers every top-most aggregate call under e."""
        def visit(x):
            if is_aggregate(x):
                for a in x.args:
                    self._no_aggregates(a)
                if x.distinct:
                    raise OutOfScope("DISTINCT in an aggregate")
                if x not in self.calls:
                    self.calls.append(x)
                return x
            return map_expr(x, visit)
        visit(e)

    def _build_function(self, call):
        name = call.name
        args = list(call.args)
        if name == "COUNT" and (call.star or not args):
            col_args, lits = [ksql.Col("ROWTIME")], []
        else:
            if call.star or not args:
                raise OutOfScope("%s(*)" % name)
            if name == "TOPK":
                ncol = len(args) - 1
            elif name in ("TOPKDISTINCT", "EARLIEST_BY_OFFSET", "LATEST_BY_OFFSET"):
                ncol = 1
            else:
                ncol = len(args)
            col_args, lit_exprs = args[:ncol], args[ncol:]
            lits = []
            for x in lit_exprs:
                if not isinstance(x, ksql.Lit):
                    raise OutOfScope("a non-literal initial argument of %s" % name)
                lits.append(x.value)
        if not col_args:
            raise OutOfScope("%s without a column argument" % name)
        if self.src.is_table:
            for a in col_args:
                if any(isinstance(x, ksql.Col) and x.name in PSEUDO for x in walk(a)) and not (
                        name == "COUNT" and (call.star or not call.args)):
                    raise OutOfScope("pseudo columns in an aggregate over a table")
        types = [values.infer(a, self.scope) for a in col_args]
        f = FUNCTIONS[name](types, lits, self.engine.properties)
        if self.src.is_table and not f.TABLE_OK:
            raise OutOfScope("%s over a table (ksqlDB refuses it)" % name)
        self.funcs.append(f)
        self.arg_exprs.append(col_args)

    def rewrite(self, e):
        """A projection or HAVING expression over the aggregate row."""
        if e in self.group_exprs:
            return ksql.Col("$K%d" % self.group_exprs.index(e))
        if is_aggregate(e):
            return ksql.Col("$A%d" % self.calls.index(e))
        if isinstance(e, ksql.Col):
            raise OutOfScope("column %s is neither grouped nor aggregated" % e.name)
        return map_expr(e, self.rewrite)

    # ------------------------------------------------------------ running

    def reads(self):
        return [self.src.topic]

    def _where(self, row):
        if self.where is None:
            return True
        return evaluate_logged(self.stats, self.where, row, self.scope, False) is True

    def _group_key(self, row):
        """The GROUP BY values, or None when one is NULL (or fails: ksqlDB
        logs both and drops the row)."""
        out = []
        for g in self.group_exprs:
            v = evaluate_logged(self.stats, g, row, self.scope)
            if v is None:
                self.stats.log_entries += 1
                return None
            out.append(v)
        return tuple(out)

    def _args(self, row):
        return [tuple(evaluate_logged(self.stats, a, row, self.scope) for a in exprs) for exprs in self.arg_exprs]

    def _emit(self, g, ts):
        keys = {c.name: v for c, v in zip(self.key_cols, g.key)}
        row = {"$K%d" % i: v for i, v in enumerate(g.key)}
        for j, (f, s) in enumerate(zip(self.funcs, g.aggs)):
            row["$A%d" % j] = f.result(s)
        if self.having is not None:
            passed, g.passed = g.passed, evaluate_logged(self.stats, self.having, row, self.agg_scope, False) is True
            if not g.passed:
                # a tombstone only when the group's previous row passed
                return [self.engine.encode(self.sink, keys, None, ts)] if passed else []
        vals = {c.name: evaluate_logged(self.stats, e, row, self.agg_scope) for c, e in self.value_items}
        return [self.engine.encode(self.sink, keys, vals, ts)]

    def process(self, rec):
        self.stats.read += 1
        try:
            row, deleted = decode(self.src, rec)
            ts = rec.timestamp if deleted or self.src.is_table else record_time(self.src, row, rec)
        except DecodeError:
            if rejected_on_key(self.src, self.where, self.scope, rec):
                self.stats.filtered += 1
                return []
            self.stats.failed += 1
            self.stats.log_entries += 1
            return []
        if self.src.is_table:
            return self._process_table(row, deleted, ts)
        if deleted or not self._where(row):
            self.stats.filtered += 1
            return []
        key = self._group_key(row)
        if key is None:
            self.stats.filtered += 1
            return []
        args = self._args(row)
        self.stats.passed += 1
        gk = group_key_of(key)
        g = self.groups.get(gk)
        if g is None:
            g = self.groups[gk] = Group(key, [f.init() for f in self.funcs], ts)
        else:
            g.ts = max(ts, g.ts)
        g.aggs = [f.add(s, a) for f, s, a in zip(self.funcs, g.aggs, args)]
        return self._emit(g, g.ts)

    def _process_table(self, row, deleted, ts):
        src_key = tuple(row[c.name] for c in self.src.key_cols)
        if any(v is None for v in src_key):
            self.stats.filtered += 1          # KTableSource drops a NULL key
            return []
        tk = group_key_of(src_key)
        old = self.table.get(tk)
        new = None if deleted else row
        if new is None:
            self.table.pop(tk, None)
        else:
            self.table[tk] = new
        old = old if old is not None and self._where(old) else None
        new = new if new is not None and self._where(new) else None
        old_key = self._group_key(old) if old is not None else None
        new_key = self._group_key(new) if new is not None else None
        outs = []
        if old_key is not None and new_key is not None and group_key_of(old_key) == group_key_of(new_key):
            g = self.groups[group_key_of(old_key)]
            g.ts = max(ts, g.ts)
            g.aggs = [f.undo(s, a) for f, s, a in zip(self.funcs, g.aggs, self._args(old))]
            g.aggs = [f.add(s, a) for f, s, a in zip(self.funcs, g.aggs, self._args(new))]
            outs += self._emit(g, g.ts)
        else:
            if old_key is not None:
                g = self.groups[group_key_of(old_key)]
                g.ts = max(ts, g.ts)
                g.aggs = [f.undo(s, a) for f, s, a in zip(self.funcs, g.aggs, self._args(old))]
                outs += self._emit(g, g.ts)
            if new_key is not None:
                gk = group_key_of(new_key)
                g = self.groups.get(gk)
                if g is None:
                    g = self.groups[gk] = Group(new_key, [f.init() for f in self.funcs], ts)
                else:
                    g.ts = max(ts, g.ts)
                g.aggs = [f.add(s, a) for f, s, a in zip(self.funcs, g.aggs, self._args(new))]
                outs += self._emit(g, g.ts)
        if old_key is not None or new_key is not None:
            self.stats.passed += 1
        else:
            self.stats.filtered += 1
        return outs
