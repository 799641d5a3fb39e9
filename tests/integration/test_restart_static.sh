#!/usr/bin/env bash
# A restarted instance takes its partitions back at once: the consumer is a
# static member of the group (group.instance.id from the instance id kept in
# state.dir), so after a SIGKILL the restarted process is assigned its
# partitions without waiting for the group's session timeout. Also: the
# source topic does not exist and the statement declares PARTITIONS, so
# Sluice creates it (as ksqlDB does) before anything else. SIGHUP neither
# kills the service nor loses a record: it is answered between batches.
source "$(dirname "$0")/common.sh"
in=rs_in_$RUN_ID
out=RS_OUT_$RUN_ID
cat > "$WORK/q.sql" <<S
CREATE STREAM s (id STRING KEY, v INT) WITH (KAFKA_TOPIC='$in', VALUE_FORMAT='JSON', PARTITIONS=3);
CREATE STREAM $out AS SELECT id, v FROM s;
S
args=(--set application.id=rs_$RUN_ID --set bootstrap.servers=$BOOTSTRAP --set state.dir=$WORK/state
      --set listeners= -q "$WORK/q.sql")
"$SLUICE" run "${args[@]}" 2> "$WORK/first.log" &
pid=$!
PIDS+=($pid)
"$PY" - <<PY || { cat "$WORK/first.log"; fail "the first instance did not process"; }
import kafkalib
kafkalib.produce("$BOOTSTRAP", "$in", [("k%d" % i, {"v": i}) for i in range(30)])
got = kafkalib.read_all("$BOOTSTRAP", "$out", expect=30, timeout=60)
assert len(got) == 30, len(got)
PY
grep -q "creating source topic $in of S with 3 partition(s)" "$WORK/first.log" || { cat "$WORK/first.log"; fail "source topic not created from PARTITIONS"; }
kill -9 $pid
wait $pid 2>/dev/null || true
start=$(date +%s%N)
"$SLUICE" run "${args[@]}" 2> "$WORK/second.log" &
pid=$!
PIDS+=($pid)
for _ in $(seq 1 300); do
  grep -q "consumer: assigned:" "$WORK/second.log" && break
  sleep 0.1
done
grep -q "consumer: assigned:" "$WORK/second.log" || { cat "$WORK/second.log"; fail "no assignment after 30 s"; }
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "restart to assignment: $ms ms"
[ "$ms" -lt 5000 ] || { cat "$WORK/second.log"; fail "restart took $ms ms to get its partitions (static membership should make it immediate)"; }
kill -HUP $pid
"$PY" - <<PY || fail "the restarted instance did not process after SIGHUP"
import kafkalib
kafkalib.produce("$BOOTSTRAP", "$in", [("k%d" % i, {"v": i}) for i in range(30, 40)])
got = kafkalib.read_all("$BOOTSTRAP", "$out", expect=40, timeout=60)
assert len(got) == 40, len(got)
PY
kill -0 $pid || fail "SIGHUP stopped the service"
grep -q "SIGHUP" "$WORK/second.log" || { cat "$WORK/second.log"; fail "SIGHUP not answered in the log"; }
kill -TERM $pid
wait $pid || fail "exit after SIGTERM not 0"
