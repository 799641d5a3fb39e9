"""Generates ../joins-formatted-time.json: joins whose sides take their
record time from a TIMESTAMP column (formatted string, TIMESTAMP, BIGINT),
a formatted sink TIMESTAMP, and ksql.timestamp.throw.on.invalid. Times are
parsed here as Java's DateTimeFormatter reads yyyy-MM-dd'T'HH:mm:ssX
(checked against it); NULL and unparsable times drop the record, as
ksqlDB's extractor does."""
import json, os, sys, datetime
from casefile import dump_case_file

HERE = os.path.dirname(os.path.abspath(__file__))

FMT = "yyyy-MM-dd''T''HH:mm:ssX"
def ms(text):
    """what yyyy-MM-dd'T'HH:mm:ssX means"""
    d = datetime.datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")
    return int(d.timestamp() * 1000)
def iso(day, hour, minute=0, zone="Z"):
    return "2024-03-%02dT%02d:%02d:00%s" % (day, hour, minute, zone)

ORDERS = ("CREATE STREAM orders (id VARCHAR KEY, order_ts VARCHAR, product VARCHAR, amount DOUBLE) "
          "WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', TIMESTAMP='order_ts', TIMESTAMP_FORMAT='%s');" % FMT)
CUSTOMERS = ("CREATE TABLE customers (id VARCHAR PRIMARY KEY, name VARCHAR, tier VARCHAR) "
             "WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON');")

# --- 1: a stream with a formatted time joined to a table
customers = {"c%d" % i: ("Customer %d" % i, ["gold", "silver", "bronze"][i % 3]) for i in range(1, 6)}
inputs, outputs = [], []
for c, (n, tier) in customers.items():
    inputs.append({"topic": "customers", "key": c, "value": {"NAME": n, "TIER": tier}, "timestamp": 1})
bad = {7: None, 13: "yesterday", 19: "2024-03-05 10:00:00"}  # null, unparsable, wrong pattern
for k in range(24):
    cid = "c%d" % (1 + k % 7)  # c6, c7 have no customer row
    text = bad.get(k, iso(1 + k, 8 + k % 10, k, "Z" if k % 2 else "+0200"))
    value = {"ORDER_TS": text, "PRODUCT": "p%d" % (k % 4), "AMOUNT": 10.0 + k}
    inputs.append({"topic": "orders", "key": cid, "value": value, "timestamp": 1000 + k})
    if k in bad or cid not in customers:
        continue
    n, tier = customers[cid]
    outputs.append({"topic": "ENRICHED", "key": cid, "value": {"ORDER_TS": text, "PRODUCT": value["PRODUCT"],
                    "AMOUNT": value["AMOUNT"], "NAME": n, "TIER": tier}, "timestamp": ms(text)})
case1 = {"name": "stream with a formatted TIMESTAMP column joined to a table: records take the parsed time, bad times are dropped",
         "statements": [ORDERS, CUSTOMERS,
                        "CREATE STREAM enriched AS SELECT o.id AS id, o.order_ts, o.product, o.amount, c.name, c.tier FROM orders o JOIN customers c ON o.id = c.id;"],
         "inputs": inputs, "outputs": outputs}

# --- 2: two streams with formatted times joined WITHIN 7 DAYS; the Kafka
# record times are all equal, so only the parsed times can tell matches apart
SHIPMENTS = ("CREATE STREAM shipments (id VARCHAR KEY, shipped_at VARCHAR, carrier VARCHAR) "
             "WITH (KAFKA_TOPIC='shipments', VALUE_FORMAT='JSON', TIMESTAMP='shipped_at', TIMESTAMP_FORMAT='%s');" % FMT)
inputs, outputs = [], []
buf = {"o": [], "s": []}
events = []
for i in range(12):
    oid = "o%02d" % i
    events.append(("o", oid, iso(1 + i, 9), {"PRODUCT": "p%d" % (i % 3), "AMOUNT": 5.0 * (i + 1)}))
    # shipped 2, 6 and 9 days after the order: the first two match, the third does not
    gap = [2, 6, 9][i % 3]
    events.append(("s", oid, iso(1 + i + gap, 15) if 1 + i + gap <= 31 else "2024-04-%02dT15:00:00Z" % (1 + i + gap - 31),
                   {"CARRIER": ["DHL", "UPS", "FedEx"][i % 2]}))
events.append(("s", "o03", "not a date", {"CARRIER": "DHL"}))   # dropped: no time
events.append(("o", "o04", None, {"PRODUCT": "p9", "AMOUNT": 1.0}))  # dropped: no time
# feed in time order (the parsed times), as the sources would produce them
def when(e):
    return ms(e[2]) if e[2] and e[2][0] == "2" else 0
events.sort(key=when)
for side, oid, text, fields in events:
    if side == "o":
        inputs.append({"topic": "orders", "key": oid, "value": dict(ORDER_TS=text, **fields), "timestamp": 5000})
    else:
        inputs.append({"topic": "shipments", "key": oid, "value": dict(SHIPPED_AT=text, **fields), "timestamp": 5000})
    try:
        t = ms(text)
    except (TypeError, ValueError, AttributeError):
        continue
    other = "s" if side == "o" else "o"
    for (okey, ot, ofields, otext) in buf[other]:
        if okey != oid:
            continue
        ot_, st_ = (t, ot) if side == "o" else (ot, t)
        if abs(st_ - ot_) <= 7 * 86400000:
            o_f, s_f = (fields, ofields) if side == "o" else (ofields, fields)
            o_t, s_t = (text, otext) if side == "o" else (otext, text)
            outputs.append({"topic": "SHIPPED", "key": oid, "value": {"ORDER_TS": o_t, "PRODUCT": o_f["PRODUCT"],
                            "SHIPPED_AT": s_t, "CARRIER": s_f["CARRIER"]}, "timestamp": max(t, ot)})
    buf[side].append((oid, t, fields, text))
case2 = {"name": "two streams with formatted TIMESTAMP columns joined WITHIN 7 DAYS: matched on the parsed times",
         "statements": [ORDERS, SHIPMENTS,
                        "CREATE STREAM shipped AS SELECT o.id AS id, o.order_ts, o.product, s.shipped_at, s.carrier FROM orders o JOIN shipments s WITHIN 7 DAYS ON o.id = s.id;"],
         "inputs": inputs, "outputs": outputs}

# --- 3: every kind of TIMESTAMP column on a join's sides: a TIMESTAMP-typed
# stream column, a BIGINT table column, a formatted key column; and a
# formatted sink TIMESTAMP on the join's result
READINGS = ("CREATE STREAM readings (sensor VARCHAR KEY, read_at TIMESTAMP, celsius DOUBLE) "
            "WITH (KAFKA_TOPIC='readings', VALUE_FORMAT='JSON', TIMESTAMP='read_at');")
SENSORS = ("CREATE TABLE sensors (sensor VARCHAR PRIMARY KEY, room VARCHAR, installed BIGINT) "
           "WITH (KAFKA_TOPIC='sensors', VALUE_FORMAT='JSON', TIMESTAMP='installed');")
inputs, outputs = [], []
rooms = {"s%d" % i: "room %d" % (100 + i) for i in range(4)}
for k, (s, r) in enumerate(rooms.items()):
    inputs.append({"topic": "sensors", "key": s, "value": {"ROOM": r, "INSTALLED": 1700000000000 + k}, "timestamp": 1})
inputs.append({"topic": "sensors", "key": "s9", "value": {"ROOM": "no time", "INSTALLED": None}, "timestamp": 1})  # dropped
for k in range(20):
    s = ["s0", "s1", "s2", "s3", "s9"][k % 5]
    t = 1709280000000 + k * 60000
    when = None if k == 11 else t
    inputs.append({"topic": "readings", "key": s, "value": {"READ_AT": when, "CELSIUS": 20.0 + k / 4}, "timestamp": 42})
    if when is None or s not in rooms:
        continue
    label = datetime.datetime.fromtimestamp(t / 1000 + 3600, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S+01:00")
    outputs.append({"topic": "ROOM_READINGS", "key": s, "value": {"ROOM": rooms[s], "CELSIUS": 20.0 + k / 4,
                    "LOCAL_TIME": label}, "timestamp": t})
case3 = {"name": "TIMESTAMP-typed and BIGINT TIMESTAMP columns on a join's sides, a formatted TIMESTAMP on its sink",
         "statements": [READINGS, SENSORS,
                        "CREATE STREAM room_readings WITH (TIMESTAMP='local_time', TIMESTAMP_FORMAT='yyyy-MM-dd HH:mm:ssXXX') AS "
                        "SELECT r.sensor AS sensor, s.room, r.celsius, FORMAT_TIMESTAMP(r.read_at, 'yyyy-MM-dd HH:mm:ssXXX', '+01:00') AS local_time "
                        "FROM readings r JOIN sensors s ON r.sensor = s.sensor;"],
         "inputs": inputs, "outputs": outputs}

# --- 4: ksql.timestamp.throw.on.invalid stops a join on an unparsable time
case4 = {"name": "an unparsable formatted time in a join stops the run when ksql.timestamp.throw.on.invalid is true",
         "properties": {"ksql.timestamp.throw.on.invalid": "true"},
         "statements": [ORDERS, CUSTOMERS,
                        "CREATE STREAM enriched AS SELECT o.id AS id, o.order_ts, c.name FROM orders o JOIN customers c ON o.id = c.id;"],
         "inputs": [{"topic": "customers", "key": "c1", "value": {"NAME": "Ada", "TIER": "gold"}, "timestamp": 1},
                    {"topic": "orders", "key": "c1", "value": {"ORDER_TS": "soon", "PRODUCT": "p1", "AMOUNT": 1.0}, "timestamp": 1}],
         "expectedException": {"type": "org.apache.kafka.streams.errors.StreamsException",
                               "message": "Fatal user code error in TimestampExtractor callback for record"}}
dump_case_file([case1, case2, case3, case4], os.path.join(HERE, "..", "joins-formatted-time.json"))
print(len(case1["outputs"]), len(case2["outputs"]), len(case3["outputs"]))
