"""The reference interpreter: runs a test case's statements over its inputs
and returns the records ksqlDB would write, in ksql-test-runner's format.

It is deliberately naive (a dict per row, every state kept whole, nothing
incremental) so that it is easy to check against ksqlDB's documentation and
its corpus, and it shares nothing with Sluice's C code.

Structure: the catalog holds sources (declared streams and tables, and the
sinks of earlier queries). Each CREATE ... AS SELECT / INSERT INTO becomes a
query object built by the first operator model that accepts it (joins,
windowed and session aggregation, aggregation, partitioning; see
OPERATOR_MODELS) or, failing all, by the stateless model here (WHERE and
projection). Records are fed in the test file's order; a record a query
writes to a topic that another query reads is fed to it at once, depth
first, as `sluice test` and ksqlDB's runner chain queries.

Every query keeps counts of what became of each input record (stats), so a
test can check that inputs = passed + filtered + late + logged.
"""
from dataclasses import dataclass, field
import importlib

import ksql
import serde
import values
from ksql import OutOfScope
from serde import DecodeError
from values import EvalError, Scope

PSEUDO = ("ROWTIME", "ROWPARTITION", "ROWOFFSET")
# in a decoded row: whether the record's key was null (rather than a key
# whose columns are all NULL: "," in DELIMITED, {"A": null, "B": null} in JSON)
NULL_KEY = "$null_key"


@dataclass
class Source:
    name: str
    kind: str                              # STREAM or TABLE
    key_cols: list                         # [ksql.ColumnDef]
    value_cols: list
    topic: str
    key_format: str = "KAFKA"
    value_format: str = "JSON"
    wrap_single: bool = True
    delimiter: str = ","
    key_delimiter: str = ","
    timestamp_col: str = None
    timestamp_format: str = None
    window: dict = None                    # windowed source: {"type": ..., "size": ...}
    partitions: int = None

    @property
    def is_table(self):
        return self.kind == "TABLE"

    def columns(self):
        return self.key_cols + self.value_cols


@dataclass
class Stats:
    """What became of each record a query read."""
    read: int = 0
    passed: int = 0        # reached the operator's output or state
    filtered: int = 0      # WHERE, a NULL key, a join without a match: ksqlDB's semantics
    late: int = 0          # too late for every window it belongs to
    failed: int = 0        # skipped with an entry in the processing log (decode error, ...)
    log_entries: int = 0   # processing-log entries (a failed expression logs but passes a NULL on)


@dataclass
class Record:
    topic: str
    key: object
    value: object
    timestamp: int
    window: dict = None
    partition: int = 0
    offset: int = 0

    def as_output(self):
        out = {"topic": self.topic, "key": self.key, "value": self.value, "timestamp": self.timestamp}
        if self.window is not None:
            out["window"] = self.window
        return out


_FORMATS = ("JSON", "DELIMITED", "KAFKA", "AVRO", "JSON_SR", "PROTOBUF", "PROTOBUF_NOSR", "NONE")


def _formats(props, default_key, default_value):
    fmt = props.get("FORMAT")
    key = props.get("KEY_FORMAT", fmt or default_key)
    value = props.get("VALUE_FORMAT", fmt or default_value)
    key, value = str(key).upper(), str(value).upper()
    for f in (key, value):
        if f not in ("JSON", "DELIMITED", "KAFKA", "AVRO", "NONE"):
            raise OutOfScope("format " + f)
    return key, value


def source_from_create(st, properties):
    keys = [c for c in st.columns if c.key]
    vals = [c for c in st.columns if not c.key]
    if any(c.headers for c in st.columns):
        raise OutOfScope("HEADERS columns")
    p = st.props
    default_key = (properties or {}).get("ksql.persistence.default.format.key", "KAFKA")
    kf, vf = _formats(p, default_key, None if "VALUE_FORMAT" in p or "FORMAT" in p else "JSON")
    if st.kind == "TABLE" and not keys:
        raise OutOfScope("table without a PRIMARY KEY")
    src = Source(st.name, st.kind, keys, vals, p.get("KAFKA_TOPIC", st.name), kf, vf)
    wrap_default = str((properties or {}).get("ksql.persistence.wrap.single.values", "true")).lower() == "true"
    src.wrap_single = bool(p.get("WRAP_SINGLE_VALUE", wrap_default))
    if "VALUE_DELIMITER" in p:
        d = str(p["VALUE_DELIMITER"])
        src.delimiter = {"TAB": "\t", "SPACE": " "}.get(d.upper(), d)
    if "KEY_DELIMITER" in p:
        d = str(p["KEY_DELIMITER"])
        src.key_delimiter = {"TAB": "\t", "SPACE": " "}.get(d.upper(), d)
    if "TIMESTAMP" in p:
        src.timestamp_col = str(p["TIMESTAMP"]).upper()
    if "TIMESTAMP_FORMAT" in p:
        raise OutOfScope("TIMESTAMP_FORMAT")
    if "WINDOW_TYPE" in p:
        raise OutOfScope("windowed source")
    if "PARTITIONS" in p:
        src.partitions = int(p["PARTITIONS"])
    if kf == "NONE" and keys:
        raise OutOfScope("NONE key format with key columns")
    return src


class Query:
    """Base of every query model: decoding, time, projection, encoding."""

    def __init__(self, engine, stmt):
        self.engine = engine
        self.stmt = stmt
        self.stats = Stats()
        self.sink = None

    # the topics this query reads
    def reads(self):
        raise NotImplementedError

    def process(self, rec):
        """One input record -> the output Records, in order."""
        raise NotImplementedError


def decode(src, rec):
    """An input Record -> row dict (column -> value, pseudo-columns too) and
    whether it is a tombstone. Raises DecodeError for a record ksqlDB logs."""
    try:
        row = serde.decode_key(src.key_format, src.key_cols, rec.key, src.key_delimiter)
    except DecodeError:
        # the test runner writes the value too before ksqlDB reads the key:
        # a value it cannot write fails the test (OutOfScope) first
        serde.decode_value(src.value_format, src.value_cols, rec.value, src.wrap_single, src.delimiter)
        raise
    vals = serde.decode_value(src.value_format, src.value_cols, rec.value, src.wrap_single, src.delimiter)
    deleted = vals is None
    if vals:
        row.update(vals)
    else:
        for c in src.value_cols:
            row[c.name] = None
    row[NULL_KEY] = rec.key is None
    row["ROWTIME"] = rec.timestamp
    row["ROWPARTITION"] = rec.partition
    row["ROWOFFSET"] = rec.offset
    return row, deleted


def record_time(src, row, rec):
    """The record's event time: its TIMESTAMP column when the source names
    one (a NULL or negative one is an error ksqlDB logs), else its Kafka
    timestamp."""
    if not src.timestamp_col:
        return rec.timestamp
    col = next((c for c in src.columns() if c.name == src.timestamp_col), None)
    if col is None:
        raise OutOfScope("unknown TIMESTAMP column")
    if col.type.name not in ("BIGINT", "TIMESTAMP"):
        raise OutOfScope("TIMESTAMP column of type %s" % col.type)
    v = row.get(col.name)
    if v is None or v < 0:
        raise DecodeError("timestamp column is null or negative")
    return v


def rejected_on_key(src, where, scope, rec):
    """Accounting only, for a documented difference
    (docs/ksqldb-differences.md, "Processing log of filtered records"): Sluice
    evaluates a stream query's WHERE that reads only key and pseudo-columns
    before it decodes the value, so a record with a malformed value that the
    predicate rejects is filtered there, never a decoding failure. Outputs
    are the same either way. True when rec is such a record."""
    if where is None or src.is_table or src.timestamp_col:
        return False
    import op_aggregate
    allowed = {c.name for c in src.key_cols} | set(PSEUDO)
    if any(isinstance(x, ksql.Col) and x.name not in allowed for x in op_aggregate.walk(where)):
        return False
    try:
        row = serde.decode_key(src.key_format, src.key_cols, rec.key, src.key_delimiter)
    except DecodeError:
        return False
    row[NULL_KEY] = rec.key is None
    row.update({"ROWTIME": rec.timestamp, "ROWPARTITION": rec.partition, "ROWOFFSET": rec.offset})
    try:
        return values.evaluate(where, row, scope) is not True
    except EvalError:
        return False


def evaluate_logged(stats, e, row, scope, default=None):
    """An expression as ksqlDB evaluates a select item or predicate: an
    error gives the default (NULL, or false for a predicate) and a
    processing-log entry."""
    try:
        return values.evaluate(e, row, scope)
    except EvalError:
        stats.log_entries += 1
        return default


def sink_time(sink, vals, ts):
    """WITH (TIMESTAMP='col') on a CREATE ... AS SELECT: that column is the
    record time of the output."""
    if not sink.timestamp_col:
        return ts
    v = vals.get(sink.timestamp_col)
    if v is None or v < 0:
        raise OutOfScope("a NULL or negative sink TIMESTAMP")
    return v


def single_source_scope(src, alias=None):
    scope = Scope()
    quals = tuple(q for q in (src.name, alias) if q)
    for c in src.columns():
        scope.add(c.name, c.name, c.type, quals)
    for name, t in zip(PSEUDO, (ksql.BIGINT, ksql.INT, ksql.BIGINT)):
        scope.add(name, name, t, quals)
    return scope


def generated_names(items, taken):
    """KSQL_COL_n for select items without a name, as ksqlDB numbers them."""
    names, n = [], 0
    for it in items:
        name = it.alias or values.default_name(it.expr)
        if name is None:
            while "KSQL_COL_%d" % n in taken:
                n += 1
            name = "KSQL_COL_%d" % n
            n += 1
        names.append(name)
    return names


def sink_formats(stmt, src):
    p = stmt.props
    kf, vf = _formats(p, src.key_format, src.value_format)
    return kf, vf


class StatelessQuery(Query):
    """WHERE and projection over a stream (no PARTITION BY)."""

    def __init__(self, engine, stmt):
        super().__init__(engine, stmt)
        sel = stmt.select
        if sel.joins or sel.group_by or sel.window or sel.having or sel.emit == "FINAL":
            raise OutOfScope("no model accepted this query")
        if sel.partition_by:
            raise OutOfScope("PARTITION BY")
        self.src = engine.source(sel.source)
        if self.src.is_table:
            raise OutOfScope("stateless query over a table")
        if self.src.window:
            raise OutOfScope("windowed source")
        self.scope = single_source_scope(self.src, sel.alias)
        items = []
        for it in sel.items:
            if it.star:
                for c in self.src.columns():
                    items.append(ksql.SelectItem(ksql.Col(c.name), c.name))
            else:
                items.append(it)
        names = generated_names(items, {c.name for c in self.src.columns()})
        key_names = {c.name for c in self.src.key_cols}
        self.key_items, self.value_items = [], []
        for it, name in zip(items, names):
            t = values.infer(it.expr, self.scope)
            cd = ksql.ColumnDef(name, t)
            if isinstance(it.expr, ksql.Col) and it.expr.name in key_names:
                cd.key = True
                self.key_items.append((cd, it.expr))
            else:
                self.value_items.append((cd, it.expr))
        if len(self.key_items) != len(self.src.key_cols):
            raise OutOfScope("key columns not selected exactly once")
        kf, vf = sink_formats(stmt, self.src)
        self.sink = engine.sink_for(stmt, [c for c, _ in self.key_items], [c for c, _ in self.value_items], kf, vf,
                                    self.src)

    def reads(self):
        return [self.src.topic]

    def _rejected_on_key(self, rec):
        return rejected_on_key(self.src, self.stmt.select.where, self.scope, rec)

    def process(self, rec):
        self.stats.read += 1
        try:
            row, deleted = decode(self.src, rec)
            ts = record_time(self.src, row, rec) if not deleted else rec.timestamp
        except DecodeError:
            if self._rejected_on_key(rec):
                self.stats.filtered += 1
                return []
            self.stats.failed += 1
            self.stats.log_entries += 1
            return []
        where = self.stmt.select.where
        if where is not None:
            # ksqlDB's filter drops a NULL value, and a predicate that fails
            # is false (and logged)
            if deleted or evaluate_logged(self.stats, where, row, self.scope, False) is not True:
                self.stats.filtered += 1
                return []
        keys = {c.name: evaluate_logged(self.stats, e, row, self.scope) for c, e in self.key_items}
        if deleted:
            # a projection passes a NULL value on as NULL
            self.stats.passed += 1
            return [self.engine.encode(self.sink, keys, None, ts, null_key=row[NULL_KEY])]
        vals = {c.name: evaluate_logged(self.stats, e, row, self.scope) for c, e in self.value_items}
        self.stats.passed += 1
        # the key passes through as it was read: null stays null
        return [self.engine.encode(self.sink, keys, vals, sink_time(self.sink, vals, ts), null_key=row[NULL_KEY])]


# operator models, tried in order; each module has build(engine, stmt) -> Query or None
OPERATOR_MODELS = ["op_join", "op_session", "op_window", "op_aggregate", "op_partition"]


def _registered_schema_topics(topics):
    """Topics a case gives a schema for (as if registered in Schema Registry)."""
    return {t.get("name") for t in topics or []
            if any(k in t for k in ("keySchema", "valueSchema", "keySchemaId", "valueSchemaId"))}


class Engine:
    def __init__(self, statements, properties=None, topics=None):
        self.properties = dict(properties or {})
        registered = _registered_schema_topics(topics)
        if "ksql.output.topic.name.prefix" in self.properties:
            raise OutOfScope("ksql.output.topic.name.prefix")
        self.catalog = {}
        self.queries = []
        for st in ksql.parse(statements):
            if isinstance(st, ksql.CreateSource):
                src = source_from_create(st, self.properties)
                if "AVRO" in (src.key_format, src.value_format) and src.topic in registered:
                    # the writer schema is the registered one, not the columns'
                    raise OutOfScope("AVRO source with a registered schema")
                self.catalog[st.name] = src
            elif isinstance(st, (ksql.CreateAs, ksql.InsertInto)):
                self.queries.append(self.build(st))
            elif isinstance(st, ksql.SetProperty):
                self.properties[st.name] = st.value
            else:
                raise OutOfScope(type(st).__name__)
        self.offsets = {}

    def source(self, name):
        src = self.catalog.get(name)
        if src is None:
            raise OutOfScope("unknown source " + name)
        return src

    def build(self, stmt):
        if isinstance(stmt, ksql.InsertInto):
            raise OutOfScope("INSERT INTO")
        for name in OPERATOR_MODELS:
            try:
                mod = importlib.import_module(name)
            except ModuleNotFoundError:
                continue
            q = mod.build(self, stmt)
            if q is not None:
                return q
        return StatelessQuery(self, stmt)

    def sink_for(self, stmt, key_cols, value_cols, key_format, value_format, src, kind=None, window=None):
        """Registers the sink of a CREATE ... AS SELECT as a source."""
        p = stmt.props
        if any(k in p for k in ("KEY_SCHEMA_ID", "VALUE_SCHEMA_ID")):
            raise OutOfScope("a sink with a registered schema")
        sink = Source(stmt.name, kind or stmt.kind, key_cols, value_cols, p.get("KAFKA_TOPIC", stmt.name),
                      key_format, value_format)
        wrap_default = str(self.properties.get("ksql.persistence.wrap.single.values", "true")).lower() == "true"
        sink.wrap_single = bool(p.get("WRAP_SINGLE_VALUE", wrap_default))
        if "TIMESTAMP" in p:
            if "TIMESTAMP_FORMAT" in p:
                raise OutOfScope("TIMESTAMP_FORMAT")
            sink.timestamp_col = str(p["TIMESTAMP"]).upper()
            col = next((c for c in value_cols if c.name == sink.timestamp_col), None)
            if col is None or col.type.name not in ("BIGINT", "TIMESTAMP"):
                raise OutOfScope("sink TIMESTAMP column")
        sink.delimiter = src.delimiter if src else ","
        if "KEY_DELIMITER" in p:
            d = str(p["KEY_DELIMITER"])
            sink.key_delimiter = {"TAB": "\t", "SPACE": " "}.get(d.upper(), d)
        if "VALUE_DELIMITER" in p:
            d = str(p["VALUE_DELIMITER"])
            sink.delimiter = {"TAB": "\t", "SPACE": " "}.get(d.upper(), d)
        sink.window = window
        if len({c.name for c in key_cols + value_cols}) != len(key_cols + value_cols):
            raise OutOfScope("duplicate column names")
        self.catalog[stmt.name] = sink
        return sink

    def encode(self, sink, keys, vals, ts, window=None, null_key=None):
        key = serde.encode_key(sink.key_format, sink.key_cols, keys, sink.key_delimiter, null_key)
        value = serde.encode_value(sink.value_format, sink.value_cols, vals, sink.wrap_single, sink.delimiter)
        return Record(sink.topic, key, value, ts, window)

    def run(self, inputs):
        """inputs: test-file records. Returns the output records (dicts)."""
        outputs = []
        for r in inputs:
            if "window" in r:
                raise OutOfScope("windowed input")
            rec = Record(r["topic"], r.get("key"), r.get("value"), r.get("timestamp", 0))
            self.feed(rec, outputs, 0)
        return outputs

    def feed(self, rec, outputs, depth):
        if depth > 8:
            raise OutOfScope("a cycle of queries")
        rec.offset = self.offsets.get(rec.topic, 0)
        self.offsets[rec.topic] = rec.offset + 1
        for q in self.queries:
            if rec.topic in q.reads():
                for out in q.process(rec):
                    outputs.append(out.as_output())
                    self.feed(Record(out.topic, out.key, out.value, out.timestamp, out.window), outputs, depth + 1)


def expected_outputs(case):
    """The model's outputs for a case in ksql-test-runner's format."""
    eng = Engine(case["statements"], case.get("properties"), case.get("topics"))
    return eng.run(case.get("inputs", []))
