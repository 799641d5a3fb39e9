#!/usr/bin/env bash
# Kafka security failures at start are named by their cause, at once, with
# exit 3 (other start-up failures exit 1 after startup.timeout.ms):
# 1. TLS to a server whose certificate no CA vouches for (openssl s_server
#    with a self-signed one): "certificate verify failed", the setting to
#    check, within a few seconds instead of the start-up wait.
# 2. Plaintext to that TLS server: the security protocol is named.
# 3. Nothing listening: exit 1 once startup.timeout.ms (2 s here) is over.
# 4. A broker of its own with a SASL_SSL listener (a CA and the broker's
#    keystore made here with openssl, SCRAM-SHA-512 users made by Kafka's
#    storage tool, ACLs enforced): a wrong password ends with "SASL
#    authentication error" and exit 3, a CA that did not sign the broker's
#    certificate with "certificate verify failed", a user without ACLs for
#    the transactional ids with that cause; with the README's least
#    privileges a query runs over it, each input exactly once in the
#    output. No password appears in any log line.
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

# --- 4: a SASL_SSL broker of the test's own: a CA made here, SCRAM users
# made by Kafka's own storage tool, ACLs enforced for them
libs=${SLUICE_CACHE:-$HOME/.cache/sluice}/kafka-3.9.1/libs
plain=$(free_port) sasl=$(free_port) ctl=$(free_port)
k=$WORK/kafka
mkdir -p "$k/data" "$k/logs"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$k/ca.key" -out "$k/ca.pem" -days 1 -subj "/CN=test CA" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$k/other-ca.key" -out "$k/other-ca.pem" -days 1 \
  -subj "/CN=another CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$k/broker.key" -out "$k/broker.csr" -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$k/san.ext"
openssl x509 -req -in "$k/broker.csr" -CA "$k/ca.pem" -CAkey "$k/ca.key" -CAcreateserial -days 1 \
  -extfile "$k/san.ext" -out "$k/broker.pem" 2>/dev/null
openssl pkcs12 -export -in "$k/broker.pem" -inkey "$k/broker.key" -out "$k/broker.p12" -passout pass:store-pw
cat > "$k/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$ctl
listeners=PLAINTEXT://127.0.0.1:$plain,SASL_SSL://127.0.0.1:$sasl,CONTROLLER://127.0.0.1:$ctl
advertised.listeners=PLAINTEXT://127.0.0.1:$plain,SASL_SSL://127.0.0.1:$sasl
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$k/broker.p12
ssl.keystore.password=store-pw
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS
log.dirs=$k/data
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
  -c "$k/server.properties" --add-scram 'SCRAM-SHA-512=[name=sluice,password=Right-Pa55word]' \
  --add-scram 'SCRAM-SHA-512=[name=notxn,password=Right-Pa55word]' > "$k/logs/format.log" 2>&1 \
  || { cat "$k/logs/format.log" >&2; fail "cannot format the SASL broker's storage"; }
java -Xms256m -Xmx512m -Dlog4j.configuration="file:$repo/scripts/kafka/log4j.properties" \
  -Dkafka.logs.dir="$k/logs" -cp "$libs/*" kafka.Kafka "$k/server.properties" > "$k/logs/stdout.log" 2>&1 &
PIDS+=($!)
"$PY" - "$plain" 2>/dev/null <<'PY' || { tail -20 "$k/logs/stdout.log" "$k/logs/server.log" >&2; fail "the SASL broker did not start"; }
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
echo "SASL_SSL broker on 127.0.0.1:$sasl"
app=sec_$RUN_ID
"$PY" -c "import kafkalib; kafkalib.create_topic('127.0.0.1:$plain', 'sec_in_$RUN_ID', 2)"
"$PY" -c "import kafkalib; kafkalib.produce('127.0.0.1:$plain', 'sec_in_$RUN_ID', [('k%d' % i, {'amount': i}) for i in range(300)])"
# the README's least privileges, for both users; 'notxn' lacks the
# transactional ids
"$PY" - "$plain" "$app" "sec_in_$RUN_ID" "SEC_OUT_$RUN_ID" <<'PY'
import sys
from confluent_kafka.admin import (AdminClient, AclBinding, AclOperation as Op, AclPermissionType,
                                   ResourcePatternType as Pat, ResourceType as Res)
plain, app, src, sink = sys.argv[1:]
a = AdminClient({"bootstrap.servers": "127.0.0.1:" + plain})
acls = []
for user, txn in (("sluice", True), ("notxn", False)):
    def allow(rtype, name, pattern, *ops):
        for op in ops:
            acls.append(AclBinding(rtype, name, pattern, "User:" + user, "*", op, AclPermissionType.ALLOW))
    allow(Res.TOPIC, src, Pat.LITERAL, Op.READ, Op.DESCRIBE)
    allow(Res.TOPIC, sink, Pat.LITERAL, Op.WRITE, Op.DESCRIBE, Op.CREATE)
    allow(Res.TOPIC, app + "-", Pat.PREFIXED, Op.READ, Op.WRITE, Op.CREATE, Op.DESCRIBE, Op.DESCRIBE_CONFIGS)
    allow(Res.TOPIC, app + "_processing_log", Pat.LITERAL, Op.WRITE, Op.CREATE, Op.DESCRIBE)
    allow(Res.GROUP, app, Pat.LITERAL, Op.READ, Op.DESCRIBE)
    if txn:
        allow(Res.TRANSACTIONAL_ID, app + "-", Pat.PREFIXED, Op.WRITE, Op.DESCRIBE)
for f in a.create_acls(acls).values():
    f.result(30)
PY
sasl_settings=(--set bootstrap.servers=127.0.0.1:$sasl --set kafka.security.protocol=SASL_SSL
  --set kafka.sasl.mechanisms=SCRAM-SHA-512 --set "kafka.ssl.ca.location=$k/ca.pem"
  --set 'kafka.sasl.password=${SL_TEST_SASL_PASSWORD}')

export SL_TEST_SASL_PASSWORD=Wrong-Pa55word
start_sluice "${sasl_settings[@]}" --set kafka.sasl.username=sluice
echo "SASL_SSL, wrong password: exit $rc after ${secs} s"
[ $rc = 3 ] || { echo "$log" >&2; fail "wrong password: exit $rc, expected 3"; }
[ $secs -le 8 ] || fail "wrong password took ${secs} s"
grep -q "ERROR kafka: Kafka at 127.0.0.1:$sasl refused Sluice's credentials: .*SASL authentication error.*kafka.sasl.password" \
  <<<"$log" || { echo "$log" >&2; fail "the authentication failure is not named"; }
! grep -q "Pa55word" <<<"$log" || fail "a password in the log"

export SL_TEST_SASL_PASSWORD=Right-Pa55word
start_sluice "${sasl_settings[@]}" --set kafka.sasl.username=sluice --set "kafka.ssl.ca.location=$k/other-ca.pem"
echo "SASL_SSL, another CA: exit $rc after ${secs} s"
[ $rc = 3 ] || { echo "$log" >&2; fail "wrong CA: exit $rc, expected 3"; }
[ $secs -le 8 ] || fail "wrong CA took ${secs} s"
grep -q "ERROR kafka: TLS with Kafka at 127.0.0.1:$sasl failed: .*certificate verify failed" <<<"$log" \
  || { echo "$log" >&2; fail "the TLS failure is not named"; }

start_sluice "${sasl_settings[@]}" --set kafka.sasl.username=notxn
echo "SASL_SSL, no ACL for the transactional ids: exit $rc after ${secs} s"
[ $rc = 3 ] || { echo "$log" >&2; fail "refused transactional id: exit $rc, expected 3"; }
[ $secs -le 20 ] || fail "the refused transactional id took ${secs} s"
grep -q "ERROR kafka: Kafka's ACLs refuse the transactional id $app-.*grant WRITE and DESCRIBE on transactional ids prefixed '$app-'" \
  <<<"$log" || { echo "$log" >&2; fail "the refused transactional id is not named"; }
! grep -q "Pa55word" <<<"$log" || fail "a password in the log"

set +e
"$SLUICE" run -q "$WORK/q.sql" --set application.id=$app --set "state.dir=$WORK/state" --set listeners= \
  "${sasl_settings[@]}" --set kafka.sasl.username=sluice \
  --set log.level=debug --set kafka.debug=security,broker > "$WORK/run.log" 2>&1 &
pid=$!
set -e
PIDS+=($pid)
"$PY" - "$plain" "SEC_OUT_$RUN_ID" <<'PY' || { tail -30 "$WORK/run.log" >&2; fail "the query over SASL_SSL"; }
import sys, json, kafkalib
got = kafkalib.read_all("127.0.0.1:" + sys.argv[1], sys.argv[2], expect=300, timeout=90)
amounts = sorted(json.loads(v)["AMOUNT"] for _, v, _, _, _ in got)
print("SASL_SSL with the README's ACLs: %d records in the output" % len(got))
assert amounts == list(range(300)), "not each input exactly once: %d records" % len(got)
PY
kill -TERM $pid
wait $pid || { tail -20 "$WORK/run.log" >&2; fail "sluice over SASL_SSL exited non-zero"; }
! grep -q "Pa55word" "$WORK/run.log" || fail "a password in the log (debug level, librdkafka's security debug on)"
echo "PASS: Kafka security failures at start are named; a query runs over SASL_SSL with least privileges"
