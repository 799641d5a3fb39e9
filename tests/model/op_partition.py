"""Model of ksqlDB's PARTITION BY: CREATE STREAM ... AS SELECT ... FROM a
stream [WHERE ...] PARTITION BY e1 [, e2 ...].

Written from ksqlDB's documentation and its execution steps (read for
understanding: SchemaKStream.selectKey, Repartitioning,
PartitionByParamsFactory, StreamSelectKeyBuilder). GROUP BY's own
repartition (rekeying on non-key columns) is modelled by its result in
op_aggregate, not here.

Semantics:
- WHERE first: it drops a record whose value is NULL, and one it does not
  hold for.
- The new key is the PARTITION BY expressions' values. An expression that
  reads key columns only (or no column: a constant) is evaluated on the
  key, so a tombstone (NULL value) gets it too; any other expression is
  evaluated on the value: NULL for a tombstone, and NULL (with a
  processing-log entry) when it fails. A NULL component is kept: the
  record is written with a NULL in its key (all NULL for one column),
  never dropped. PARTITION BY NULL gives every record a NULL key and the
  result no key column.
- The projection then runs on the row: each PARTITION BY expression must
  be selected exactly once (structurally); that item is a key column,
  named by its alias, its column name or KSQL_COL_n. SELECT * gives the
  new key columns (a column's name, or KSQL_COL_n for an expression),
  then the source's value columns, then its old key columns, leaving out
  those that are now key columns. A tombstone is written with a NULL
  value. The record keeps its timestamp.
- Key format: the statement's, else the source's (NONE becomes the
  default key format); KAFKA holds one column of INT, BIGINT, DOUBLE or
  STRING. A JSON key of several columns is an object, even when all its
  fields are NULL.

Corpus quirks: none known.
"""
import ksql
import serde
import values
from engine import (Query, Record, decode, record_time, evaluate_logged, single_source_scope, generated_names,
                    sink_formats, sink_time, rejected_on_key, PSEUDO)
from ksql import OutOfScope
from op_aggregate import map_expr, walk
from serde import DecodeError

KAFKA_KEY_TYPES = ("INT", "BIGINT", "DOUBLE", "STRING")


def build(engine, stmt):
    if not isinstance(stmt, ksql.CreateAs):
        return None
    sel = stmt.select
    if not sel.partition_by or sel.group_by or sel.joins or sel.window:
        return None
    return PartitionQuery(engine, stmt)


class PartitionQuery(Query):
    def __init__(self, engine, stmt):
        super().__init__(engine, stmt)
        sel = stmt.select
        if stmt.kind != "STREAM":
            raise OutOfScope("PARTITION BY into a table")
        if sel.having or sel.emit == "FINAL":
            raise OutOfScope("HAVING or EMIT FINAL without GROUP BY")
        self.src = engine.source(sel.source)
        if self.src.is_table:
            raise OutOfScope("PARTITION BY over a table")
        if self.src.window:
            raise OutOfScope("windowed source")
        self.quals = {q.upper() for q in (self.src.name, sel.alias) if q}
        self.scope = single_source_scope(self.src, sel.alias)
        self.where = self.norm(sel.where) if sel.where is not None else None
        exprs = [self.norm(e) for e in sel.partition_by]
        self.by_null = any(isinstance(e, ksql.Lit) and e.value is None for e in exprs)
        if self.by_null and len(exprs) > 1:
            raise OutOfScope("PARTITION BY NULL with other expressions (ksqlDB refuses it)")
        if any(exprs.count(e) > 1 for e in exprs):
            raise OutOfScope("the same PARTITION BY expression twice")
        self.exprs = [] if self.by_null else exprs
        key_names = {c.name for c in self.src.key_cols}
        # an expression over key columns only (or none) is computed from the key
        self.key_only = [all(x.name in key_names for x in walk(e) if isinstance(x, ksql.Col)) for e in self.exprs]
        self.types = [values.infer(e, self.scope) for e in self.exprs]
        if any(t is None for t in self.types):
            raise OutOfScope("a PARTITION BY expression of unknown type")

        src_names = {c.name for c in self.src.columns()}
        key_cols = [None] * len(self.exprs)
        self.value_items = []
        explicit = [ksql.SelectItem(self.norm(it.expr), it.alias) for it in sel.items if not it.star]
        names = iter(generated_names(explicit, src_names))
        for it in sel.items:
            if it.star:
                if it.star_qualifier and it.star_qualifier.upper() not in self.quals:
                    raise OutOfScope("unknown qualifier in *")
                # the new key columns, then the source's value and old key
                # columns that are not key columns now
                gen = generated_names([ksql.SelectItem(e) for e in self.exprs], src_names)
                for i, (e, name) in enumerate(zip(self.exprs, gen)):
                    if key_cols[i] is not None:
                        raise OutOfScope("a PARTITION BY expression selected twice")
                    key_cols[i] = ksql.ColumnDef(name, self.types[i], key=True)
                taken = {e.name for e in self.exprs if isinstance(e, ksql.Col)}
                for c in self.src.value_cols + self.src.key_cols:
                    if c.name not in taken:
                        self.value_items.append((ksql.ColumnDef(c.name, c.type), ksql.Col(c.name)))
                continue
            expr, name = self.norm(it.expr), next(names)
            if expr in self.exprs:
                i = self.exprs.index(expr)
                if key_cols[i] is not None:
                    raise OutOfScope("a PARTITION BY expression selected twice")
                key_cols[i] = ksql.ColumnDef(name, self.types[i], key=True)
            else:
                if isinstance(expr, ksql.Lit) and expr.value is None:
                    raise OutOfScope("a NULL select item")
                self.value_items.append((ksql.ColumnDef(name, values.infer(expr, self.scope)), expr))
        if any(c is None for c in key_cols):
            raise OutOfScope("a PARTITION BY expression missing from the projection")
        if not self.value_items:
            raise OutOfScope("no value columns")
        self.key_cols = key_cols

        kf, vf = sink_formats(stmt, self.src)
        if kf == "NONE" and key_cols:
            kf = str(engine.properties.get("ksql.persistence.default.format.key", "KAFKA")).upper()
        if kf == "KAFKA":
            if len(key_cols) > 1:
                raise OutOfScope("KAFKA key format with several key columns")
            if key_cols and key_cols[0].type.name not in KAFKA_KEY_TYPES:
                raise OutOfScope("KAFKA key of type %s" % key_cols[0].type)
        elif kf not in ("JSON", "NONE"):
            raise OutOfScope("key format " + kf)
        if vf not in ("JSON", "DELIMITED"):
            raise OutOfScope("value format " + vf)
        self.sink = engine.sink_for(stmt, key_cols, [c for c, _ in self.value_items], kf, vf, self.src)

    def norm(self, e):
        if isinstance(e, ksql.Col):
            if e.qualifier:
                if e.qualifier.upper() not in self.quals:
                    raise OutOfScope("unknown qualifier " + e.qualifier)
                return ksql.Col(e.name)
            return e
        if isinstance(e, ksql.Call):
            import dataclasses
            e = dataclasses.replace(e, name=e.name.upper())
        return map_expr(e, self.norm)

    def reads(self):
        return [self.src.topic]

    def _key(self, row, deleted):
        out = []
        for e, key_only in zip(self.exprs, self.key_only):
            if deleted and not key_only:
                out.append(None)        # evaluated on a NULL value: fails
            else:
                out.append(evaluate_logged(self.stats, e, row, self.scope))
        return out

    def _encode_key(self, keys):
        cols = self.sink.key_cols
        if not cols:
            return None
        if self.sink.key_format == "JSON" and len(cols) > 1:
            return {c.name: serde._to_json(c.type, keys[c.name]) for c in cols}
        return serde.encode_key(self.sink.key_format, cols, keys)

    def process(self, rec):
        self.stats.read += 1
        try:
            row, deleted = decode(self.src, rec)
            ts = record_time(self.src, row, rec) if not deleted else rec.timestamp
        except DecodeError:
            if rejected_on_key(self.src, self.where, self.scope, rec):
                self.stats.filtered += 1
                return []
            self.stats.failed += 1
            self.stats.log_entries += 1
            return []
        if self.where is not None:
            if deleted or evaluate_logged(self.stats, self.where, row, self.scope, False) is not True:
                self.stats.filtered += 1
                return []
        keys = {c.name: v for c, v in zip(self.key_cols, self._key(row, deleted))}
        self.stats.passed += 1
        key = self._encode_key(keys)
        if deleted:
            return [Record(self.sink.topic, key, None, ts)]
        vals = {c.name: evaluate_logged(self.stats, e, row, self.scope) for c, e in self.value_items}
        value = serde.encode_value(self.sink.value_format, self.sink.value_cols, vals, self.sink.wrap_single,
                                   self.sink.delimiter)
        return [Record(self.sink.topic, key, value, sink_time(self.sink, vals, ts))]
