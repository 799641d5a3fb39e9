#!/usr/bin/env bash
# Exactly-once verifier, scenario 3: the broker is stopped and started again
# (same data) while bids flow and `sluice run` works. Sluice rides through:
# it keeps running, and the outputs hold every result exactly once. The test
# uses a broker of its own, so the others' broker is never restarted.
export KAFKA_PORT=${EOS_RESTART_PORT:-9292}
source "$(dirname "$0")/common.sh"
trap 'cleanup; "$repo/scripts/kafka.sh" stop >/dev/null 2>&1 || true' EXIT
N=${EOS_RESTART_RECORDS:-40000}
bids=eor_bids_$RUN_ID
auctions=eor_auctions_$RUN_ID
windows=EOR_WINDOWS_$RUN_ID
enriched=EOR_ENRICHED_$RUN_ID
V="$PY $repo/tests/integration/verifier.py"
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$bids', 4); kafkalib.create_topic('$BOOTSTRAP', '$auctions', 4)"
cat > "$WORK/app.properties" <<P
application.id=eor_$RUN_ID
listeners=http://127.0.0.1:0
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
transaction.timeout.ms=30000
P
$V sql --bids "$bids" --auctions "$auctions" --windows "$windows" --enriched "$enriched" > "$WORK/q.sql"
$V auctions --bootstrap "$BOOTSTRAP" --topic "$auctions"
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2> "$WORK/sluice.log" & pid=$!; PIDS+=($pid)
for _ in $(seq 1 300); do grep -q "consumer: assigned" "$WORK/sluice.log" && break; sleep 0.1; done
# the feeder produces in chunks; it waits out the restart (its producer retries)
$V bids --bootstrap "$BOOTSTRAP" --topic "$bids" --count "$N" --chunks 20 --pause 0.5 &
feeder=$!
PIDS+=($feeder)
sleep 4
echo "broker restart: stopping the broker"
KAFKA_DOWN_SECONDS=3 "$repo/scripts/kafka.sh" restart >/dev/null
echo "broker restart: the broker is back"
wait $feeder
$V check --bootstrap "$BOOTSTRAP" --bids "$bids" --windows "$windows" --enriched "$enriched" --expect-bids "$N" \
  || { grep -E "ERROR|WARN" "$WORK/sluice.log" | tail -20; fail "exactly-once violated across a broker restart"; }
kill -0 $pid 2>/dev/null || { tail -20 "$WORK/sluice.log"; fail "sluice did not survive the broker restart"; }
kill -TERM $pid
wait $pid || fail "sluice did not exit 0"
echo "PASS eos broker restart"
