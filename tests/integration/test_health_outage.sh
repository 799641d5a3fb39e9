#!/usr/bin/env bash
# Health that knows about Kafka: `sluice run` with records flowing answers
# /healthz 200; the broker is stopped for 25 s and, once no broker has
# answered for longer than health.stall.commit.intervals commit intervals
# (here 30 x 100 ms), /healthz answers 503 naming the cause and ksqlDB's
# /healthcheck reports Kafka unhealthy; the broker comes back and /healthz
# is 200 again, without a restart of Sluice. The test uses a broker of its
# own, so the others' broker is never stopped.
export KAFKA_PORT=${HEALTH_OUTAGE_PORT:-9392}
source "$(dirname "$0")/common.sh"
trap 'cleanup; "$repo/scripts/kafka.sh" stop >/dev/null 2>&1 || true' EXIT
in=ho_in_$RUN_ID
out=HO_OUT_$RUN_ID
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$in', 2)"
cat > "$WORK/app.properties" <<P
application.id=ho_$RUN_ID
listeners=http://127.0.0.1:0
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
health.stall.commit.intervals=30
P
cat > "$WORK/q.sql" <<S
CREATE STREAM s (id STRING KEY, amount INT) WITH (KAFKA_TOPIC='$in', VALUE_FORMAT='JSON');
CREATE STREAM $out AS SELECT id, amount FROM s;
S
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2> "$WORK/sluice.log" & pid=$!; PIDS+=($pid)
port=$(endpoint_port "$WORK/sluice.log" $pid)
"$PY" -c "import kafkalib; kafkalib.produce('$BOOTSTRAP', '$in', [('k%d' % i, {'amount': i}) for i in range(50)])"
got=$("$PY" -c "import kafkalib; print(len(kafkalib.read_all('$BOOTSTRAP', '$out', expect=50, timeout=60)))")
[ "$got" = 50 ] || fail "outputs before the outage: $got of 50"

health() { # prints the status code and the body's first line
  "$PY" - "$port" "$1" <<'PY'
import sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen("http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2]), timeout=5) as r:
        print(r.status, r.read().decode().splitlines()[0] if r.length != 0 else "")
except urllib.error.HTTPError as e:
    print(e.code, (e.read().decode().splitlines() or [""])[0])
except Exception as e:
    print(0, e)
PY
}
first=$(health /healthz)
[ "${first%% *}" = 200 ] || fail "healthz before the outage: $first"

echo "health outage: stopping the broker for 25 s"
KAFKA_DOWN_SECONDS=25 "$repo/scripts/kafka.sh" restart >/dev/null & restarter=$!
PIDS+=($restarter)
down=
for _ in $(seq 1 60); do
  h=$(health /healthz)
  if [ "${h%% *}" = 503 ]; then down=$h; break; fi
  sleep 0.5
done
[ -n "$down" ] || fail "healthz stayed 200 through the outage (last: $h)"
echo "health outage: during it, /healthz said: $down"
case "$down" in *broker*|*commit*) ;; *) fail "the 503 does not say why: $down" ;; esac
check=$(health /healthcheck)
case "$check" in 503*|*'"isHealthy": false'*|*'"isHealthy":false'*) ;; *) fail "ksqlDB's /healthcheck during the outage: $check" ;; esac
kill -0 $pid 2>/dev/null || fail "sluice exited during the outage"
wait $restarter
echo "health outage: the broker is back"
up=
for _ in $(seq 1 180); do
  h=$(health /healthz)
  if [ "${h%% *}" = 200 ]; then up=$h; break; fi
  sleep 0.5
done
[ -n "$up" ] || { tail -20 "$WORK/sluice.log" >&2; fail "healthz did not recover after the outage (last: $h)"; }
"$PY" -c "import kafkalib; kafkalib.produce('$BOOTSTRAP', '$in', [('j%d' % i, {'amount': i}) for i in range(50)])"
got=$("$PY" -c "import kafkalib; print(len(kafkalib.read_all('$BOOTSTRAP', '$out', expect=100, timeout=90)))")
[ "$got" = 100 ] || fail "outputs after the outage: $got of 100"
kill -TERM $pid
wait $pid || fail "sluice exited non-zero after SIGTERM"
echo "PASS health outage"
