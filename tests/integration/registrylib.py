"""Schema-registry helpers for the integration tests, on confluent-kafka's
own serializers: records are produced as a Confluent producer writes them,
and read back by deserializers that resolve every record's schema id
through the registry (AVRO and JSON_SR by id; PROTOBUF by compiling the
.proto the id names with protoc, then decoding with that class), so a
schema Sluice registered wrongly, or a record with a wrong id, fails here."""
import os
import struct
import tempfile

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

import kafkalib


def client(url):
    return SchemaRegistryClient({"url": url})


def serialize(url, topic, fmt, schema_str, records):
    """records: (key str, value dict) -> (key str, value bytes), the values
    serialized as AVRO or JSON_SR with schema_str, registered under
    <topic>-value by the serializer (so the registry must be up)"""
    sr = client(url)
    if fmt == "AVRO":
        ser = AvroSerializer(sr, schema_str)
    else:
        ser = JSONSerializer(schema_str, sr)
    return [(k, ser(v, SerializationContext(topic, MessageField.VALUE))) for k, v in records]


def produce(bootstrap, url, topic, fmt, schema_str, records):
    kafkalib.produce(bootstrap, topic, serialize(url, topic, fmt, schema_str, records))


def schema_id(data):
    """the Confluent header's schema id; raises on a missing header"""
    assert data is not None and len(data) >= 5 and data[0] == 0, "no Confluent header: %r" % (data[:8],)
    return struct.unpack(">i", data[1:5])[0]


_proto_classes = {}


def _proto_class(sr, sid):
    """the first message of the .proto registered as sid, compiled into a
    descriptor pool of its own (a key's and a value's schema may both name
    their message ConnectDefault1)"""
    if sid in _proto_classes:
        return _proto_classes[sid]
    from grpc_tools import protoc
    import grpc_tools
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    text = sr.get_schema(sid).schema_str
    d = tempfile.mkdtemp()
    name = "schema_%d.proto" % sid
    with open(os.path.join(d, name), "w") as f:
        f.write(text)
    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    out = os.path.join(d, "set.pb")
    rc = protoc.main(["protoc", "-I" + d, "-I" + include, "--include_imports", "--descriptor_set_out=" + out, name])
    assert rc == 0, "protoc rejected the registered schema %d:\n%s" % (sid, text)
    fds = descriptor_pb2.FileDescriptorSet.FromString(open(out, "rb").read())
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    mine = [f for f in fds.file if f.name == name][0]
    prefix = mine.package + "." if mine.package else ""
    desc = pool.FindMessageTypeByName(prefix + mine.message_type[0].name)
    _proto_classes[sid] = message_factory.GetMessageClass(desc)
    return _proto_classes[sid]


def _decoder(sr, fmt, field):
    if fmt == "AVRO":
        d = AvroDeserializer(sr)
        return lambda topic, data: d(data, SerializationContext(topic, field))
    if fmt == "JSON_SR":
        d = JSONDeserializer(None, schema_registry_client=sr)
        return lambda topic, data: d(data, SerializationContext(topic, field))
    if fmt == "PROTOBUF":
        from google.protobuf.json_format import MessageToDict

        def pb(topic, data):
            cls = _proto_class(sr, schema_id(data))
            d = ProtobufDeserializer(cls, {"use.deprecated.format": False})
            msg = d(data, SerializationContext(topic, field))
            return MessageToDict(msg, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
        return pb
    if fmt == "KAFKA":
        return lambda topic, data: data.decode()
    raise ValueError(fmt)


def read_decoded(bootstrap, url, topic, key_fmt, value_fmt, expect, timeout=60, idle=5):
    """(key, value, key id, value id) of every committed record of the topic,
    each decoded through the registry; ids None for a format without them"""
    sr = client(url)
    dk = _decoder(sr, key_fmt, MessageField.KEY)
    dv = _decoder(sr, value_fmt, MessageField.VALUE)
    out = []
    for k, v, p, o, ts in kafkalib.read_all(bootstrap, topic, expect=expect, timeout=timeout, idle=idle,
                                               raw_keys=True):
        kid = schema_id(k) if key_fmt != "KAFKA" and k is not None else None
        vid = schema_id(v) if v is not None else None
        out.append((dk(topic, k) if k is not None else None, dv(topic, v) if v is not None else None, kid, vid))
    return out
