#!/usr/bin/env bash
# The operations endpoint of `sluice run`: on an ephemeral port (found in the
# log), /healthz answers ok, /readyz turns 200 once both worker threads are
# assigned and restored, /metrics counts exactly the records produced after
# that (and their outputs), /status is JSON naming the queries, the assigned
# partitions and each task's stream time (the largest record time of its
# partition), / is a self-refreshing HTML page, other paths are 404. Then:
# a malformed `listeners` exits 2 naming the key, a port already taken
# exits 1 naming the address, and an empty value serves nothing.
source "$(dirname "$0")/common.sh"
in=http_in_$RUN_ID
out=HTTP_OUT_$RUN_ID
tab=HTTP_COUNTS_$RUN_ID
app=http_$RUN_ID
N=600
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$in', 3)"
props() { # $1: the listeners line
  cat <<P
application.id=$app
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
num.stream.threads=2
memory.producer.kbytes=8192
kafka.consumer.queued.max.messages.kbytes=12345
kafka.consumer.message.max.bytes=2000000
$1
P
}
props "listeners=http://127.0.0.1:0" > "$WORK/app.properties"
cat > "$WORK/q.sql" <<S
CREATE STREAM s (id STRING KEY, amount INT) WITH (KAFKA_TOPIC='$in', VALUE_FORMAT='JSON');
CREATE STREAM $out AS SELECT id, amount FROM s EMIT CHANGES;
CREATE TABLE $tab AS SELECT id, COUNT(*) AS n FROM s GROUP BY id EMIT CHANGES;
S
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2> "$WORK/sluice.log" &
pid=$!
PIDS+=($pid)
port=$(endpoint_port "$WORK/sluice.log" $pid)
echo "endpoint on port $port"

"$PY" - "$port" <<PY || { tail -30 "$WORK/sluice.log" >&2; fail "endpoint checks"; }
import json, re, sys, time, urllib.error, urllib.request
import kafkalib
base = "http://127.0.0.1:%s" % sys.argv[1]
N = $N

def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()

st, ct, body = get("/healthz")
assert st == 200 and body.strip() == "ok", ("healthz", st, body)

# ready once both threads have their partitions and restored their tasks
seen = set()
deadline = time.time() + 90
while True:
    st, _, body = get("/readyz")
    seen.add(st)
    if st == 200:
        break
    assert st == 503, ("readyz", st, body)
    assert time.time() < deadline, "never ready: " + body
    time.sleep(0.2)
print("readyz: statuses seen", sorted(seen))

def samples(text):
    """{(name, frozenset(labels)): value} of a Prometheus text page"""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        assert m, "bad sample line: %r" % line
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\\\]|\\\\.)*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out

def total(s, name):
    return sum(v for (n, _), v in s.items() if n == name)

st, ct, text = get("/metrics")
assert st == 200 and ct.startswith("text/plain"), (st, ct)
s = samples(text)
assert total(s, "sluice_records_in_total") == 0, "records counted before any was produced"
assert total(s, "sluice_assigned_partitions") == 3, text

# records flow only now, with record times the test knows
t0 = int(time.time() * 1000) - 3600 * 1000
recs = [("k%d" % (i % 41), {"amount": i}, t0 + 1000 * i) for i in range(N)]
kafkalib.produce("$BOOTSTRAP", "$in", recs)
deadline = time.time() + 90
while True:
    s = samples(get("/metrics")[2])
    if total(s, "sluice_records_in_total") >= N:
        break
    assert time.time() < deadline, "records in stuck at %d of %d" % (total(s, "sluice_records_in_total"), N)
    time.sleep(0.3)
time.sleep(1.5)  # nothing more may come
st, ct, text = get("/metrics")
s = samples(text)
assert total(s, "sluice_records_in_total") == N, "records in %d, produced %d" % (total(s, "sluice_records_in_total"), N)
got = kafkalib.read_all("$BOOTSTRAP", "$out", expect=N, timeout=60)
assert len(got) == N, "output topic holds %d records" % len(got)
outs = total(s, "sluice_records_out_total")
assert outs >= N + 41, "records out %d: fewer than the stream's %d plus one update per key" % (outs, N)
for name in ["sluice_records_in_total", "sluice_records_out_total", "sluice_batches_committed_total",
             "sluice_batches_aborted_total", "sluice_failed_records_total", "sluice_late_records_dropped_total",
             "sluice_changelog_records_total", "sluice_commit_latency_seconds", "sluice_batch_size_records",
             "sluice_assigned_partitions", "sluice_restored_records_total", "sluice_restores_in_progress",
             "sluice_stream_time_seconds", "sluice_consumer_lag_records", "sluice_query_records_read_total",
             "sluice_query_records_total", "sluice_query_processing_errors_total"]:
    assert "# HELP %s " % name in text and "# TYPE %s " % name in text, "no HELP/TYPE for " + name
threads = {dict(l)["thread"] for (n, l) in s if n == "sluice_records_in_total"}
assert threads == {"0", "1"}, threads
assert total(s, "sluice_batches_committed_total") >= 1
assert total(s, "sluice_batches_aborted_total") == 0
assert total(s, "sluice_failed_records_total") == 0
assert total(s, "sluice_changelog_records_total") >= 41, "changelog records %d" % total(s, "sluice_changelog_records_total")
assert total(s, "sluice_restores_in_progress") == 0
# per query: every record read, each with one fate (both queries pass them all)
per_query = {}
for (n, l), v in s.items():
    if n in ("sluice_query_records_read_total", "sluice_query_records_total"):
        d = dict(l)
        key = (d["query"], d.get("fate", "read"))
        per_query[key] = per_query.get(key, 0) + v
queries = {q for q, _ in per_query}
assert len(queries) == 2, per_query
for q in queries:
    assert per_query[(q, "read")] == N, ("query read", q, per_query)
    assert per_query[(q, "passed")] == N, ("query passed", q, per_query)
    for fate in ("filtered", "late", "failed", "unaccounted"):
        assert per_query[(q, fate)] == 0, ("query", q, fate, per_query)
assert total(s, "sluice_commit_latency_seconds_count") == total(s, "sluice_batches_committed_total")
assert total(s, "sluice_batch_size_records_sum") == N
inf = sum(v for (n, l), v in s.items() if n == "sluice_batch_size_records_bucket" and ("le", "+Inf") in l)
assert inf == total(s, "sluice_batches_committed_total"), "histogram +Inf bucket %d" % inf

# the record times per partition, as the broker holds them
inp = kafkalib.read_all("$BOOTSTRAP", "$in", expect=N, timeout=60)
assert len(inp) == N
maxts = {}
for k, v, p, o, ts in inp:
    maxts[p] = max(maxts.get(p, ts), ts)
for p, ts in maxts.items():
    got = [v for (n, l), v in s.items() if n == "sluice_stream_time_seconds" and ("partition", str(p)) in l]
    assert got == [ts / 1000.0], ("stream time of partition", p, got, ts)

st, ct, body = get("/status")
assert st == 200 and ct.startswith("application/json"), (st, ct)
j = json.loads(body)
assert j["application.id"] == "$app", j["application.id"]
assert j["instance.id"], "no instance id"
assert j["healthy"] is True and j["ready"] is True
sinks = {q["sink_topic"] for q in j["queries"]}
assert {"$out", "$tab"} <= sinks, sinks
assert all(q["id"] for q in j["queries"])
assert len(j["workers"]) == 2
parts = sorted((a["topic"], a["partition"]) for w in j["workers"] for a in w["assigned_partitions"])
assert parts == [("$in", 0), ("$in", 1), ("$in", 2)], parts
assert sum(w["counts"]["records_in"] for w in j["workers"]) == N
assert j["totals"]["records_in"] == N
for q in j["queries"]:
    assert q["records"]["read"] == N and q["records"]["passed"] == N, ("status per query", q)
for w in j["workers"]:
    assert w["ready"] and w["state"] == "running", w
    for t in w["tasks"]:
        assert t["stream_time"] == maxts[t["partition"]], ("status stream time", t, maxts)
    for a in w["assigned_partitions"]:
        assert a["lag"] == 0, ("lag after catching up", a)

# the memory line: its parts add up, the budgets are the configuration's
# (memory.producer.kbytes; a kafka.consumer.* setting wins over the
# budget's own), per worker; a message.max.bytes above the budget's fetch
# size starts (librdkafka refuses a fetch.max.bytes below it)
m = j["memory"]
parts = m["fetch_buffers"]["in_use"] + m["producer_buffers"]["in_use"] + m["state_stores"] + m["batch_arenas"]
assert m["accounted"] == parts, ("memory parts do not add up", m)
assert m["state_stores"] == sum(w["state_stores"]["bytes"] for w in j["workers"]), m
assert m["state_stores"] > 0 and m["batch_arenas"] > 0, m
assert m["fetch_buffers"]["in_use"] >= 0 and m["producer_buffers"]["in_use"] >= 0, m
assert m["fetch_buffers"]["budget"] == 2 * 12345 * 1024, m
assert m["producer_buffers"]["budget"] == 2 * 8192 * 1024, m
assert m["resident"] > m["accounted"], ("resident set smaller than its accounted parts", m)
s = samples(get("/metrics")[2])
mem = {dict(l)["part"]: v for (n, l), v in s.items() if n == "sluice_memory_bytes"}
assert mem["accounted"] == mem["fetch_buffers"] + mem["producer_buffers"] + mem["state_stores"] + mem["batch_arenas"], mem
assert mem["fetch_budget"] == m["fetch_buffers"]["budget"] and mem["resident"] > 0, mem
print("memory:", json.dumps(m))

st, ct, body = get("/")
assert st == 200 and ct.startswith("text/html"), (st, ct)
assert '<meta http-equiv="refresh" content="2">' in body
assert "$app" in body and "$out" in body and "$in/0" in body, "status page misses names"
line = re.search(r'<p id="memory"[^>]*>(.*?)</p>', body)
assert line and " accounted = fetched " in line.group(1) and "state" in line.group(1), "no memory line"
st, _, _ = get("/no/such/page")
assert st == 404, st
st, _, _ = get("/metricsx")
assert st == 404, st
print("endpoint checks passed: %d records in, %d out" % (N, outs))
PY
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 0 ] || { tail -20 "$WORK/sluice.log" >&2; fail "sluice exited $rc after SIGTERM"; }

# a malformed value is a config error naming the key, before any connection
for bad in "htp://127.0.0.1:8088" "http://127.0.0.1:99999" "http://127.0.0.1" "http://:8088" "https://127.0.0.1:1"; do
  props "listeners=$bad" > "$WORK/bad.properties"
  set +e
  "$SLUICE" run -c "$WORK/bad.properties" -q "$WORK/q.sql" > "$WORK/bad.log" 2>&1
  rc=$?
  set -e
  [ $rc -eq 2 ] || { cat "$WORK/bad.log" >&2; fail "listeners=$bad exited $rc, not 2"; }
  grep -q "listeners" "$WORK/bad.log" || { cat "$WORK/bad.log" >&2; fail "listeners=$bad: message does not name the key"; }
done
echo "malformed listeners: exit 2 naming the key"

# a port already taken: exit 1, naming the address
"$PY" -c "
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
time.sleep(120)" > "$WORK/taken" &
holder=$!
PIDS+=($holder)
for _ in $(seq 1 100); do [ -s "$WORK/taken" ] && break; sleep 0.1; done
taken=$(cat "$WORK/taken")
props "listeners=http://127.0.0.1:$taken" > "$WORK/taken.properties"
set +e
timeout 120 "$SLUICE" run -c "$WORK/taken.properties" -q "$WORK/q.sql" > "$WORK/taken.log" 2>&1
rc=$?
set -e
kill $holder 2>/dev/null || true
[ $rc -eq 1 ] || { cat "$WORK/taken.log" >&2; fail "a taken port exited $rc, not 1"; }
grep -q "http://127.0.0.1:$taken" "$WORK/taken.log" || { cat "$WORK/taken.log" >&2; fail "bind error does not name the address"; }
echo "taken port: exit 1 naming the address"

# empty: no endpoint, processing as usual
props "listeners=" > "$WORK/off.properties"
"$SLUICE" run -c "$WORK/off.properties" -q "$WORK/q.sql" 2> "$WORK/off.log" &
off=$!
PIDS+=($off)
for _ in $(seq 1 600); do grep -q "consumer: assigned" "$WORK/off.log" && break; sleep 0.1; done
grep -q "consumer: assigned" "$WORK/off.log" || { tail -20 "$WORK/off.log" >&2; fail "no assignment with listeners empty"; }
kill -TERM $off
wait $off; rc=$?
[ $rc -eq 0 ] || { tail -20 "$WORK/off.log" >&2; fail "listeners empty: exited $rc"; }
! grep -q "http: listening" "$WORK/off.log" || fail "an empty listeners value still served"
echo "PASS http"
