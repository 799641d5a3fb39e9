#!/usr/bin/env bash
# Kafka security failures at start are named by their cause, at once, with
# exit 3 (other start-up failures exit 1 after startup.timeout.ms):
# 1. TLS to a server whose certificate no CA vouches for (openssl s_server
#    with a self-signed one): "certificate verify failed", the setting to
#    check, within a few seconds instead of the start-up wait.
# 2. Plaintext to that TLS server: the security protocol is named.
# 3. Nothing listening: exit 1 once startup.timeout.ms (2 s here) is over.
# 4. A broker of its own with a SASL_PLAINTEXT listener (PLAIN): the right
#    password runs a query over it (every record in the output); a wrong one
#    ends with "SASL authentication error" and exit 3. Neither password
#    appears in any log line.
source "$(dirname "$0")/common.sh"
command -v openssl >/dev/null || fail "no openssl"
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cat > "$WORK/q.sql" <<S
CREATE STREAM s (id STRING KEY, amount INT) WITH (KAFKA_TOPIC='sec_in_$RUN_ID', VALUE_FORMAT='JSON');
CREATE STREAM SEC_OUT_$RUN_ID AS SELECT id, amount FROM s EMIT CHANGES;
S
# runs sluice with the given --set settings; sets rc, secs and log
start_sluice() {
  local t0=$SECONDS
  set +e
  "$SLUICE" run -q "$WORK/q.sql" --set application.id=sec_$RUN_ID --set "state.dir=$WORK/state" \
    --set listeners= "$@" > "$WORK/out.log" 2>&1
  rc=$?
  set -e
  secs=$((SECONDS - t0))
  log=$(cat "$WORK/out.log")
}

# --- 1, 2: TLS
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 1 \
  -subj "/CN=localhost" 2>/dev/null
tls_port=$(free_port)
openssl s_server -accept "$tls_port" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -quiet >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null && break; sleep 0.1; done

start_sluice --set bootstrap.servers=127.0.0.1:$tls_port --set kafka.security.protocol=SSL
echo "TLS, untrusted certificate: exit $rc after ${secs} s"
[ $rc = 3 ] || { echo "$log" >&2; fail "TLS failure: exit $rc, expected 3"; }
[ $secs -le 5 ] || fail "TLS failure took ${secs} s"
grep -q "ERROR kafka: TLS with Kafka at 127.0.0.1:$tls_port failed: .*certificate verify failed.*kafka.ssl.ca.location" \
  <<<"$log" || { echo "$log" >&2; fail "the TLS failure is not named"; }

start_sluice --set bootstrap.servers=127.0.0.1:$tls_port
echo "plaintext to TLS: exit $rc after ${secs} s"
[ $rc = 3 ] || { echo "$log" >&2; fail "protocol mismatch: exit $rc, expected 3"; }
[ $secs -le 10 ] || fail "protocol mismatch took ${secs} s"
grep -q "ERROR kafka: .*speaks another security protocol.*kafka.security.protocol" <<<"$log" \
  || { echo "$log" >&2; fail "the protocol mismatch is not named"; }

# --- 3: nobody there
start_sluice --set bootstrap.servers=127.0.0.1:$(free_port) --set startup.timeout.ms=2000
echo "nothing listening: exit $rc after ${secs} s"
[ $rc = 1 ] || { echo "$log" >&2; fail "unreachable: exit $rc, expected 1"; }
[ $secs -ge 2 ] && [ $secs -le 6 ] || fail "unreachable took ${secs} s with startup.timeout.ms=2000"
grep -q "cannot reach Kafka at .* within 2000 ms (startup.timeout.ms)" <<<"$log" || { echo "$log" >&2; fail "no reason"; }

# --- 4: a SASL broker of the test's own
libs=${SLUICE_CACHE:-$HOME/.cache/sluice}/kafka-3.9.1/libs
plain=$(free_port) sasl=$(free_port) ctl=$(free_port)
mkdir -p "$WORK/kafka/data" "$WORK/kafka/logs"
cat > "$WORK/kafka/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$ctl
listeners=PLAINTEXT://127.0.0.1:$plain,SASL_PLAINTEXT://127.0.0.1:$sasl,CONTROLLER://127.0.0.1:$ctl
advertised.listeners=PLAINTEXT://127.0.0.1:$plain,SASL_PLAINTEXT://127.0.0.1:$sasl
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_sluice="Right-Pa55word";
log.dirs=$WORK/kafka/data
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
PROPS
java -cp "$libs/*" kafka.tools.StorageTool format -t "$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)" \
  -c "$WORK/kafka/server.properties" > "$WORK/kafka/logs/format.log" 2>&1
java -Xms256m -Xmx512m -Dlog4j.configuration="file:$repo/scripts/kafka/log4j.properties" \
  -Dkafka.logs.dir="$WORK/kafka/logs" -cp "$libs/*" kafka.Kafka "$WORK/kafka/server.properties" \
  > "$WORK/kafka/logs/stdout.log" 2>&1 &
PIDS+=($!)
"$PY" - "$plain" 2>/dev/null <<'PY' || { tail -20 "$WORK/kafka/logs/stdout.log" >&2; fail "the SASL broker did not start"; }
import sys, time
from confluent_kafka.admin import AdminClient
deadline = time.time() + 90
while time.time() < deadline:
    try:
        if AdminClient({"bootstrap.servers": "127.0.0.1:" + sys.argv[1]}).list_topics(timeout=2).brokers:
            sys.exit(0)
    except Exception:
        pass
    time.sleep(0.5)
sys.exit(1)
PY
echo "SASL broker on 127.0.0.1:$sasl"
"$PY" -c "import kafkalib; kafkalib.create_topic('127.0.0.1:$plain', 'sec_in_$RUN_ID', 2)"
"$PY" -c "import kafkalib; kafkalib.produce('127.0.0.1:$plain', 'sec_in_$RUN_ID', [('k%d' % i, {'amount': i}) for i in range(300)])"

export SL_TEST_SASL_PASSWORD=Wrong-Pa55word
start_sluice --set bootstrap.servers=127.0.0.1:$sasl --set kafka.security.protocol=SASL_PLAINTEXT \
  --set kafka.sasl.mechanisms=PLAIN --set kafka.sasl.username=sluice \
  --set 'kafka.sasl.password=${SL_TEST_SASL_PASSWORD}'
echo "SASL, wrong password: exit $rc after ${secs} s"
[ $rc = 3 ] || { echo "$log" >&2; fail "wrong password: exit $rc, expected 3"; }
[ $secs -le 5 ] || fail "wrong password took ${secs} s"
grep -q "ERROR kafka: Kafka at 127.0.0.1:$sasl refused Sluice's credentials: .*SASL authentication error.*kafka.sasl.password" \
  <<<"$log" || { echo "$log" >&2; fail "the authentication failure is not named"; }
! grep -q "Pa55word" <<<"$log" || fail "a password in the log"

export SL_TEST_SASL_PASSWORD=Right-Pa55word
set +e
"$SLUICE" run -q "$WORK/q.sql" --set application.id=sec_$RUN_ID --set "state.dir=$WORK/state" --set listeners= \
  --set bootstrap.servers=127.0.0.1:$sasl --set kafka.security.protocol=SASL_PLAINTEXT \
  --set kafka.sasl.mechanisms=PLAIN --set kafka.sasl.username=sluice --set 'kafka.sasl.password=${SL_TEST_SASL_PASSWORD}' \
  --set log.level=debug --set kafka.debug=security,broker > "$WORK/run.log" 2>&1 &
pid=$!
set -e
PIDS+=($pid)
n=$("$PY" -c "import kafkalib; print(len(kafkalib.read_all('127.0.0.1:$plain', 'SEC_OUT_$RUN_ID', expect=300, timeout=90)))")
echo "SASL, right password: $n of 300 records in the output"
kill -TERM $pid
wait $pid || { tail -20 "$WORK/run.log" >&2; fail "sluice over SASL exited non-zero"; }
[ "$n" = 300 ] || { tail -30 "$WORK/run.log" >&2; fail "the output holds $n records of 300"; }
! grep -q "Pa55word" "$WORK/run.log" || fail "a password in the log (debug level, librdkafka's security debug on)"
echo "PASS: Kafka security failures at start are named"
