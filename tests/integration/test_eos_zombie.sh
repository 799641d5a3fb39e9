#!/usr/bin/env bash
# Exactly-once verifier, scenario 4: a zombie. Instance A is stopped with
# SIGSTOP in the middle of its work for longer than the transaction timeout;
# instance B (its own state.dir, so its own transactional ids) takes over
# its partitions and restores their state; then A gets SIGCONT. A is fenced
# (its transaction was aborted by the broker and the group has moved on), so
# nothing it wrote counts: the outputs hold every result exactly once.
source "$(dirname "$0")/common.sh"
N=${EOS_ZOMBIE_RECORDS:-40000}
bids=eoz_bids_$RUN_ID
auctions=eoz_auctions_$RUN_ID
windows=EOZ_WINDOWS_$RUN_ID
enriched=EOZ_ENRICHED_$RUN_ID
V="$PY $repo/tests/integration/verifier.py"
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$bids', 4); kafkalib.create_topic('$BOOTSTRAP', '$auctions', 4)"
for who in a b; do
  cat > "$WORK/$who.properties" <<P
application.id=eoz_$RUN_ID
listeners=http://127.0.0.1:0
state.dir=$WORK/state-$who
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
batch.max.records=2000
transaction.timeout.ms=10000
kafka.session.timeout.ms=6000
kafka.heartbeat.interval.ms=1000
P
done
$V sql --bids "$bids" --auctions "$auctions" --windows "$windows" --enriched "$enriched" > "$WORK/q.sql"
$V auctions --bootstrap "$BOOTSTRAP" --topic "$auctions"
"$SLUICE" run -c "$WORK/a.properties" -q "$WORK/q.sql" 2> "$WORK/a.log" & a=$!; PIDS+=($a)
for _ in $(seq 1 300); do grep -q "consumer: assigned" "$WORK/a.log" && break; sleep 0.1; done
# bids flow the whole time: A is stopped while it has a batch open
$V bids --bootstrap "$BOOTSTRAP" --topic "$bids" --count "$N" --chunks 40 --pause 0.7 &
feeder=$!
PIDS+=($feeder)
sleep 3
kill -STOP $a
echo "zombie: instance A stopped"
"$SLUICE" run -c "$WORK/b.properties" -q "$WORK/q.sql" 2> "$WORK/b.log" & b=$!; PIDS+=($b)
# past the transaction timeout (10 s) and the broker's check for timed-out
# transactions (every 10 s)
sleep 25
grep -q "consumer: assigned" "$WORK/b.log" || fail "instance B never got partitions"
kill -CONT $a
echo "zombie: instance A resumed"
wait $feeder
$V check --bootstrap "$BOOTSTRAP" --bids "$bids" --windows "$windows" --enriched "$enriched" --expect-bids "$N" \
  || { tail -20 "$WORK/a.log"; fail "the zombie's writes were not fenced off"; }
# A noticed it had been fenced or had lost its partitions
grep -Eqi "fenced|lost|revoked|abort" "$WORK/a.log" || { tail -20 "$WORK/a.log"; fail "zombie A did not notice"; }
grep -Ei "fenced|lost|revoked|abort|fatal" "$WORK/a.log" | head -5 | cut -c1-200
kill -TERM $b; wait $b || { tail -20 "$WORK/b.log"; fail "instance B did not exit 0"; }
kill -TERM $a 2>/dev/null || true
wait $a 2>/dev/null || true
echo "PASS eos zombie"
