#!/usr/bin/env bash
# Bad input gets a clear error naming its place and loses nothing:
# unknown config key -> exit 2 naming key and line; SQL error -> exit 2 with
# FILE:LINE:COL and a caret; a record that is not JSON is logged with its
# topic/partition/offset while the good ones are processed.
source "$(dirname "$0")/common.sh"
printf 'application.id=x\nbootstrap.servers=%s\nbatch.max.recods=5\n' "$BOOTSTRAP" > "$WORK/bad.properties"
echo "CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');" > "$WORK/ok.sql"
set +e
"$SLUICE" run -c "$WORK/bad.properties" -q "$WORK/ok.sql" 2> "$WORK/err1"; rc=$?
set -e
[ $rc -eq 2 ] || fail "unknown key: exit $rc, want 2"
grep -q "bad.properties:3" "$WORK/err1" && grep -q "batch.max.recods" "$WORK/err1" || { cat "$WORK/err1"; fail "error does not name key and line"; }

# a queries file that runs nothing is an error before anything connects,
# in check and in run; so is a transient SELECT, with the reason
for text in "" "-- only a comment" "CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');"; do
  printf '%s\n' "$text" > "$WORK/none.sql"
  set +e
  "$SLUICE" check -q "$WORK/none.sql" 2> "$WORK/err3"; rc=$?
  "$SLUICE" run --set application.id=x --set bootstrap.servers="$BOOTSTRAP" -q "$WORK/none.sql" 2> "$WORK/err4"; rc2=$?
  set -e
  [ $rc -eq 2 ] && [ $rc2 -eq 2 ] || fail "queries file '$text': check exit $rc, run exit $rc2, want 2"
  grep -q "no queries to run" "$WORK/err3" && grep -q "no queries to run" "$WORK/err4" || { cat "$WORK/err3" "$WORK/err4"; fail "no reason given for an empty queries file"; }
done
printf "CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');\nSELECT * FROM s EMIT CHANGES;\n" > "$WORK/select.sql"
set +e
"$SLUICE" check -q "$WORK/select.sql" 2> "$WORK/err5"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "select.sql:2:1: error: a transient SELECT" "$WORK/err5" || { cat "$WORK/err5"; fail "transient SELECT: exit $rc"; }

# --set: checked like a file line; a line without '=' and a misspelt
# librdkafka property are errors that never echo the secret
set +e
"$SLUICE" run --set application.id=x --set kafka.sasl.pasword=hunter2 -q "$WORK/ok.sql" 2> "$WORK/err6"; rc=$?
printf 'application.id=x\nkafka.sasl.password hunter2\n' > "$WORK/secret.properties"
"$SLUICE" run -c "$WORK/secret.properties" -q "$WORK/ok.sql" 2> "$WORK/err7"; rc2=$?
set -e
[ $rc -eq 2 ] && [ $rc2 -eq 2 ] || fail "bad kafka settings: exit $rc and $rc2, want 2"
grep -q "sasl.pasword" "$WORK/err6" && grep -q "secret.properties:2" "$WORK/err7" || { cat "$WORK/err6" "$WORK/err7"; fail "bad kafka settings not named"; }
! grep -q hunter2 "$WORK/err6" "$WORK/err7" || fail "a secret was echoed in an error"

printf 'application.id=x\nbootstrap.servers=%s\n' "$BOOTSTRAP" > "$WORK/app.properties"
printf "CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');\nCREATE STREAM o AS SELECT a +* 2 FROM s;\n" > "$WORK/bad.sql"
set +e
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/bad.sql" 2> "$WORK/err2"; rc=$?
set -e
[ $rc -eq 2 ] || fail "bad SQL: exit $rc, want 2"
grep -q "bad.sql:2:30: error:" "$WORK/err2" && grep -q '\^' "$WORK/err2" || { cat "$WORK/err2"; fail "no FILE:LINE:COL and caret"; }

in=bi_in_$RUN_ID
out=BI_OUT_$RUN_ID
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$in', 1)"
cat > "$WORK/q.sql" <<S
CREATE STREAM s (id STRING KEY, n INT) WITH (KAFKA_TOPIC='$in', VALUE_FORMAT='JSON');
CREATE STREAM $out AS SELECT id, n FROM s;
S
"$PY" - <<PY
import kafkalib
kafkalib.produce("$BOOTSTRAP", "$in", [("a", {"n": 1}), ("b", b"{not json"), ("c", {"n": 3})])
PY
printf 'application.id=bi_%s\nlisteners=http://127.0.0.1:0\nbootstrap.servers=%s\nstate.dir=%s\n' "$RUN_ID" "$BOOTSTRAP" "$WORK/state" > "$WORK/app2.properties"
"$SLUICE" run -c "$WORK/app2.properties" -q "$WORK/q.sql" 2> "$WORK/log" &
pid=$!
PIDS+=($pid)
"$PY" - <<PY || fail "good records lost"
import kafkalib
got = kafkalib.read_all("$BOOTSTRAP", "$out", expect=2, timeout=60)
assert [r[0] for r in got] == ["a", "c"], got
PY
kill -0 $pid || fail "sluice stopped on a bad record"
"$PY" - <<PY || fail "the bad record is not in the processing log exactly once"
import json, kafkalib
got = kafkalib.read_all("$BOOTSTRAP", "bi_${RUN_ID}_processing_log", timeout=30, idle=3)
entries = [json.loads(v) for k, v, p, o, ts in got]
print("processing log:", entries)
assert len(entries) == 1, entries
e = entries[0]
assert e["topic"] == "$in" and e["partition"] == 0 and e["offset"] == 1 and "value" in e["message"].lower(), e
PY
kill -TERM $pid
wait $pid || fail "exit after SIGTERM not 0"
grep -q "$in/0/1" "$WORK/log" || { cat "$WORK/log"; fail "bad record not logged with topic/partition/offset"; }

# joining on keys topics with different partition counts is refused at start
cp_l=bi_cpl_$RUN_ID
cp_r=bi_cpr_$RUN_ID
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$cp_l', 2); kafkalib.create_topic('$BOOTSTRAP', '$cp_r', 3)"
cat > "$WORK/cp.sql" <<S
CREATE STREAM l (id STRING KEY, n INT) WITH (KAFKA_TOPIC='$cp_l', VALUE_FORMAT='JSON');
CREATE TABLE r (id STRING PRIMARY KEY, m INT) WITH (KAFKA_TOPIC='$cp_r', VALUE_FORMAT='JSON');
CREATE STREAM BI_CP_$RUN_ID AS SELECT l.id, n, m FROM l JOIN r ON l.id = r.id;
S
if "$SLUICE" run -c "$WORK/app2.properties" -q "$WORK/cp.sql" 2> "$WORK/cp.log"; then
  fail "a join of topics with 2 and 3 partitions was accepted"
fi
grep -q "number of partitions don't match" "$WORK/cp.log" || { cat "$WORK/cp.log"; fail "no co-partitioning error"; }

# an existing changelog that deletes old records would lose state: refused
cl_in=bi_clin_$RUN_ID
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$cl_in', 1); kafkalib.create_topic('$BOOTSTRAP', 'bi_cl_$RUN_ID-CTAS_BI_CL_0-Aggregate-changelog', 1)"
printf 'application.id=bi_cl_%s\nlisteners=http://127.0.0.1:0\nbootstrap.servers=%s\nstate.dir=%s\n' "$RUN_ID" "$BOOTSTRAP" "$WORK/state" > "$WORK/cl.properties"
cat > "$WORK/cl.sql" <<S
CREATE STREAM s (k STRING KEY, v INT) WITH (KAFKA_TOPIC='$cl_in', VALUE_FORMAT='JSON');
CREATE TABLE BI_CL AS SELECT k, COUNT(*) AS n FROM s GROUP BY k;
S
if "$SLUICE" run -c "$WORK/cl.properties" -q "$WORK/cl.sql" 2> "$WORK/cl.log"; then
  fail "a changelog with cleanup.policy=delete was accepted"
fi
grep -q "Aggregate-changelog' has cleanup.policy=delete" "$WORK/cl.log" || { cat "$WORK/cl.log"; fail "no changelog policy error"; }

# two processes pointed at one state.dir would share transactional ids: refused
printf 'application.id=bi_sd_%s\nlisteners=http://127.0.0.1:0\nbootstrap.servers=%s\nstate.dir=%s\n' "$RUN_ID" "$BOOTSTRAP" "$WORK/sd" > "$WORK/sd.properties"
"$SLUICE" run -c "$WORK/sd.properties" -q "$WORK/q.sql" 2> "$WORK/sd1.log" &
sd=$!
PIDS+=($sd)
for _ in $(seq 1 100); do grep -q "running" "$WORK/sd1.log" && break; sleep 0.1; done
if "$SLUICE" run -c "$WORK/sd.properties" -q "$WORK/q.sql" 2> "$WORK/sd2.log"; then
  fail "a second instance on the same state.dir was accepted"
fi
grep -q "is in use by another running instance" "$WORK/sd2.log" || { cat "$WORK/sd2.log"; fail "no state.dir lock error"; }
kill -TERM $sd; wait $sd || fail "the first instance did not exit 0"
echo "PASS bad_input"
