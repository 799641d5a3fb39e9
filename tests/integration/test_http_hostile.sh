#!/usr/bin/env bash
# The operations endpoint under hostile clients (hostile_http.py), while a
# query runs:
# 1. 500 malformed or oversized requests add little to the log, and no
#    error page.
# 2. 200 "slowloris" connections from the prober's own address (each sends
#    a request line, then one header line every 3 s, and is opened again
#    when the server closes it): /healthz answers 200 within a second every
#    time it is asked, records produced meanwhile are all processed, and
#    once the connections go /metrics answers at once and counts them.
# 3. 200 from another address (127.0.0.2), first opened once (at most the
#    per-address limit of them stay open), then opened again as the server
#    closes them: /metrics from 127.0.0.1 answers at once.
# 4. One slow connection alone is closed once the deadline for a request's
#    headers has passed, though it keeps sending.
source "$(dirname "$0")/common.sh"
in=hostile_in_$RUN_ID
out=HOSTILE_OUT_$RUN_ID
app=hostile_$RUN_ID
N=2000
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$in', 2)"
cat > "$WORK/app.properties" <<P
application.id=$app
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
listeners=http://127.0.0.1:0
P
cat > "$WORK/q.sql" <<S
CREATE STREAM s (id STRING KEY, amount INT) WITH (KAFKA_TOPIC='$in', VALUE_FORMAT='JSON');
CREATE STREAM $out AS SELECT id, amount FROM s WHERE amount >= 0 EMIT CHANGES;
S
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2> "$WORK/sluice.log" &
pid=$!
PIDS+=($pid)
port=$(endpoint_port "$WORK/sluice.log" $pid)
echo "endpoint on port $port"

"$PY" - "$port" "$WORK/sluice.log" <<PY || { tail -40 "$WORK/sluice.log" >&2; fail "hostile clients"; }
import os, re, socket, sys, threading, time
import kafkalib
from hostile_http import SlowProcess, probe
port, log = int(sys.argv[1]), sys.argv[2]
N = $N

deadline = time.time() + 90
while probe(port, "/readyz")[0] != 200:
    assert time.time() < deadline, "never ready"
    time.sleep(0.2)

def metric(text, name):
    return sum(float(l.split()[-1]) for l in text.splitlines() if l.startswith(name + "{") or l.startswith(name + " "))

quiet = [probe(port, "/healthz")[1] for _ in range(10)]
print("healthz, no load: max %.1f ms" % (1000 * max(quiet)))

# --- 1. malformed requests do not flood the log
before = os.path.getsize(log)
for i in range(500):
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall([b"GET /\x01bad HTTP/1.1\r\nHost x\r\n\r\n", b"NOT-HTTP " + b"A" * 9000 + b"\r\n\r\n",
               b"GET /metrics HTTP/1.1\r\nX-Big: " + b"B" * 40000 + b"\r\n\r\n"][i % 3])
    try:
        c.settimeout(2)
        c.recv(4096)
    except OSError:
        pass
    c.close()
grown = os.path.getsize(log) - before
text = open(log, errors="replace").read()[before:]
print("500 malformed requests wrote %d bytes of log" % grown)
assert "<html" not in text.lower(), "an error page in the log"
assert grown < 4096, "500 malformed requests wrote %d bytes of log:\n%s" % (grown, text[:2000])
assert probe(port, "/healthz")[0] == 200

# --- 2. 200 slow connections from the prober's address, records flowing
slow = SlowProcess(port, 200)
producer = threading.Thread(target=kafkalib.produce,
                            args=("$BOOTSTRAP", "$in", [("k%d" % (i % 17), {"amount": i}) for i in range(N)]))
time.sleep(1)
producer.start()
lat = []
t_end = time.time() + 15
while time.time() < t_end:
    st, dt, body = probe(port, "/healthz", timeout=5)
    lat.append(dt)
    assert st == 200 and dt < 1.0, "healthz under 200 slow connections: status %s after %.2f s (%s)" % (st, dt, body[:200])
    time.sleep(0.5)
producer.join()
counts = slow.close()
print("healthz under 200 slow connections: %d probes, max %.1f ms, median %.1f ms; slow connections %s"
      % (len(lat), 1000 * max(lat), 1000 * sorted(lat)[len(lat) // 2], counts))
st, dt, text = probe(port, "/metrics", timeout=5)
assert st == 200 and dt < 1.0, "metrics once the slow connections went: %s after %.2f s" % (st, dt)
print("metrics once they went: %.1f ms" % (1000 * dt))
deadline = time.time() + 60
while metric(text, "sluice_records_in_total") < N:
    assert time.time() < deadline, "records in stuck at %d of %d" % (metric(text, "sluice_records_in_total"), N)
    time.sleep(0.3)
    text = probe(port, "/metrics")[2]
assert metric(text, "sluice_records_in_total") == N
assert metric(text, "sluice_batches_aborted_total") == 0
got = kafkalib.read_all("$BOOTSTRAP", "$out", expect=N, timeout=60)
assert len(got) == N, "output holds %d records of %d" % (len(got), N)
assert sorted(int(re.search(rb'"AMOUNT":(\d+)', v).group(1)) for _, v, _, _, _ in got) == list(range(N))

# --- 3. another address takes no more than its share
other = SlowProcess(port, 200, source="127.0.0.2", reconnect=False)
time.sleep(2)
held = other.open_now()
print("another address, opened once: %d of its 200 slow connections held open; %s" % (held, other.close()))
assert held <= 16, "one address holds %d connections" % held
other = SlowProcess(port, 200, source="127.0.0.2")
time.sleep(1)
worst = 0
for _ in range(6):
    st, dt, _ = probe(port, "/metrics", timeout=5)
    assert st == 200 and dt < 1.0, "metrics while another address holds 200 slow connections: %s after %.2f s" % (st, dt)
    worst = max(worst, dt)
    time.sleep(0.5)
print("another address, opening again what is closed: metrics max %.1f ms; %s" % (1000 * worst, other.close()))

# --- 4. one slow connection alone meets the header deadline
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
s.settimeout(0.5)
t0 = time.time()
closed_after = None
while time.time() - t0 < 20:
    try:
        s.sendall(b"X-Slow: 1\r\n")
        data = s.recv(4096)
        if data or data == b"":
            closed_after = time.time() - t0
            break
    except socket.timeout:
        pass
    except OSError:
        closed_after = time.time() - t0
        break
s.close()
assert closed_after is not None, "a request whose headers never end held its connection for 20 s"
print("a lone slow request closed after %.1f s" % closed_after)
assert closed_after < 12, closed_after

PY
kill -TERM $pid
wait $pid || fail "sluice exited non-zero after SIGTERM"
echo "PASS: endpoint under hostile clients"
