"""Joins as ksqlDB computes them: stream-stream, stream-table, table-table
(primary-key and foreign-key) and chains of them, modelled on the Kafka
Streams processors ksqlDB wires (read for understanding, nothing copied).

Plan (ksqlDB's JoinTree, LogicalPlanner, JoinNode): the FROM source and
the joined sources form a left-deep tree in statement order. Each ON is
`a = b` where one side reads only the newly joined source (the right
expression) and the other one earlier source (the left expression). A side
whose expression is not already its key is re-keyed by it (ksqlDB
repartitions through a topic; the model keeps the result: the record with
the expression's value as its key, NULL included). A side is already keyed
by its expression when it is a source's single key column, or, for an
earlier join, when the expression is in that join's equivalence set (both
ON expressions, plus the child's set when they meet; empty for FULL OUTER).
The result's key column is the first viable key column (a column reference
in the equivalence set) that the projection names, else the first viable
one, named <ALIAS>_<COLUMN>; with none (FULL OUTER, joins on expressions)
a synthetic ROWKEY. Its value is always the join key of the record, never a
column of one side: a RIGHT JOIN's unmatched right row keeps its key even
though the left key column is NULL. SELECT * gives every source's columns,
key columns first, as <ALIAS>_<COLUMN> (ROWKEY first for a synthetic key);
an unqualified column keeps its name, a qualified one is <ALIAS>_<COLUMN>.
The value columns of an absent side, its key column included, are NULL.

Stream-stream (KStreamKStreamJoin, KStreamJoinWindow): ksqlDB's RIGHT JOIN
runs `right LEFT JOIN left` with the window unchanged, so "this" side is
the right one and a right record at t matches left records in
[t - before, t + after]. Each side's records with a key and a value go to
its window store (retention before + after + grace; a fetch sees records
newer than the store's largest time minus the retention, in time order,
ties in arrival order). A record first advances the join's stream time
(shared by both sides, tombstones and NULL keys included); a NULL key on
an outer side is emitted at once, padded; a NULL key or value is then
dropped. Matches are emitted at max(this, other) time, in fetch order.
An unmatched record of an outer side: without GRACE PERIOD ksqlDB uses the
deprecated JoinWindows.of (grace max(24 h - 2 x before, 0)) and emits it
padded at once; with GRACE PERIOD it is emitted at once only when its
window ended before stream time (t + after < stream time), else held in the
outer store until a sweep finds its window closed. Sweeps follow Kafka
Streams' time tracker exactly: run by a record at stream time, skipped while
minTime + after + grace >= stream time (the processor's own after; Java's
long overflow of MAX_VALUE + n included), in store order (time, right side
before left side, key bytes), breaking once both sides met an open window,
minTime left at the last entry looked at. A match deletes the other side's
held entries of that key and time. (Kafka Streams also throttles sweeps to
one per second of wall time; ksqlDB's test runner sweeps at every chance,
and so do the model and Sluice.)

Stream-table (KStreamKTableJoinProcessor): table updates only change the
table; a stream record with a value looks the key up; LEFT emits when
missing, padded; a NULL key on a LEFT join is emitted padded. Time: the
stream record's.

Table-table (KTableKTable{Inner,Left,Right,Outer}Join and their value
getters): each side's change is joined with the other side's current row;
RIGHT runs `right LEFT JOIN left`. The result time is max of both rows'
times when the other side exists, else the changed row's. A left/outer
side with no partner and neither a new nor an old row emits nothing; an
inner side with no partner emits nothing; otherwise the result, or a
tombstone when the joined row is gone; so a tombstone for a key absent on
its own side but present on the other passes through as a tombstone.

Foreign-key (KIP-213: SubscriptionSend/Receive/Join, ForeignTableJoin,
ResponseJoin processors, with the subscription instructions of Kafka
Streams 4.4, which ksqlDB's corpus reflects since its April 2025 update):
see JoinNode._fk_push. The test runner processes each record's
subscription and response messages before the next record.

Checked: every in-scope case of ksqlDB's join corpus files agrees, and
random stream-stream, stream-table, table-table and foreign-key cases agree
with Kafka Streams 4.4's TopologyTestDriver wired as ksqlDB wires them.

Known ksqlDB differences kept out of scope (OutOfScope): WINDOWED sources,
aggregations, PARTITION BY, multi-column keys, pseudo columns other than a
qualified ROWTIME, TIMESTAMP columns on tables with tombstones.
"""
import dataclasses
import json
import struct

import engine as eng
import ksql
import values
from ksql import OutOfScope
from serde import DecodeError

MAX_LONG = 2 ** 63 - 1
NO_TIMESTAMP = -1
DEPRECATED_GRACE = 24 * 3600 * 1000


def _java_add(*xs):
    """Java long addition (wraps)."""
    s = sum(xs)
    return (s + 2 ** 63) % 2 ** 64 - 2 ** 63


# ---------------------------------------------------------------- expressions

def map_expr(e, f):
    """Rebuilds expression e bottom-up, f applied to every node."""
    if isinstance(e, list):
        return [map_expr(x, f) for x in e]
    if isinstance(e, tuple):
        return tuple(map_expr(x, f) for x in e)
    if dataclasses.is_dataclass(e) and not isinstance(e, ksql.Type):
        changes = {}
        for fl in dataclasses.fields(e):
            v = getattr(e, fl.name)
            if isinstance(v, (list, tuple)) or (dataclasses.is_dataclass(v) and not isinstance(v, ksql.Type)):
                changes[fl.name] = map_expr(v, f)
        e = dataclasses.replace(e, **changes) if changes else e
        return f(e)
    return e


def columns_of(e):
    out = []
    map_expr(e, lambda x: (out.append(x) if isinstance(x, ksql.Col) else None) or x)
    return out


def ekey(e):
    """A hashable identity of an expression (structural)."""
    return repr(e)


# ---------------------------------------------------------------- plan

class Leaf:
    def __init__(self, src, alias):
        self.src = src
        self.alias = alias
        self.is_table = src.is_table
        self.parent = None
        self.store = {}                    # table: key -> (row, ts)
        if src.window:
            raise OutOfScope("windowed source in a join")
        if len(src.key_cols) > 1:
            raise OutOfScope("join of a source with several key columns")

    def leaves(self):
        return [self]

    def aliases(self):
        return {self.alias}

    def key_col(self):
        return self.src.key_cols[0] if self.src.key_cols else None

    def is_keyed_by(self, e):
        k = self.key_col()
        return k is not None and isinstance(e, ksql.Col) and e.name == k.name and e.qualifier == self.alias

    def get(self, key):
        return self.store.get(key)


def key_bytes(fmt, t, v):
    """The serialized join key, whose byte order orders Kafka Streams'
    stores (an unsigned lexicographic order)."""
    if fmt == "KAFKA":
        if t.name == "BIGINT":
            return struct.pack(">q", v)
        if t.name == "INT":
            return struct.pack(">i", v)
        if t.name == "STRING":
            return v.encode("utf-8")
        raise OutOfScope("KAFKA key of type %s in a stream-stream join" % t)
    if fmt == "JSON":
        if t.name in ("BIGINT", "INT", "STRING"):
            return json.dumps(v).encode("utf-8")
        raise OutOfScope("JSON key of type %s in a stream-stream join" % t)
    raise OutOfScope("key format %s in a stream-stream join" % fmt)


class JoinNode:
    """One join of the left-deep tree: `left` (a Leaf or a JoinNode) with
    the Leaf `right`."""

    def __init__(self, query, kind, left, right, left_e, right_e, within, grace):
        self.q = query
        self.kind = kind
        self.left = left
        self.right = right
        self.left_e = left_e
        self.right_e = right_e
        self.within = within
        self.grace = grace
        self.parent = None
        ltab, rtab = left.is_table, right.is_table
        self.fk = False
        if not ltab and not rtab:
            self.shape = "SS"
            if within is None:
                raise OutOfScope("stream-stream join without WITHIN")
        elif not ltab and rtab:
            self.shape = "ST"
            if within is not None:
                raise OutOfScope("WITHIN on a stream-table join")
            if kind not in ("INNER", "LEFT"):
                raise OutOfScope("%s stream-table join" % kind)
            if not right.is_keyed_by(right_e):
                raise OutOfScope("stream-table join not on the table's key")
        elif ltab and rtab:
            self.shape = "TT"
            if within is not None:
                raise OutOfScope("WITHIN on a table-table join")
            if not right.is_keyed_by(right_e):
                raise OutOfScope("table-table join not on the right table's key")
            if not self._left_keyed():
                if not isinstance(left, Leaf):
                    raise OutOfScope("foreign-key join inside an n-way join")
                if kind not in ("INNER", "LEFT"):
                    raise OutOfScope("%s foreign-key join" % kind)
                self.fk = True
        else:
            raise OutOfScope("table-stream join")
        self.is_table = self.shape == "TT"
        lt = values.infer(left_e, query.scope)
        rt = values.infer(right_e, query.scope)
        if lt != rt:
            raise OutOfScope("join on different types %s and %s" % (lt, rt))
        self.key_type = rt
        # sides re-keyed by their expression (ksqlDB's repartition)
        self.rekey = {"L": not self.fk and not self._left_keyed(), "R": not right.is_keyed_by(right_e)}
        if self.rekey["L"] and left.is_table and not self.fk:
            raise OutOfScope("repartition of a table")
        if self.rekey["R"] and right.is_table:
            raise OutOfScope("repartition of a table")
        if self.shape == "SS":
            self._init_ss()
        if self.fk:
            self._init_fk()

    # -- tree facts (ksqlDB's JoinTree)
    def leaves(self):
        return self.left.leaves() + self.right.leaves()

    def aliases(self):
        return self.left.aliases() | self.right.aliases()

    def _left_keyed(self):
        if isinstance(self.left, Leaf):
            return self.left.is_keyed_by(self.left_e)
        if self.left.fk:
            return self.left.left.is_keyed_by(self.left_e)
        return ekey(self.left_e) in self.left.equivalence()

    def equivalence(self):
        if self.kind == "FULL":
            return set()
        keys = {ekey(self.left_e), ekey(self.right_e)}
        lefts = self.left.equivalence() if isinstance(self.left, JoinNode) else set()
        out = set(keys)
        if lefts & keys:
            out |= lefts
        return out

    def viable_keys(self):
        if self.kind == "FULL":
            return []
        eq = self.equivalence()
        cands = (self.left.viable_keys() if isinstance(self.left, JoinNode) else []) + [self.left_e, self.right_e]
        out, seen = [], set()
        for c in cands:
            if isinstance(c, ksql.Col) and c.qualifier and ekey(c) in eq and ekey(c) not in seen:
                seen.add(ekey(c))
                out.append(c)
        return out

    # -- value of the key as this node emits it
    def side_key(self, side, key, row):
        if not self.rekey[side]:
            return key
        if row is None:
            return None
        e = self.left_e if side == "L" else self.right_e
        return eng.evaluate_logged(self.q.stats, e, row, self.q.scope)

    # ------------------------------------------------------------ streams
    def _init_ss(self):
        before, after = self.within
        self.before, self.after = before, after
        self.spurious_fix = self.grace is not None
        self.grace_ms = self.grace if self.grace is not None else max(DEPRECATED_GRACE - 2 * before, 0)
        self.retention = before + after + self.grace_ms
        self.this_side = "R" if self.kind == "RIGHT" else "L"
        self.other_side = "L" if self.this_side == "R" else "R"
        ks_left_outer = self.kind in ("LEFT", "RIGHT", "FULL")
        ks_right_outer = self.kind == "FULL"
        self.outer = {self.this_side: ks_left_outer, self.other_side: ks_right_outer}
        self.windows = {"L": [], "R": []}       # (key, ts, row) in arrival order
        self.observed = {"L": NO_TIMESTAMP, "R": NO_TIMESTAMP}
        self.has_outer_store = self.spurious_fix and ks_left_outer
        self.outer_store = {}                   # (ts, is_ks_left, keybytes) -> [(key, row)]
        self.stream_time = NO_TIMESTAMP
        self.min_time = MAX_LONG
        self.key_format = self.q.key_format

    def _fetch(self, side, key, t_from, t_to):
        actual_from = max(t_from, self.observed[side] - self.retention + 1)
        if t_to < actual_from:
            return []
        hits = [(ts, i, row) for i, (k, ts, row) in enumerate(self.windows[side])
                if k == key and actual_from <= ts <= t_to]
        hits.sort(key=lambda h: (h[0], h[1]))
        return [(ts, row) for ts, _, row in hits]

    def _ks_left(self, side):
        return side == self.this_side

    def _lookback(self, is_ks_left):
        # windowsAfterMs for the KS left side, windowsBeforeMs for the right
        return self.after if is_ks_left else self.before

    def _sweep(self, side, ja):
        """emitNonJoinedOuterRecords of the processor of `side`."""
        out = []
        if _java_add(self.min_time, ja, self.grace_ms) >= self.stream_time:
            return out
        self.min_time = MAX_LONG
        left_open = right_open = False
        emitted_keys = []
        for skey in sorted(self.outer_store):
            ts, is_left, _ = skey
            stop = False
            for key, row in list(self.outer_store[skey]):
                self.min_time = ts
                if left_open and right_open:
                    stop = True
                    break
                if ts + self._lookback(is_left) + self.grace_ms >= self.stream_time:
                    if is_left:
                        left_open = True
                    else:
                        right_open = True
                    continue
                out.append((key, row, ts))
                if not emitted_keys or emitted_keys[-1] != skey:
                    emitted_keys.append(skey)
            if stop:
                break
        for skey in emitted_keys:
            self.outer_store.pop(skey, None)
        return out

    def _push_ss(self, side, key, row, ts):
        out = []
        if key is not None and row is not None:
            self.windows[side].append((key, ts, row))
            self.observed[side] = max(self.observed[side], ts)
        other = "R" if side == "L" else "L"
        is_this = side == self.this_side
        jb, ja = (self.before, self.after) if is_this else (self.after, self.before)
        self.stream_time = max(self.stream_time, ts)
        outer = self.outer[side]
        if outer and key is None and row is not None:
            self.q.stats_hit("passed")
            return [(None, dict(row), ts)]
        if key is None or row is None:
            self.q.stats_hit("filtered")
            return out
        if self.has_outer_store and ts == self.stream_time:
            out.extend(self._sweep(side, ja))
        t_from = max(0, ts - jb)
        t_to = max(0, ts + ja)
        matches = self._fetch(other, key, t_from, t_to)
        kb = key_bytes(self.key_format, self.key_type, key) if self.has_outer_store else None
        for ots, orow in matches:
            if self.has_outer_store:
                self.outer_store.pop((ots, self._ks_left(other), kb), None)
            joined = dict(orow)
            joined.update(row)
            out.append((key, joined, max(ts, ots)))
        stored = ts > self.observed[side] - self.retention
        self.q.stats_hit("passed" if matches or stored or outer else "late")
        if outer and not matches:
            if not self.has_outer_store or t_to < self.stream_time:
                out.append((key, dict(row), ts))
            else:
                self.min_time = min(self.min_time, ts)
                self.outer_store.setdefault((ts, self._ks_left(side), kb), []).append((key, dict(row)))
        return out

    # ------------------------------------------------------------ stream-table
    def _push_st(self, side, key, row, ts):
        if self.kind == "LEFT" and key is None and row is not None:
            self.q.stats_hit("passed")
            return [(None, dict(row), ts)]
        if key is None or row is None:
            self.q.stats_hit("filtered")
            return []
        hit = self.right.get(key)
        if hit is None and self.kind != "LEFT":
            self.q.stats_hit("filtered")
            return []
        self.q.stats_hit("passed")
        joined = dict(hit[0]) if hit else {}
        joined.update(row)
        return [(key, joined, ts)]

    # ------------------------------------------------------------ table-table
    def side_get(self, side, key):
        n = self.left if side == "L" else self.right
        return n.get(key)

    def get(self, key):
        """The value getter of the join result: (row, ts) or None."""
        if self.fk:
            return self.fk_result.get(key)
        lv, rv = self.side_get("L", key), self.side_get("R", key)
        if self.kind == "INNER":
            if lv is None or rv is None:
                return None
            return _merge(lv[0], rv[0]), max(lv[1], rv[1])
        this_side = "R" if self.kind == "RIGHT" else "L"
        if self.kind in ("LEFT", "RIGHT"):
            tv, ov = (lv, rv) if this_side == "L" else (rv, lv)
            if tv is None:
                return None
            return _merge(tv[0], ov[0] if ov else None), (tv[1] if ov is None else max(tv[1], ov[1]))
        if lv is None and rv is None:
            return None
        ts = max(lv[1] if lv else NO_TIMESTAMP, rv[1] if rv else NO_TIMESTAMP)
        return _merge(lv[0] if lv else None, rv[0] if rv else None), ts

    def _push_tt(self, side, key, new, old, ts):
        """One change of a side; returns [(key, new, old, ts)] (old: the
        previous joined view, as Kafka Streams sends old values)."""
        if key is None:
            return []
        other = "R" if side == "L" else "L"
        ov = self.side_get(other, key)
        k = self.kind
        if k == "INNER":
            proc = "inner"
        elif k == "FULL":
            proc = "outer"
        else:
            this_side = "R" if k == "RIGHT" else "L"
            proc = "left" if side == this_side else "right"
        if proc == "inner":
            if ov is None:
                return []
            nv = _merge(new, ov[0]) if new is not None else None
            pv = _merge(old, ov[0]) if old is not None else None
            return [(key, nv, pv, max(ts, ov[1]))]
        if proc == "left":
            if ov is None:
                if new is None and old is None:
                    return []
                rts = ts
            else:
                rts = max(ts, ov[1])
            nv = _merge(new, ov[0] if ov else None) if new is not None else None
            pv = _merge(old, ov[0] if ov else None) if old is not None else None
            return [(key, nv, pv, rts)]
        if proc == "right":
            if ov is None:
                return []
            return [(key, _merge(new, ov[0]), _merge(old, ov[0]), max(ts, ov[1]))]
        # outer
        if ov is None:
            if new is None and old is None:
                return []
            rts = ts
        else:
            rts = max(ts, ov[1])
        nv = _merge(new, ov[0] if ov else None) if (ov is not None or new is not None) else None
        pv = _merge(old, ov[0] if ov else None) if (ov is not None or old is not None) else None
        return [(key, nv, pv, rts)]

    # ------------------------------------------------------------ foreign key
    def _init_fk(self):
        self.subscriptions = {}    # fk -> {lkey: hash}
        self.fk_result = {}        # lkey -> (row, ts): the result table (materialized)
        self.fk_key_type = self.key_type
        self.lkey_type = self.left.key_col().type

    def _fk_of(self, row):
        if row is None:
            return None
        return eng.evaluate_logged(self.q.stats, self.left_e, row, self.q.scope)

    def _fk_push(self, side, key, new, old, ts):
        """Kafka Streams' foreign-key join, processed as the test runner
        does: each message through its internal topics, in order."""
        responses = []               # (lkey, hash, foreign row or None, ts)
        if side == "L":
            msgs = []
            ofk = self._fk_of(old) if old is not None else None
            if self.kind == "LEFT":
                if old is not None or new is not None:
                    nfk = self._fk_of(new) if new is not None else None
                    if ofk is not None and nfk != ofk:
                        msgs.append((ofk, "DELETE_KEY_NO_PROPAGATE"))
                    msgs.append((nfk, "PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE"))
            elif new is not None:
                nfk = self._fk_of(new)
                if nfk is None:
                    if ofk is not None:
                        msgs.append((ofk, "DELETE_KEY_AND_PROPAGATE"))
                elif ofk is not None and nfk != ofk:
                    msgs.append((ofk, "DELETE_KEY_NO_PROPAGATE"))
                    msgs.append((nfk, "PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE"))
                else:
                    msgs.append((nfk, "PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE"))
            elif ofk is not None:
                msgs.append((ofk, "DELETE_KEY_AND_PROPAGATE"))
            h = _row_hash(new)
            for fk, inst in msgs:
                if fk is None and inst != "PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE":
                    continue
                if fk is not None:
                    subs = self.subscriptions.setdefault(fk, {})
                    if inst.startswith("DELETE"):
                        subs.pop(key, None)
                    else:
                        subs[key] = h
                fv = self.right.get(fk) if fk is not None else None
                rts = ts if fv is None else max(ts, fv[1])
                if inst == "DELETE_KEY_AND_PROPAGATE":
                    responses.append((key, h, None, rts))
                elif inst == "PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE":
                    responses.append((key, h, fv[0] if fv else None, rts))
                elif inst == "PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE":
                    if fv is not None:
                        responses.append((key, h, fv[0], rts))
        else:
            if key is None:
                return []
            subs = self.subscriptions.get(key, {})
            order = sorted(subs, key=lambda lk: key_bytes(self.left.src.key_format, self.lkey_type, lk))
            for lk in order:
                responses.append((lk, subs[lk], new, ts))
        out = []
        for lk, h, fv, rts in responses:
            cur = self.left.get(lk)
            if _row_hash(cur[0] if cur else None) != h:
                continue
            if fv is None and (self.kind == "INNER" or cur is None):
                result = None
            else:
                result = _merge(cur[0] if cur else None, fv)
            prev = self.fk_result.get(lk)
            if result is None:
                self.fk_result.pop(lk, None)
            else:
                self.fk_result[lk] = (result, rts)
            out.append((lk, result, prev[0] if prev else None, rts))
        return out

    # ------------------------------------------------------------ dispatch
    def push(self, side, ev):
        """ev: stream (key, row, ts) or table (key, new, old, ts)."""
        if self.shape == "ST" and side == "R":
            return []                         # a table update: the leaf's store holds it
        if self.is_table:
            key, new, old, ts = ev
            if self.fk:
                outs = self._fk_push(side, key, new, old, ts)
            else:
                outs = self._push_tt(side, key, new, old, ts)
        else:
            key, row, ts = ev
            key = self.side_key(side, key, row)
            if self.shape == "SS":
                outs = self._push_ss(side, key, row, ts)
            else:
                outs = self._push_st(side, key, row, ts)
        return outs


def _merge(a, b):
    if a is None and b is None:
        return {}
    out = dict(b or {})
    out.update(a or {})
    return out


def _row_hash(row):
    return None if row is None else json.dumps(row, sort_keys=True, default=str)


# ---------------------------------------------------------------- the query

class JoinQuery(eng.Query):
    def __init__(self, engine, stmt):
        super().__init__(engine, stmt)
        sel = stmt.select
        if sel.group_by or sel.window or sel.having:
            raise OutOfScope("aggregation over a join")
        if sel.partition_by:
            raise OutOfScope("PARTITION BY on a join")
        if sel.emit == "FINAL":
            raise OutOfScope("EMIT FINAL on a join")
        refs = [(sel.source, sel.alias)] + [(j.source, j.alias) for j in sel.joins]
        self.leaves = []
        for name, alias in refs:
            src = engine.source(name)
            alias = (alias or name).upper()
            if any(lf.alias == alias for lf in self.leaves):
                raise OutOfScope("a source joined twice")
            if src.timestamp_col and src.timestamp_format:
                raise OutOfScope("TIMESTAMP_FORMAT")
            self.leaves.append(Leaf(src, alias))
        for lf in self.leaves:
            for c in lf.src.columns():
                if c.name.startswith("ROWKEY"):
                    raise OutOfScope("a source column named ROWKEY*")
        self.scope = values.Scope()
        self.col_types = {}
        for lf in self.leaves:
            for c in lf.src.columns():
                slot = "%s_%s" % (lf.alias, c.name)
                self.scope.add(c.name, slot, c.type, (lf.alias,))
                self.col_types[slot] = c.type
            self.scope.add("ROWTIME", "%s_ROWTIME" % lf.alias, ksql.BIGINT, (lf.alias,))
        self.key_format = self.leaves[0].src.key_format
        # the tree
        node = self.leaves[0]
        for jc, right in zip(sel.joins, self.leaves[1:]):
            node = self._join(node, jc, right)
        self.root = node
        for n in self._nodes(node):
            for side, child in (("L", n.left), ("R", n.right)):
                child.parent = (n, side)
        self.synthetic = not self.root.fk and not self.root.viable_keys()
        if self.synthetic:
            self.key_name = "ROWKEY"
            self.scope.add("ROWKEY", "__KEY__", self.root.key_type, ())
        self._projection(sel)
        self.topics = {}
        for lf in self.leaves:
            self.topics.setdefault(lf.src.topic, []).append(lf)

    # -- building
    def _nodes(self, n):
        if isinstance(n, Leaf):
            return []
        return self._nodes(n.left) + [n]

    def qualify(self, e):
        def f(x):
            if isinstance(x, ksql.Col):
                if x.qualifier:
                    q = x.qualifier.upper()
                    if not any(lf.alias == q for lf in self.leaves):
                        raise OutOfScope("unknown qualifier %s" % q)
                    return ksql.Col(x.name, q)
                hits = [lf.alias for lf in self.leaves if any(c.name == x.name for c in lf.src.columns())]
                if len(hits) != 1:
                    raise OutOfScope("column %s is %s" % (x.name, "ambiguous" if hits else "unknown"))
                return ksql.Col(x.name, hits[0])
            return x
        return map_expr(e, f)

    def _join(self, node, jc, right):
        on = jc.on
        if not (isinstance(on, ksql.Binary) and on.op == "="):
            raise OutOfScope("join condition other than a = b")
        a, b = self.qualify(on.left), self.qualify(on.right)
        qa = {c.qualifier for c in columns_of(a)}
        qb = {c.qualifier for c in columns_of(b)}
        if qb == {right.alias} and len(qa) == 1 and right.alias not in qa:
            le, re_ = a, b
        elif qa == {right.alias} and len(qb) == 1 and right.alias not in qb:
            le, re_ = b, a
        else:
            raise OutOfScope("join condition sides")
        if not {c.qualifier for c in columns_of(le)} <= node.aliases():
            raise OutOfScope("join condition names a later source")
        if jc.within is not None and jc.within[0] + jc.within[1] < 0:
            raise OutOfScope("negative window")
        return JoinNode(self, jc.kind, node, right, le, re_, jc.within, jc.grace)

    def _projection(self, sel):
        root = self.root
        items = []            # (expr qualified, name)
        for it in sel.items:
            if it.star:
                q = it.star_qualifier.upper() if it.star_qualifier else None
                if q is None and self.synthetic:
                    items.append((ksql.Col("ROWKEY"), "ROWKEY"))
                hit = False
                for lf in self.leaves:
                    if q is None or lf.alias == q:
                        hit = True
                        for c in lf.src.columns():
                            items.append((ksql.Col(c.name, lf.alias), "%s_%s" % (lf.alias, c.name)))
                if not hit:
                    raise OutOfScope("unknown qualifier in %s.*" % q)
                continue
            e = it.expr
            if it.alias:
                name = it.alias
            elif isinstance(e, ksql.Col):
                # ksqlDB's AstSanitizer: <ALIAS>_<COLUMN> only when sources clash on the name
                clash = sum(1 for lf in self.leaves if any(c.name == e.name for c in lf.src.columns()))
                if e.name == "ROWTIME":
                    clash = len(self.leaves)
                name = "%s_%s" % (e.qualifier.upper(), e.name) if e.qualifier and clash > 1 else e.name
            else:
                name = None
            if isinstance(e, ksql.Col) and e.qualifier is None and e.name == "ROWKEY" and self.synthetic:
                qe = e
            else:
                qe = self.qualify(e)
            if any(isinstance(c, ksql.Col) and c.name in ("ROWPARTITION", "ROWOFFSET") for c in columns_of(qe)):
                raise OutOfScope("ROWPARTITION/ROWOFFSET in a join")
            items.append((qe, name))
        # ksqlDB's key column: the first viable key the projection contains
        contained = {ekey(e) for e, _ in items}
        all_star = any(it.star and not it.star_qualifier for it in sel.items)
        star_q = {it.star_qualifier.upper() for it in sel.items if it.star and it.star_qualifier}
        if root.fk:
            lk = root.left.key_col()
            key_expr = ksql.Col(lk.name, root.left.alias)
        elif self.synthetic:
            key_expr = ksql.Col("ROWKEY")
        else:
            viable = root.viable_keys()
            inproj = [v for v in viable if all_star or v.qualifier in star_q or ekey(v) in contained]
            if not inproj:
                raise OutOfScope("join key missing from the projection")
            key_expr = inproj[0]
        self.key_expr = key_expr
        key_items = [i for i, (e, _) in enumerate(items) if ekey(e) == ekey(key_expr)]
        if len(key_items) != 1:
            raise OutOfScope("key column selected %d times" % len(key_items))
        taken = {n for _, n in items if n}
        names = []
        gen = 0
        for e, n in items:
            if n is None:
                while "KSQL_COL_%d" % gen in taken:
                    gen += 1
                n = "KSQL_COL_%d" % gen
                gen += 1
            names.append(n)
        ki = key_items[0]
        self.key_col = ksql.ColumnDef(names[ki], root.key_type if not root.fk else root.left.key_col().type, key=True)
        self.value_items = []
        for i, ((e, _), n) in enumerate(zip(items, names)):
            if i == ki:
                continue
            if isinstance(e, ksql.Col) and e.qualifier is None and e.name == "ROWKEY" and self.synthetic:
                raise OutOfScope("ROWKEY twice")
            t = values.infer(e, self.scope)
            if t is None:
                raise OutOfScope("a NULL select item")
            self.value_items.append((ksql.ColumnDef(n, t), e))
        if not self.value_items:
            raise OutOfScope("no value columns")
        left_src = self.leaves[0].src
        kf, vf = eng.sink_formats(self.stmt, left_src)
        kind = "TABLE" if root.is_table else "STREAM"
        if self.stmt.kind != kind:
            raise OutOfScope("CREATE %s over a %s join" % (self.stmt.kind, kind.lower()))
        self.sink = self.engine.sink_for(self.stmt, [self.key_col], [c for c, _ in self.value_items], kf, vf,
                                         left_src)

    # -- running
    def reads(self):
        return list(self.topics)

    def stats_hit(self, what):
        setattr(self.stats, what, getattr(self.stats, what) + 1)

    def process(self, rec):
        outs = []
        for lf in self.topics.get(rec.topic, []):
            outs.extend(self._process_leaf(lf, rec))
        return outs

    def _process_leaf(self, lf, rec):
        self.stats.read += 1
        src = lf.src
        try:
            row_plain, deleted = eng.decode(src, rec)
            if deleted and src.timestamp_col and src.is_table:
                raise OutOfScope("tombstone in a table with a TIMESTAMP column")
            ts = eng.record_time(src, row_plain, rec) if not deleted else rec.timestamp
        except DecodeError:
            self.stats.failed += 1
            self.stats.log_entries += 1
            return []
        row = None
        if not deleted:
            row = {"%s_%s" % (lf.alias, c.name): row_plain.get(c.name) for c in src.columns()}
            row["%s_ROWTIME" % lf.alias] = ts
        kc = lf.key_col()
        key = row_plain.get(kc.name) if kc is not None else None
        node, side = lf.parent
        if lf.is_table:
            if key is None:
                self.stats_hit("filtered")
                return []
            prev = lf.store.get(key)
            if row is None:
                lf.store.pop(key, None)
            else:
                lf.store[key] = (row, ts)
            self.stats_hit("passed")
            evs = [(key, row, prev[0] if prev else None, ts)]
        else:
            evs = [(key, row, ts)]
        return self._flow(node, side, evs)

    def _flow(self, node, side, evs):
        out = []
        for ev in evs:
            res = node.push(side, ev)
            if node.parent is None:
                for r in res:
                    out.extend(self._emit(r))
            else:
                pnode, pside = node.parent
                if node.is_table:
                    out.extend(self._flow(pnode, pside, res))
                else:
                    out.extend(self._flow(pnode, pside, res))
        return out

    def _emit(self, r):
        """A result of the root join -> output records (projection, WHERE)."""
        if self.root.is_table:
            key, new, _old, ts = r
            row = new
        else:
            key, row, ts = r
        where = self.stmt.select.where
        if row is not None:
            row = dict(row)
            row["__KEY__"] = key
            if where is not None and eng.evaluate_logged(self.stats, where, row, self.scope, False) is not True:
                if not self.root.is_table:
                    return []
                row = None
        keys = {self.key_col.name: key}
        if row is None:
            if not self.root.is_table:
                return []
            return [self.engine.encode(self.sink, keys, None, ts)]
        vals = {c.name: eng.evaluate_logged(self.stats, e, row, self.scope) for c, e in self.value_items}
        return [self.engine.encode(self.sink, keys, vals, eng.sink_time(self.sink, vals, ts))]


def build(engine, stmt):
    if isinstance(stmt, ksql.InsertInto) or not stmt.select.joins:
        return None
    return JoinQuery(engine, stmt)
