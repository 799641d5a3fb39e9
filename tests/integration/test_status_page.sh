#!/usr/bin/env bash
# The status page as a browser renders it, and the metrics an operator
# reads, while records flow. Two worker threads run a filter and a windowed
# count grouped by a non-key column (a repartition topic and a store) on a
# 3-partition topic that Sluice creates; a transactional producer writes
# batches of readings to partitions 0 and 1 (2 stays empty), three of them
# bad JSON. While it writes, headless Chromium loads GET / and the test
# reads the rendered DOM: health, readiness and brokers, uptime, rates over
# the last 10 s, total lag, both charts drawn with data, each query with
# its statement and state, the bad records among the recent errors (one
# row each, with its two processing-log entries: one per query), each
# worker's group membership. Once the producer is done and Sluice caught up:
# every assigned partition shows lag 0 (a transactionally written
# partition ends in a commit marker, which is not a record to wait for;
# the empty partition has a lag too), records per source, sink and
# internal topic are exact, Prometheus' process_* metrics are there, and
# every metric family is documented in the README.
# STATUS_PAGE_SCREENSHOT=FILE.png also saves a screenshot.
source "$(dirname "$0")/common.sh"
in=sp_in_$RUN_ID
hot=SP_HOT_$RUN_ID
per_site=SP_PER_SITE_$RUN_ID
app=status_page_$RUN_ID
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || fail "no chromium: scripts/install-deps installs Debian's package"

cat > "$WORK/q.sql" <<S
CREATE STREAM readings (sensor STRING KEY, site STRING, temp DOUBLE)
  WITH (KAFKA_TOPIC='$in', VALUE_FORMAT='JSON', PARTITIONS=3);
CREATE STREAM $hot AS SELECT sensor, site, temp FROM readings WHERE temp > 30 EMIT CHANGES;
CREATE TABLE $per_site AS SELECT site, COUNT(*) AS n, MAX(temp) AS max_temp FROM readings
  WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY site EMIT CHANGES;
S
cat > "$WORK/app.properties" <<P
application.id=$app
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
listeners=http://127.0.0.1:0
num.stream.threads=2
commit.interval.ms=100
P
started=$(date +%s)
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2> "$WORK/sluice.log" &
pid=$!
PIDS+=($pid)
port=$(endpoint_port "$WORK/sluice.log" $pid)
base=http://127.0.0.1:$port
for _ in $(seq 1 600); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ] && break
  sleep 0.1
done

# 30 transactions of 20 readings, 0.4 s apart; the 11th starts with 3 bad ones
cat > "$WORK/produce.py" <<'PY'
import json, random, sys, time
from confluent_kafka import Producer
bootstrap, topic, out = sys.argv[1:4]
p = Producer({"bootstrap.servers": bootstrap, "transactional.id": "status-page-%f" % time.time(), "linger.ms": 5})
p.init_transactions()
sites, sent, rnd = ["north", "south", "east", "west"], [], random.Random(7)
for t in range(30):
    p.begin_transaction()
    for i in range(20):
        if t == 10 and i < 3:
            p.produce(topic, key="bad-%d" % i, value=b"{not json", partition=i % 2)
            sent.append(None)
            continue
        v = {"site": sites[i % 4], "temp": round(rnd.uniform(15, 40), 1)}
        p.produce(topic, key="sensor-%d" % (i % 7), value=json.dumps(v), partition=i % 2)
        sent.append(v)
    p.commit_transaction()
    time.sleep(0.4)
json.dump(sent, open(out, "w"))
PY
"$PY" "$WORK/produce.py" "$BOOTSTRAP" "$in" "$WORK/sent.json" > "$WORK/producer.log" 2>&1 &
producer=$!
PIDS+=($producer)

metric_sum() { # $1: name; sums its samples
  curl -s "$base/metrics" | awk -v n="$1" '$1 ~ "^"n"({|$)" {s += $2} END {print s + 0}'
}
# the bad records (in the 11th transaction) processed, more to come
for _ in $(seq 1 300); do
  [ "$(metric_sum sluice_failed_records_total)" -ge 6 ] && break
  sleep 0.1
done
[ "$(metric_sum sluice_failed_records_total)" -ge 6 ] || fail "the bad records did not reach the processing log"

# the page as Chromium renders it, while records flow
profile=$(mktemp -d)
chrome=("$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
        --disable-component-update --disable-sync --user-data-dir="$profile" --window-size=1280,1800)
t0=$(date +%s%N)
timeout 60 "${chrome[@]}" --dump-dom "$base/" > "$WORK/dom.html" 2> "$WORK/chromium.log" \
  || { tail "$WORK/chromium.log" >&2; fail "chromium --dump-dom failed"; }
echo "chromium rendered the page in $(( ($(date +%s%N) - t0) / 1000000 )) ms (process start to DOM)"
if [ -n "${STATUS_PAGE_SCREENSHOT:-}" ]; then
  timeout 60 "${chrome[@]}" --hide-scrollbars --screenshot="$STATUS_PAGE_SCREENSHOT" "$base/" 2>> "$WORK/chromium.log"
fi
rm -rf "$profile"

"$PY" - "$WORK/dom.html" "$app" "$hot" "$per_site" "$in" <<'PY' || fail "the rendered page"
import re, sys
from html.parser import HTMLParser
dom_file, app, hot, per_site, topic = sys.argv[1:6]

class Dom(HTMLParser):
    """elements by id, with their text, and every svg polyline with its chart"""
    def __init__(self):
        super().__init__()
        self.stack, self.text, self.polylines, self.rows = [], {}, [], {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "polyline":
            chart = next((i for t, i in reversed(self.stack) if t == "figure" and i), None)
            self.polylines.append((chart, a.get("data-series"), a.get("points", "")))
            return
        if tag in ("br", "meta", "line", "img", "input", "link"):
            return  # no end tag
        self.stack.append((tag, a.get("id")))
        if tag == "tr":
            table = next((i for t, i in reversed(self.stack) if t == "table" and i), None)
            self.rows.setdefault(table, []).append([])
    def handle_endtag(self, tag):
        if tag not in [t for t, _ in self.stack]:
            return
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break
    def handle_data(self, data):
        for _, i in self.stack:
            if i:
                self.text[i] = self.text.get(i, "") + " " + data
        if any(t == "td" for t, _ in self.stack):
            table = next((i for t, i in reversed(self.stack) if t == "table" and i), None)
            if table in self.rows and self.rows[table]:
                self.rows[table][-1].append(data)

d = Dom()
d.feed(open(dom_file).read())
t = {k: " ".join(v.split()) for k, v in d.text.items()}
def check(cond, what):
    if not cond:
        sys.exit("status page: %s\n%s" % (what, {k: v[:120] for k, v in t.items()}))

check(t.get("health") == "healthy", "health badge")
check(t.get("readiness") == "ready", "readiness badge")
check(t.get("brokers") == "brokers reachable", "brokers badge")
check(re.match(r"up \d+ (s|min)", t.get("uptime", "")), "uptime")
def tile(name):
    m = re.match(r"([\d.]+) ", t.get("tile-" + name, ""))
    return float(m.group(1)) if m else None
check(tile("in") and tile("in") > 0, "records in per second while records flow")
check(tile("out") and tile("out") > 0, "records out per second while records flow")
check(tile("lag") is not None, "total lag is a number")
check(tile("failed") == 6, "failed records: 3 bad records, one entry per query (%s)" % tile("failed"))
check(re.match(r"[\d.]+ ms", t.get("tile-latency", "")), "commit latency")
check(tile("memory") is not None, "resident memory")

def drawn(chart, series):
    """points of the chart's series above the zero line (y of the baseline is the largest y)"""
    pts = [tuple(map(float, p.split(","))) for c, s, ps in d.polylines if c == chart and s == series for p in ps.split()]
    base = max((y for _, y in pts), default=0)
    return pts, [p for p in pts if p[1] < base - 0.5]
for series in ("in", "out"):
    pts, up = drawn("chart-records", series)
    check(len(pts) >= 60 and up, "records chart, series %s: %d points, %d above zero" % (series, len(pts), len(up)))
pts, _ = drawn("chart-latency", "average")
check(pts, "latency chart has points")

queries = d.rows.get("queries", [])[1:]
check(len(queries) == 2, "two queries listed")
sql = {r[0]: " ".join("".join(r[1:2]).split()) for r in queries}
check(any(k.startswith("CSAS_%s" % hot) and v.startswith("CREATE STREAM %s AS SELECT" % hot) for k, v in sql.items()), "the filter's statement: %s" % sql)
check(any(k.startswith("CTAS_%s" % per_site) and "WINDOW TUMBLING" in v for k, v in sql.items()), "the aggregation's statement")
state = {r[0]: "".join(r[-1:]) for r in queries}
agg = [v for k, v in state.items() if k.startswith("CTAS_")][0]
m = re.match(r"(\d+) entries", agg)
check(m and int(m.group(1)) > 0, "the aggregation's state size: %r" % agg)
check([v for k, v in state.items() if k.startswith("CSAS_")] == ["stateless"], "the filter is stateless")
fates = {r[0]: " ".join(" ".join(r[1:]).split()) for r in queries}
check(all(re.search(r"read [0-9]", v) and "failed 3" in v for v in fates.values()),
      "each query's record fates, the 3 bad records failed in each: %s" % {k: v[-120:] for k, v in fates.items()})

errors = d.rows.get("errors", [])[1:]
check(len(errors) == 3, "recent errors: %d rows, not one per bad record: %s" % (len(errors), errors))
check(all(topic in r[2] and r[3] == "2" and "JSON" in "".join(r[4:]) for r in errors),
      "errors name the record, its two entries (one per query) and the cause: %s" % errors)

for w in ("0", "1"):
    text = t.get("worker-" + w, "")
    check(("group %s" % app) in text and "member id %s" % app in text, "worker %s membership: %s" % (w, text[:300]))
    check("group.instance.id %s" % app in text, "worker %s static member id" % w)
print("status page: %d polylines, %.1f records in/s, %d errors shown" % (len(d.polylines), tile("in"), len(errors)))
PY

wait $producer || { cat "$WORK/producer.log" >&2; fail "producer"; }
"$PY" - "$base" "$WORK/sent.json" "$in" "$hot" "$per_site" "$started" "$repo/README.md" <<'PY' || { tail -30 "$WORK/sluice.log" >&2; fail "metrics"; }
import json, re, sys, time, urllib.request
base, sent_file, topic, hot, per_site, started, readme_file = sys.argv[1:8]
sent = json.load(open(sent_file))
good = [v for v in sent if v]

def samples():
    out = []
    for line in urllib.request.urlopen(base + "/metrics", timeout=10).read().decode().splitlines():
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if m:
            out.append((m.group(1), dict(re.findall(r'(\w+)="([^"]*)"', m.group(3) or "")), float(m.group(4))))
    return out
def total(s, name, **labels):
    return sum(v for n, l, v in s if n == name and all(l.get(k) == x for k, x in labels.items()))

deadline = time.time() + 60
while True:
    s = samples()
    if total(s, "sluice_source_records_in_total", topic=topic) >= len(sent):
        time.sleep(1.5)  # nothing more may come, and the last end of partition is seen
        s = samples()
        break
    assert time.time() < deadline, "source records in: %d of %d" % (total(s, "sluice_source_records_in_total"), len(sent))
    time.sleep(0.3)

lags = {(l["topic"], l["partition"]): v for n, l, v in s if n == "sluice_consumer_lag_records"}
for p in ("0", "1", "2"):
    assert lags.get((topic, p)) == 0, "lag of %s/%s after catching up: %s (all: %s)" % (topic, p, lags.get((topic, p)), lags)
assert all(v == 0 for v in lags.values()), lags
assert total(s, "sluice_source_records_in_total", topic=topic) == len(sent)
assert not [l for n, l, v in s if n == "sluice_source_records_in_total" and l["topic"] != topic], "a non-source topic counted as a source"
assert total(s, "sluice_sink_records_out_total", topic=hot) == sum(1 for v in good if v["temp"] > 30)
assert total(s, "sluice_sink_records_out_total", topic=per_site) > 0
assert set(l["topic"] for n, l, v in s if n == "sluice_sink_records_out_total") == {hot, per_site}
# each good record goes through the repartition topic once, and is read back once
internal_out = total(s, "sluice_internal_records_out_total")
assert internal_out == len(good), (internal_out, len(good))
assert total(s, "sluice_internal_records_in_total") == len(good)
assert all("repartition" in l["topic"] for n, l, v in s if n.startswith("sluice_internal_records"))
assert total(s, "sluice_store_entries") > 0 and total(s, "sluice_store_bytes") > 0
assert total(s, "sluice_rebalances_total") >= 2

proc = {n: v for n, l, v in s if n.startswith("process_")}
for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
             "process_start_time_seconds", "process_open_fds", "process_max_fds"):
    assert name in proc, "no " + name
assert proc["process_cpu_seconds_total"] > 0
assert 1 << 20 < proc["process_resident_memory_bytes"] < 1 << 31
assert abs(proc["process_start_time_seconds"] - int(started)) < 5, (proc["process_start_time_seconds"], started)
assert 3 < proc["process_open_fds"] < proc["process_max_fds"]

# every family on the page is documented in the README's table of series
page = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
readme = open(readme_file).read()
families = re.findall(r"^# TYPE (\S+) ", page, re.M)
undocumented = [f for f in families if "`%s`" % f not in readme]
assert not undocumented, "metric families missing from README.md: %s" % undocumented

j = json.loads(urllib.request.urlopen(base + "/status", timeout=10).read())
parts = [(a["topic"], a["partition"], a["lag"]) for w in j["workers"] for a in w["assigned_partitions"]]
assert all(lag == 0 for _, _, lag in parts) and len(parts) == 6, parts
assert j["total_lag"] == 0
assert j["process"]["uptime_seconds"] > 0
print("metrics: %d records in, lag 0 on %d partitions, %d through the repartition topic" % (len(sent), len(parts), internal_out))
PY
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 0 ] || { tail -20 "$WORK/sluice.log" >&2; fail "sluice exited $rc after SIGTERM"; }
echo "PASS status page"
