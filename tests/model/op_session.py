"""Model of ksqlDB's session-windowed aggregation (WINDOW SESSION), as
ksqlDB wires it into Kafka Streams (StreamAggregateBuilder: SessionWindows.
ofInactivityGapAndGrace, the session store's retention, EmitStrategy) and
Kafka Streams' KStreamSessionWindowAggregate computes it. Input side,
aggregates and output side are op_window.AggregationPlan's.

 - Grace: GRACE PERIOD, else max(24 h - gap, 0) under EMIT CHANGES and 0
   under EMIT FINAL. Retention: RETENTION, else gap + grace.
 - The session store's clock is the largest session end written or
   removed. A lookup sees only sessions whose end >= clock - retention + 1.
   The store is split in segments of max(retention / 2, 60 s) by session
   end; a write drops the segments wholly before clock - retention (and a
   write into such a segment is lost).
 - A record at t (stream time T = the largest timestamp seen, close time
   T - gap - grace) looks up its key's sessions with end >= t - gap and
   start <= t + gap, in the store's order (end, then start), merges them
   (the merger over their results, in that order) into [min start, max
   end] with [t, t]. If that end < close time the record is late. Else,
   when the merged window differs from [t, t], each merged session is
   removed (EMIT CHANGES: a tombstone stamped with its end, in the lookup's
   order); the record is aggregated into the merged result, which is
   written (EMIT CHANGES: forwarded stamped with the session's end). A
   second record at t on a one-record session [t, t] updates it in place.
 - EMIT FINAL (emit interval 0, as every corpus case sets): when the close
   time has advanced past the last emission's, every session still in a
   live segment whose end is in [max(0, last close), close - 1] is emitted
   (this range read ignores the lookup's retention bound, only dropped
   segments are gone) in the time-ordered store's order: end, start, then
   the key's bytes; stamped with the session's end. Emitted sessions stay
   in the store: a later record can still merge with one (if the retention
   keeps it visible) and the merged session is emitted again.
"""
import ksql
import engine as E
from ksql import OutOfScope
from op_window import AggregationPlan, emit_final_interval_zero, java_div, DAY


class SessionQuery(E.Query):
    def __init__(self, eng, stmt):
        super().__init__(eng, stmt)
        w = stmt.select.window
        self.gap = w.size
        if not self.gap or self.gap <= 0:
            raise OutOfScope("session gap")
        self.final = stmt.select.emit == "FINAL"
        if w.grace is not None:
            self.grace = w.grace
        else:
            self.grace = 0 if self.final else max(DAY - self.gap, 0)
        self.retention = w.retention if w.retention is not None else self.gap + self.grace
        if self.gap + self.grace > self.retention:
            raise OutOfScope("retention below gap + grace (ksqlDB rejects the statement)")
        self.segment = max(self.retention // 2, 60000)
        if self.final:
            emit_final_interval_zero(eng)
        self.plan = AggregationPlan(eng, stmt, "session")
        self.sink = self.plan.sink
        self.stream_time = None
        self.store = {}            # (key, start, end) -> state
        self.store_time = None     # largest session end written or removed
        self.last_emit_close = None

    def reads(self):
        return [self.plan.src.topic]

    def _seg(self, t):
        return java_div(t, self.segment)

    def _live_segment(self, end):
        return self.store_time is None or self._seg(end) >= self._seg(self.store_time - self.retention)

    def _put(self, k, state):
        end = k[2]
        self.store_time = end if self.store_time is None else max(self.store_time, end)
        if self._live_segment(end):
            self.store[k] = state
        # the write drops the segments that have expired
        for old in [s for s in self.store if not self._live_segment(s[2])]:
            del self.store[old]

    def _remove(self, k):
        self.store_time = k[2] if self.store_time is None else max(self.store_time, k[2])
        self.store.pop(k, None)

    def process(self, rec):
        got = self.plan.read(self.stats, rec)
        if got is None:
            return []
        key, args, ts = got
        self.stream_time = ts if self.stream_time is None else max(self.stream_time, ts)
        close = self.stream_time - self.gap - self.grace
        low = ts - self.gap
        if self.store_time is not None:
            low = max(low, self.store_time - self.retention + 1)
        found = sorted((k for k in self.store if k[0] == key and k[2] >= low and k[1] <= ts + self.gap),
                       key=lambda k: (k[2], k[1]))
        state = self.plan.init()
        start, end = ts, ts
        for k in found:
            state = self.plan.merge(state, self.store[k])
            start, end = min(start, k[1]), max(end, k[2])
        out = []
        if end < close:
            self.stats.late += 1
        else:
            self.stats.passed += 1
            if (start, end) != (ts, ts):
                self.store_removed = {k: self.store[k] for k in found}
                for k in found:
                    self._remove(k)
                    if not self.final:
                        out.extend(self.plan.output(self.stats, key, None, self.store_removed[k], k[1], k[2], k[2]))
            state = self.plan.add(state, args)
            self._put((key, start, end), state)
            if not self.final:
                out.extend(self.plan.output(self.stats, key, state, None, start, end, end))
        if self.final:
            out.extend(self._emit_final(close))
        return out

    def _emit_final(self, close):
        if self.last_emit_close is not None and self.last_emit_close >= close:
            return []
        upper = close - 1
        if upper < 0:
            return []
        lower = max(0, self.last_emit_close if self.last_emit_close is not None else -1)
        if upper < lower:
            return []
        self.last_emit_close = close
        due = sorted(((k[2], k[1], self.plan.key_bytes(k[0]), k) for k in self.store if lower <= k[2] <= upper),
                     key=lambda d: d[:3])
        out = []
        for _, _, _, k in due:
            out.extend(self.plan.output(self.stats, k[0], self.store[k], None, k[1], k[2], k[2]))
        return out


def build(eng, stmt):
    if not isinstance(stmt, (ksql.CreateAs, ksql.InsertInto)):
        return None
    w = stmt.select.window
    if w is None or w.kind != "SESSION":
        return None
    if isinstance(stmt, ksql.InsertInto):
        raise OutOfScope("INSERT INTO a windowed table")
    return SessionQuery(eng, stmt)
