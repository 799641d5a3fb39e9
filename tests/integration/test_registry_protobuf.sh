#!/usr/bin/env bash
# `sluice run` reading PROTOBUF records that Confluent's own serializer
# wrote, with the columns inferred from the .proto it registered (Apicurio,
# scripts/registry.sh): the second message of a file with a package,
# chosen by VALUE_SCHEMA_FULL_NAME, so the records' message-index path is
# [1]; field numbers out of order, sint32, an enum, a nested message, a map,
# a wrapper and a oneof. The rows Sluice writes (JSON) are the ones the
# producer sent, read with ksqlDB's names and types.
source "$(dirname "$0")/common.sh"
REGISTRY=$("$repo/scripts/registry.sh" start)
echo "[$SECONDS s] broker and registry up"
registry_cleanup() {
  cleanup
  "$repo/scripts/registry.sh" stop >/dev/null 2>&1 || true
}
trap registry_cleanup EXIT

pb_in=reg_pb_in_$RUN_ID
out=REG_PB_ROWS_$RUN_ID
"$PY" -c "import kafkalib; kafkalib.create_topic('$BOOTSTRAP', '$pb_in', 2)"

cat > "$WORK/order.proto" <<'PROTO'
syntax = "proto3";
package it.shop;
import "google/protobuf/wrappers.proto";
message Unused { int32 x = 1; }
message Order {
  enum Status { NEW = 0; PAID = 3; }
  message Line { string sku = 4; sint32 qty = 2; }
  Status status = 7;
  Line line = 3;
  map<string, int64> tags = 12;
  google.protobuf.Int64Value discount = 5;
  sint32 delta = 9;
  oneof pay { string card = 30; uint32 voucher = 31; }
}
PROTO

cat > "$WORK/gen.py" <<PY
import os, sys, tempfile
from grpc_tools import protoc
import grpc_tools
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
import kafkalib, registrylib

def order_class():
    d = "$WORK"
    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    out = os.path.join(d, "order.pb")
    assert protoc.main(["protoc", "-I" + d, "-I" + include, "--include_imports",
                        "--descriptor_set_out=" + out, "order.proto"]) == 0
    pool = descriptor_pool.DescriptorPool()
    for f in descriptor_pb2.FileDescriptorSet.FromString(open(out, "rb").read()).file:
        pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("it.shop.Order"))

def rows(n):
    """(key, fields) with the values the output should show"""
    out = []
    for i in range(n):
        r = {"STATUS": "PAID" if i % 2 else "NEW", "SKU": "s%d" % i, "QTY": -i, "TAG": i * 10,
             "DISCOUNT": i if i % 3 else None, "DELTA": i - 5,
             "CARD": "c%d" % i if i % 2 else None, "VOUCHER": None if i % 2 else i}
        out.append(("k%d" % i, r))
    return out

def produce(n):
    cls = order_class()
    ser = ProtobufSerializer(cls, registrylib.client("$REGISTRY"), {"use.deprecated.format": False})
    recs = []
    for k, r in rows(n):
        m = cls(status=cls.Status.Value(r["STATUS"]), delta=r["DELTA"])
        m.line.sku = r["SKU"]
        m.line.qty = r["QTY"]
        m.tags["t"] = r["TAG"]
        if r["DISCOUNT"] is not None:
            m.discount.value = r["DISCOUNT"]
        if r["CARD"] is not None:
            m.card = r["CARD"]
        else:
            m.voucher = r["VOUCHER"]
        recs.append((k, ser(m, SerializationContext("$pb_in", MessageField.VALUE))))
    kafkalib.produce("$BOOTSTRAP", "$pb_in", recs)
PY
export PYTHONPATH=$WORK:$PYTHONPATH
"$PY" -c "import gen; gen.produce(40)"
echo "[$SECONDS s] 40 records produced by Confluent's ProtobufSerializer"

cat > "$WORK/app.properties" <<P
application.id=reg_pb_$RUN_ID
listeners=
state.dir=$WORK/state
bootstrap.servers=$BOOTSTRAP
commit.interval.ms=100
ksql.schema.registry.url=$REGISTRY
P
cat > "$WORK/q.sql" <<S
CREATE STREAM orders (K STRING KEY) WITH (KAFKA_TOPIC='$pb_in', KEY_FORMAT='KAFKA', VALUE_FORMAT='PROTOBUF',
  VALUE_SCHEMA_FULL_NAME='it.shop.Order');
CREATE STREAM $out WITH (VALUE_FORMAT='JSON') AS
  SELECT K, STATUS, LINE->SKU AS SKU, LINE->QTY AS QTY, TAGS['t'] AS TAG, DISCOUNT, DELTA,
         PAY_0->CARD AS CARD, PAY_0->VOUCHER AS VOUCHER FROM orders;
S
"$SLUICE" run -c "$WORK/app.properties" -q "$WORK/q.sql" 2> "$WORK/sluice.log" &
pid=$!
PIDS+=($pid)

cat > "$WORK/check.py" <<'PY'
import json, sys, kafkalib, gen
bootstrap, topic = sys.argv[1:3]
exp = sorted((k, json.dumps(r, sort_keys=True)) for k, r in gen.rows(40))
got = kafkalib.read_all(bootstrap, topic, expect=len(exp), timeout=60)
act = sorted((k, json.dumps(json.loads(v), sort_keys=True)) for k, v, *_ in got)
assert act == exp, "rows differ: %d expected, %d got; first %s vs %s" % (len(exp), len(act), exp[:2], act[:2])
print("%d PROTOBUF records read with inferred columns" % len(act))
PY
"$PY" "$WORK/check.py" "$BOOTSTRAP" "$out" || { tail -30 "$WORK/sluice.log" >&2; fail "outputs differ"; }
kill -0 $pid || { tail -30 "$WORK/sluice.log" >&2; fail "sluice stopped"; }
kill -TERM $pid
wait $pid || { tail -30 "$WORK/sluice.log" >&2; fail "sluice exited non-zero after SIGTERM"; }
! grep -q "processing:" "$WORK/sluice.log" || { grep "processing:" "$WORK/sluice.log" | head -5 >&2; fail "records went to the processing log"; }
echo "PASS test_registry_protobuf"
