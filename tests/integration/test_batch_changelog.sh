#!/usr/bin/env bash
# `sluice test` (memory) and `sluice run` (here through `sluice test
# --bootstrap`, which runs the Kafka driver) execute the same micro-batch
# (src/runtime/batch.c): only the record source and the commit differ. One
# case runs through both, and the changelog records the batches wrote (in
# memory: as the batch hands them to its commit; through the broker: read
# back from the changelog topics, read_committed) must be the same: per
# store and key, the same values in the same order. The case groups by a
# value column (a repartition topic through the broker, in-process in
# memory), windows, and joins a stream with a table (the table's store).
#
# The comparison is checked against a case whose input differs in one
# value: it must report a difference, so a comparison that cannot fail
# (nothing written, or the same file twice) fails the test instead.
source "$(dirname "$0")/common.sh"
cat > "$WORK/statements.sql" <<'S'
CREATE STREAM orders (id INT KEY, region VARCHAR, amount INT) WITH (kafka_topic='orders', value_format='JSON', partitions=1);
CREATE TABLE regions (region VARCHAR PRIMARY KEY, name VARCHAR) WITH (kafka_topic='regions', value_format='JSON', partitions=1);
CREATE TABLE totals AS SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY region EMIT CHANGES;
CREATE TABLE per_minute AS SELECT region, COUNT(*) AS n FROM orders WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY region EMIT CHANGES;
CREATE STREAM named AS SELECT o.region AS region, r.name AS name, o.amount AS amount FROM orders o JOIN regions r ON o.region = r.region EMIT CHANGES;
S
"$PY" - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
def case(bump):
    # The table's records come first: a table store keeps its record's
    # offset, and the memory driver numbers its input records with one
    # counter across topics where Kafka counts per partition (a difference
    # of the record source, not of the batch)
    ins, t = [], 1700000000000
    for i, r in enumerate(["north", "south", "east", "west", "north"]):
        ins.append({"topic": "regions", "key": r, "value": {"name": r.upper() + str(i)}, "timestamp": t + i})
    ins.append({"topic": "regions", "key": "east", "value": None, "timestamp": t + 10})
    regions = ["north", "south", "east", "north", "west", "south", "north", "east", "north", "west", "south", "north"]
    for i, r in enumerate(regions):
        amount = 10 * i + 1 + (bump if i == 6 else 0)
        ins.append({"topic": "orders", "key": i, "value": {"region": r, "amount": amount}, "timestamp": t + 1000 + i * 25000})
    return {"inputs": ins}
json.dump(case(0), open(work + "/input.json", "w"), indent=1)
json.dump(case(5), open(work + "/input-other.json", "w"), indent=1)
PY
cat > "$WORK/compare.py" <<'PY'
import collections, json, sys
def per_key(path):
    seq = collections.OrderedDict()
    for c in json.load(open(path))["changelog"]:
        seq.setdefault((c["store"], c["key"]), []).append(c["value"])
    return seq
a, b = per_key(sys.argv[1]), per_key(sys.argv[2])
if not a or not b:
    print("no changelog records (%d and %d keys)" % (len(a), len(b)))
    sys.exit(1)
bad = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
for k in bad[:10]:
    print("%s %s:\n  memory: %s\n  broker: %s" % (k[0], k[1], a.get(k), b.get(k)))
print("%d store keys, %d changelog records, %d differ" % (len(a), sum(map(len, a.values())), len(bad)))
sys.exit(1 if bad else 0)
PY
cd "$WORK"
"$SLUICE" test -s statements.sql -i input.json --changelog memory.json > memory-out.json || fail "sluice test (memory) failed"
"$SLUICE" test -s statements.sql -i input-other.json --changelog other.json > /dev/null || fail "sluice test (memory, other input) failed"
"$SLUICE" test -s statements.sql -i input.json --bootstrap "$BOOTSTRAP" --changelog broker.json > broker-out.json \
  || fail "sluice test --bootstrap failed"
# the stores the memory batch wrote: every query's, none missing
"$PY" - <<'PY' || fail "the memory run did not write every store's changelog"
import json
stores = {c["store"] for c in json.load(open("memory.json"))["changelog"]}
print("stores written:", " ".join(sorted(stores)))
assert len(stores) >= 3, stores
PY
if "$PY" compare.py memory.json other.json > control.txt; then
  cat control.txt
  fail "the comparison found no difference between two different inputs"
fi
"$PY" compare.py memory.json broker.json || fail "memory and broker batches wrote different changelog records"
echo "PASS: the memory and broker batches wrote the same changelog records"
