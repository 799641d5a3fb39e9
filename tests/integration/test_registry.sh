#!/usr/bin/env bash
# `sluice run` against a real Confluent-compatible schema registry (Apicurio,
# scripts/registry.sh): sources whose value columns are inferred from the
# schemas their producers registered (AVRO, JSON_SR); AVRO, JSON_SR and
# PROTOBUF sinks whose schemas Sluice registers under <topic>-key/-value; a
# consumer that resolves every record's schema id through the registry
# decodes every output record, and the rows are the expected ones. Then:
# the registry unreachable at start (exit 2, the reason, no secret printed);
# a sink schema the registry refuses as incompatible (exit 2, the subject
# named); the registry stopped mid-run (records keep flowing on the cached
# schemas, none is written with id 0, none twice).
source "$(dirname "$0")/common.sh"
REGISTRY=$("$repo/scripts/registry.sh" start)
echo "[$SECONDS s] broker and registry up"
registry_cleanup() {
  cleanup
  "$repo/scripts/registry.sh" stop >/dev/null 2>&1 || true
}
trap registry_cleanup EXIT

avro_in=reg_avro_in_$RUN_ID
json_in=reg_json_in_$RUN_ID
out_avro=REG_AVRO_$RUN_ID
out_json=REG_JSON_$RUN_ID
out_pb=REG_PB_$RUN_ID
for t in $avro_in $json_in; do "$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$t', 2)"; done

AVRO_SCHEMA='{"type":"record","name":"Reading","fields":[{"name":"ID","type":"long"},{"name":"NAME","type":"string"},{"name":"AMOUNT","type":"double"}]}'
JSON_SCHEMA='{"type":"object","properties":{"ID":{"type":"integer"},"AMOUNT":{"type":"number"}},"required":["ID","AMOUNT"]}'
cat > "$WORK/gen.py" <<PY
import json, kafkalib, registrylib
def avro_rows(lo, hi):
    return [("k%d" % (i % 5), {"ID": i, "NAME": "n%d" % (i % 3), "AMOUNT": i / 4}) for i in range(lo, hi)]
def json_rows(lo, hi):
    return [("g%d" % (i % 4), {"ID": i, "AMOUNT": i % 10}) for i in range(lo, hi)]
def serialized(lo, hi):
    return [("$avro_in", registrylib.serialize("$REGISTRY", "$avro_in", "AVRO", '$AVRO_SCHEMA', avro_rows(lo, hi))),
            ("$json_in", registrylib.serialize("$REGISTRY", "$json_in", "JSON_SR", '$JSON_SCHEMA', json_rows(lo, hi)))]
AVRO_V2 = json.loads('$AVRO_SCHEMA')
AVRO_V2["fields"].append({"name": "NOTE", "type": "string", "default": ""})
def v2_record():
    """one record in a second, compatible version of the AVRO schema: an id
    Sluice has not seen"""
    return ("$avro_in", registrylib.serialize("$REGISTRY", "$avro_in", "AVRO", json.dumps(AVRO_V2),
                                              [("k0", {"ID": 100000, "NAME": "v2", "AMOUNT": 1.0, "NOTE": "new"})]))
def produce(lo, hi):
    for topic, recs in serialized(lo, hi):
        kafkalib.produce("$BOOTSTRAP", topic, recs)
PY
export PYTHONPATH=$WORK:$PYTHONPATH
"$PY" -c "import gen; gen.produce(0, 200)"

cat > "$WORK/app.properties" <<P
application.id=reg_$RUN_ID
listeners=
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
ksql.schema.registry.url=$REGISTRY
P
# value columns inferred from the registered schemas; keys declared
cat > "$WORK/q.sql" <<S
CREATE STREAM readings (K STRING KEY) WITH (KAFKA_TOPIC='$avro_in', KEY_FORMAT='KAFKA', VALUE_FORMAT='AVRO');
CREATE STREAM amounts (G STRING KEY) WITH (KAFKA_TOPIC='$json_in', KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON_SR');
CREATE STREAM $out_avro WITH (VALUE_FORMAT='AVRO') AS
  SELECT K, ID, NAME, AMOUNT * 2 AS DOUBLED FROM readings WHERE ID % 2 = 0;
CREATE TABLE $out_json WITH (KEY_FORMAT='JSON_SR', VALUE_FORMAT='JSON_SR') AS
  SELECT G, COUNT(*) AS N, SUM(AMOUNT) AS TOTAL FROM amounts GROUP BY G;
CREATE STREAM $out_pb WITH (KEY_FORMAT='PROTOBUF', VALUE_FORMAT='PROTOBUF') AS
  SELECT K, ID, STRUCT(NAME := NAME, HALF := AMOUNT / 2) AS INFO, ARRAY[ID, ID + 1] AS IDS FROM readings;
S

# --- the registry unreachable at start: exit 2 with the reason, fast
t0=$SECONDS
rc=0
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" \
  --set schema.registry.url=http://127.0.0.1:1 --set schema.registry.basic.auth.user.info=sluice:hunter2 \
  2> "$WORK/down.log" || rc=$?
[ $rc -eq 2 ] || { cat "$WORK/down.log" >&2; fail "registry down at start: exit $rc, expected 2"; }
grep -q "schema registry at http://127.0.0.1:1 cannot be reached" "$WORK/down.log" || { cat "$WORK/down.log" >&2; fail "no clear message"; }
! grep -q hunter2 "$WORK/down.log" || fail "the registry password was printed"
echo "registry down at start: exit 2 after $((SECONDS - t0)) s: $(head -c 200 "$WORK/down.log")"

# --- no registry configured: sinks that would carry schema id 0 are refused
cat > "$WORK/none.sql" <<S
CREATE STREAM amounts (G STRING KEY, ID BIGINT, AMOUNT INT) WITH (KAFKA_TOPIC='$json_in', VALUE_FORMAT='JSON_SR');
CREATE STREAM REG_NONE_$RUN_ID WITH (VALUE_FORMAT='PROTOBUF') AS SELECT * FROM amounts;
S
rc=0
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/none.sql" --set schema.registry.url= 2> "$WORK/none.log" || rc=$?
[ $rc -eq 2 ] && grep -q "set schema.registry.url" "$WORK/none.log" || { cat "$WORK/none.log" >&2; fail "no registry: exit $rc"; }

# --- a sink schema the registry refuses: exit 2 naming the subject
bad=REG_BAD_$RUN_ID
curl -fsS -o /dev/null -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
  --data '{"schema":"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"ID\",\"type\":\"string\"}]}"}' \
  "$REGISTRY/subjects/$bad-value/versions"
cat > "$WORK/bad.sql" <<S
CREATE STREAM readings (K STRING KEY) WITH (KAFKA_TOPIC='$avro_in', KEY_FORMAT='KAFKA', VALUE_FORMAT='AVRO');
CREATE STREAM $bad WITH (VALUE_FORMAT='AVRO') AS SELECT K, ID FROM readings;
S
rc=0
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/bad.sql" 2> "$WORK/bad.log" || rc=$?
[ $rc -eq 2 ] || { cat "$WORK/bad.log" >&2; fail "incompatible schema: exit $rc, expected 2"; }
grep -q "subject '$bad-value'" "$WORK/bad.log" && grep -q "incompatible" "$WORK/bad.log" || { cat "$WORK/bad.log" >&2; fail "no clear incompatibility message"; }
echo "incompatible sink schema: exit 2: $(head -c 300 "$WORK/bad.log")"

# --- TLS and Basic auth: the registry behind an HTTPS front that asks for
# credentials (tests/integration/registry_proxy.py, a self-signed certificate)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
"$PY" "$repo/tests/integration/registry_proxy.py" "$WORK/cert.pem" "$WORK/key.pem" sluice:s3cr3t-pw \
  "${REGISTRY%/apis/ccompat/v7}" > "$WORK/proxy.port" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$WORK/proxy.port" ] && break; sleep 0.1; done
TLS_URL=https://127.0.0.1:$(cat "$WORK/proxy.port")/apis/ccompat/v7
tls_out=REG_TLS_$RUN_ID
cat > "$WORK/tls.sql" <<S
CREATE STREAM amounts (G STRING KEY, ID BIGINT, AMOUNT INT) WITH (KAFKA_TOPIC='$json_in', VALUE_FORMAT='JSON_SR');
CREATE STREAM $tls_out WITH (VALUE_FORMAT='JSON_SR') AS SELECT * FROM amounts;
S
# an application of its own: its group and offsets are not the main run's
sed -e "s/^application.id=.*/application.id=reg_tls_$RUN_ID/" -e "s|^state.dir=.*|state.dir=$WORK/tls-state|" \
  "$WORK/app.properties" > "$WORK/tls.properties"
tls_run() { # extra --set arguments; stderr in $WORK/tls.log
  "$SLUICE" run -c "$WORK/tls.properties" -q "$WORK/tls.sql" --set "schema.registry.url=$TLS_URL" "$@" 2> "$WORK/tls.log"
}
rc=0; tls_run --set schema.registry.ssl.ca.location="$WORK/cert.pem" \
  --set ksql.schema.registry.basic.auth.user.info=sluice:wrong-pw || rc=$?
[ $rc -eq 2 ] && grep -q "not authorised" "$WORK/tls.log" && ! grep -q "wrong-pw" "$WORK/tls.log" || { cat "$WORK/tls.log" >&2; fail "wrong password: exit $rc"; }
rc=0; tls_run --set schema.registry.basic.auth.user.info=sluice:s3cr3t-pw || rc=$?
[ $rc -eq 2 ] && grep -q -i "certificate" "$WORK/tls.log" && ! grep -q "s3cr3t" "$WORK/tls.log" || { cat "$WORK/tls.log" >&2; fail "unknown CA: exit $rc"; }
# (not through tls_run: $! must be Sluice's own pid for the SIGTERM)
"$SLUICE" run -c "$WORK/tls.properties" -q "$WORK/tls.sql" --set "schema.registry.url=$TLS_URL" \
  --set schema.registry.ssl.ca.location="$WORK/cert.pem" \
  --set schema.registry.basic.auth.user.info=sluice:s3cr3t-pw 2> "$WORK/tls.log" &
tpid=$!
PIDS+=($tpid)
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$REGISTRY/subjects/$tls_out-value/versions/latest" 2>/dev/null && break
  kill -0 $tpid 2>/dev/null || { cat "$WORK/tls.log" >&2; fail "sluice stopped with the registry behind TLS and auth"; }
  sleep 0.2
done
curl -fsS -o /dev/null "$REGISTRY/subjects/$tls_out-value/versions/latest" || fail "no schema registered through TLS and auth"
kill -TERM $tpid
wait $tpid || { cat "$WORK/tls.log" >&2; fail "sluice behind TLS exited non-zero after SIGTERM"; }
! grep -q "s3cr3t" "$WORK/tls.log" || fail "the registry password was printed"
echo "TLS + Basic auth: wrong password and unknown CA refused at start (exit 2), the right ones register $tls_out-value"

# --- the queries
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2> "$WORK/sluice.log" &
pid=$!
PIDS+=($pid)

cat > "$WORK/check.py" <<'PY'
import collections, sys, registrylib, gen
bootstrap, url, out_avro, out_json, out_pb, n = sys.argv[1:7]
n = int(n)
sr = registrylib.client(url)
def latest_id(subject):
    return sr.get_latest_version(subject).schema_id
# AVRO: the even ids, doubled
exp = sorted((k, v["ID"], v["NAME"], v["AMOUNT"] * 2) for k, v in gen.avro_rows(0, n) if v["ID"] % 2 == 0)
got = registrylib.read_decoded(bootstrap, url, out_avro, "KAFKA", "AVRO", len(exp))
vid = latest_id(out_avro + "-value")
assert all(r[3] == vid for r in got), "AVRO ids %s, registered %d" % (set(r[3] for r in got), vid)
assert all(set(v) == {"ID", "NAME", "DOUBLED"} for _, v, _, _ in got), "AVRO columns: %s" % got[0][1]
act = sorted((k, v["ID"], v["NAME"], v["DOUBLED"]) for k, v, _, _ in got)
assert act == exp, "AVRO rows differ: %d expected, %d got; first %s vs %s" % (len(exp), len(act), exp[:2], act[:2])
# JSON_SR table: the last update per key is the count and sum
last = {}
for g, v in gen.json_rows(0, n):
    c, s = last.get(g, (0, 0))
    last[g] = (c + 1, s + v["AMOUNT"])
got = registrylib.read_decoded(bootstrap, url, out_json, "JSON_SR", "JSON_SR", None, timeout=20, idle=2)
kid, vid = latest_id(out_json + "-key"), latest_id(out_json + "-value")
assert got and all(r[2] == kid and r[3] == vid for r in got), "JSON_SR ids %s, registered %d/%d" % (set((r[2], r[3]) for r in got), kid, vid)
final = {}
for k, v, _, _ in got:
    final[k] = (v["N"], v["TOTAL"])
assert final == last, "JSON_SR final rows differ: %s vs %s" % (final, last)
# PROTOBUF: every record, the struct and array columns through nested messages
exp = sorted((k, v["ID"], v["NAME"], v["AMOUNT"] / 2, [v["ID"], v["ID"] + 1]) for k, v in gen.avro_rows(0, n))
got = registrylib.read_decoded(bootstrap, url, out_pb, "PROTOBUF", "PROTOBUF", len(exp))
kid, vid = latest_id(out_pb + "-key"), latest_id(out_pb + "-value")
assert all(r[2] == kid and r[3] == vid for r in got), "PROTOBUF ids %s, registered %d/%d" % (set((r[2], r[3]) for r in got), kid, vid)
act = sorted((k["K"], int(v["ID"]), v["INFO"]["NAME"], v["INFO"]["HALF"], [int(x) for x in v["IDS"]]) for k, v, _, _ in got)
assert act == exp, "PROTOBUF rows differ: %d expected, %d got; first %s vs %s" % (len(exp), len(act), exp[:2], act[:2])
print("decoded through the registry: %d AVRO, %d JSON_SR, %d PROTOBUF records" % (
    len([r for r in gen.avro_rows(0, n) if r[1]["ID"] % 2 == 0]), len(final), len(exp)))
PY
echo "[$SECONDS s] checks done, queries started"
"$PY" "$WORK/check.py" "$BOOTSTRAP" "$REGISTRY" $out_avro $out_json $out_pb 200 || { tail -30 "$WORK/sluice.log" >&2; fail "outputs differ"; }

# --- the registry stopped mid-run: Sluice keeps going on the schemas it
# holds (records serialized before the outage, as a producer with its ids
# cached sends them), and when the registry is back nothing was lost,
# nothing doubled, no record carries an id the registry does not know. One
# record has a schema id Sluice has not seen: it cannot be read while the
# registry is away and goes to the processing log (after the retries)
"$PY" -c "import gen, pickle; pickle.dump(gen.serialized(200, 300) + [gen.v2_record()], open('$WORK/mid.pkl', 'wb'))"
echo "[$SECONDS s] outputs checked; registry stopping"
REGISTRY_DOWN_SECONDS=8 "$repo/scripts/registry.sh" restart > "$WORK/restart.log" 2>&1 &
rpid=$!
for _ in $(seq 1 40); do curl -fsS -o /dev/null --max-time 1 "$REGISTRY/subjects" 2>/dev/null || break; sleep 0.25; done
! curl -fsS -o /dev/null --max-time 1 "$REGISTRY/subjects" 2>/dev/null || fail "the registry did not stop"
"$PY" -c "
import pickle, kafkalib
for topic, recs in pickle.load(open('$WORK/mid.pkl', 'rb')):
    kafkalib.produce('$BOOTSTRAP', topic, recs)"
sleep 2
kill -0 $pid || { tail -30 "$WORK/sluice.log" >&2; fail "sluice stopped with the registry"; }
wait $rpid || { cat "$WORK/restart.log" >&2; fail "the registry did not come back"; }
"$PY" "$WORK/check.py" "$BOOTSTRAP" "$REGISTRY" $out_avro $out_json $out_pb 300 || { tail -30 "$WORK/sluice.log" >&2; fail "outputs differ after the outage"; }
echo "[$SECONDS s] outputs checked after the outage"
# and a restart of Sluice itself against the registry that came back
kill -TERM $pid
wait $pid || fail "sluice exited non-zero after SIGTERM"
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2>> "$WORK/sluice.log" &
pid=$!
PIDS+=($pid)
"$PY" -c "import gen; gen.produce(300, 400)"
"$PY" "$WORK/check.py" "$BOOTSTRAP" "$REGISTRY" $out_avro $out_json $out_pb 400 || { tail -30 "$WORK/sluice.log" >&2; fail "outputs differ after the restart"; }
kill -TERM $pid
wait $pid || fail "sluice exited non-zero after SIGTERM"
# one entry per query that reads the record (REG_AVRO's and REG_PB's)
n=$(grep -c "WARN  processing:" "$WORK/sluice.log" || true)
[ "$n" -eq 2 ] && [ "$(grep "WARN  processing:" "$WORK/sluice.log" | grep -c "cannot be reached (schema id")" -eq 2 ] || { grep "WARN  processing:" "$WORK/sluice.log" >&2; fail "$n processing log entries, expected two for the record of an unseen schema id"; }
echo "processing log: $(grep "WARN  processing:" "$WORK/sluice.log" | head -c 300)"
echo "PASS registry ($SECONDS s)"
