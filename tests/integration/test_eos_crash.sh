#!/usr/bin/env bash
# Exactly-once verifier, scenario 1: a windowed aggregation grouped by a
# column that is not the key (through a repartition topic) and a
# stream-table join, over 200,000 bids on 4 partitions, while `sluice run` is
# killed with SIGKILL at random moments at least five times and restarted
# (with two worker threads, both fenced at once by the restarted instance).
# State survives through its changelogs; verifier.py recomputes the results
# from the input and checks every output record read_committed.
source "$(dirname "$0")/common.sh"
N=${EOS_RECORDS:-200000}
bids=eos_bids_$RUN_ID
auctions=eos_auctions_$RUN_ID
windows=EOS_WINDOWS_$RUN_ID
enriched=EOS_ENRICHED_$RUN_ID
V="$PY $repo/tests/integration/verifier.py"
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$bids', 4); kafkalib.create_topic('$BOOTSTRAP', '$auctions', 4)"
cat > "$WORK/app.properties" <<P
application.id=eos_$RUN_ID
listeners=http://127.0.0.1:0
state.dir=$WORK/state
num.stream.threads=2
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
batch.max.records=5000
transaction.timeout.ms=10000
# a killed instance leaves the group after 6 s, not 45
kafka.session.timeout.ms=6000
kafka.heartbeat.interval.ms=1000
P
$V sql --bids "$bids" --auctions "$auctions" --windows "$windows" --enriched "$enriched" > "$WORK/q.sql"
$V auctions --bootstrap "$BOOTSTRAP" --topic "$auctions"
run() { "$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2>> "$WORK/sluice.log" & pid=$!; PIDS+=($pid); }
# the auctions are in the table's state (and its changelog) before any bid
run
for _ in $(seq 1 300); do grep -q "consumer: assigned" "$WORK/sluice.log" 2>/dev/null && break; sleep 0.1; done
sleep 3
$V bids --bootstrap "$BOOTSTRAP" --topic "$bids" --count "$N" --chunks 20 --pause 0.5 &
feeder=$!
PIDS+=($feeder)
# each kill lands while the instance owns partitions: after it was assigned
# them (a restarted instance first waits for the group to drop its killed
# predecessor), at a random moment of its processing
assigned() { grep -c "consumer: assigned" "$WORK/sluice.log" || true; }
kills=0
before=0 # assignments logged before the running instance started
while kill -0 $feeder 2>/dev/null || [ $kills -lt 5 ]; do
  for _ in $(seq 1 300); do [ "$(assigned)" -gt "$before" ] && break; sleep 0.1; done
  sleep "$(python3 -c 'import random; print(round(random.uniform(0.3, 2.5), 2))')"
  kill -9 $pid 2>/dev/null && kills=$((kills + 1))
  wait $pid 2>/dev/null || true
  before=$(assigned)
  run
done
wait $feeder
$V check --bootstrap "$BOOTSTRAP" --bids "$bids" --windows "$windows" --enriched "$enriched" --expect-bids "$N" \
  || { grep -E "ERROR|WARN|restor" "$WORK/sluice.log" | tail -20; fail "exactly-once violated after $kills kills"; }
grep -q "changelog record(s) applied" "$WORK/sluice.log" || fail "no task was restored from its changelog"
kill -TERM $pid
wait $pid || fail "final run did not exit 0"
echo "PASS eos crash ($kills kills, $(grep -c 'changelog record(s) applied' "$WORK/sluice.log") restores)"
