#!/usr/bin/env bash
# Exactly-once verifier, scenario 2: two instances (one of them with two
# worker threads) share the work while a third is started and stopped again
# and again, so partitions and their
# state move between instances (restored from the changelogs each time, and
# from an instance's own snapshots when a partition comes back to it).
# Every result is exact and appears once.
source "$(dirname "$0")/common.sh"
N=${EOS_SCALE_RECORDS:-100000}
bids=eos2_bids_$RUN_ID
auctions=eos2_auctions_$RUN_ID
windows=EOS2_WINDOWS_$RUN_ID
enriched=EOS2_ENRICHED_$RUN_ID
V="$PY $repo/tests/integration/verifier.py"
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$bids', 4); kafkalib.create_topic('$BOOTSTRAP', '$auctions', 4)"
for who in a b c; do
  # A runs two worker threads: three consumers and producers of the group
  threads=1; [ $who = a ] && threads=2
  cat > "$WORK/$who.properties" <<P
application.id=eos2_$RUN_ID
listeners=http://127.0.0.1:0
num.stream.threads=$threads
state.dir=$WORK/state-$who
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
batch.max.records=5000
transaction.timeout.ms=10000
kafka.session.timeout.ms=6000
kafka.heartbeat.interval.ms=1000
P
done
$V sql --bids "$bids" --auctions "$auctions" --windows "$windows" --enriched "$enriched" > "$WORK/q.sql"
$V auctions --bootstrap "$BOOTSTRAP" --topic "$auctions"
start() { "$SLUICE" run -c "$WORK/$1.properties" -q "$WORK/q.sql" 2>> "$WORK/$1.log" & eval "$1=\$!"; PIDS+=($!); }
start a
start b
for _ in $(seq 1 300); do grep -q "consumer: assigned" "$WORK/b.log" 2>/dev/null && break; sleep 0.1; done
$V bids --bootstrap "$BOOTSTRAP" --topic "$bids" --count "$N" --chunks 40 --pause 0.5 &
feeder=$!
PIDS+=($feeder)
rounds=0
while kill -0 $feeder 2>/dev/null || [ $rounds -lt 3 ]; do
  start c
  sleep "$(python3 -c 'import random; print(round(random.uniform(3, 6), 2))')"
  kill -TERM $c
  wait $c || fail "instance C did not stop cleanly"
  rounds=$((rounds + 1))
  sleep 2
done
wait $feeder
$V check --bootstrap "$BOOTSTRAP" --bids "$bids" --windows "$windows" --enriched "$enriched" --expect-bids "$N" \
  || { grep -hE "ERROR|WARN" "$WORK"/*.log | tail -20; fail "exactly-once violated while instances came and went"; }
for who in a b; do
  kill -0 "${!who}" 2>/dev/null || fail "instance $who died"
done
kill -TERM $a $b
wait $a || fail "instance A did not exit 0"
wait $b || fail "instance B did not exit 0"
grep -Eq "changelog record\(s\) applied|from the snapshot" "$WORK/c.log" || fail "instance C never restored a task"
# every rebalance writes snapshots of the tasks handed over; an instance
# that gets a partition back restores it from its snapshot and the
# changelog after it (C, whose member id is new each time, rarely gets the
# same partitions back; A and B do)
grep -q "store snapshot(s) written" "$WORK/c.log" || fail "instance C wrote no snapshots"
grep -q "from the snapshot" "$WORK"/[abc].log || fail "no instance restored a task from its snapshot"
echo "PASS eos scale ($rounds rounds of a third instance)"
