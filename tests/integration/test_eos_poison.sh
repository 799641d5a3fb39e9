#!/usr/bin/env bash
# Exactly-once verifier, scenario 5: poison records (random bytes, truncated
# JSON, truncated Avro framing, wrong types, null values) mixed into the bids. Each reaches
# the processing log once per query that reads it, with its topic, partition
# and offset, in the batch's transaction; every good bid is processed exactly
# once; a crash in the middle changes nothing of that.
source "$(dirname "$0")/common.sh"
N=${EOS_POISON_RECORDS:-30000}
bids=eop_bids_$RUN_ID
auctions=eop_auctions_$RUN_ID
windows=EOP_WINDOWS_$RUN_ID
enriched=EOP_ENRICHED_$RUN_ID
app=eop_$RUN_ID
V="$PY $repo/tests/integration/verifier.py"
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$bids', 4); kafkalib.create_topic('$BOOTSTRAP', '$auctions', 4)"
cat > "$WORK/app.properties" <<P
application.id=$app
listeners=http://127.0.0.1:0
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
transaction.timeout.ms=10000
# a killed instance leaves the group after 6 s, not 45
kafka.session.timeout.ms=6000
kafka.heartbeat.interval.ms=1000
P
$V sql --bids "$bids" --auctions "$auctions" --windows "$windows" --enriched "$enriched" > "$WORK/q.sql"
$V auctions --bootstrap "$BOOTSTRAP" --topic "$auctions"
run() { "$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2>> "$WORK/sluice.log" & pid=$!; PIDS+=($pid); }
run
sleep 4
$V bids --bootstrap "$BOOTSTRAP" --topic "$bids" --count "$N" --chunks 6 --pause 0.5 --poison
sleep 1
kill -9 $pid; wait $pid 2>/dev/null || true
run
$V check --bootstrap "$BOOTSTRAP" --bids "$bids" --windows "$windows" --enriched "$enriched" --expect-bids "$N" \
   --plog "${app}_processing_log" \
  || { grep -E "ERROR|WARN" "$WORK/sluice.log" | tail -20; fail "poison records not handled exactly once"; }
kill -TERM $pid
wait $pid || fail "final run did not exit 0"
echo "PASS eos poison"
