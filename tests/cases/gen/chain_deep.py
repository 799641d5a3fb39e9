"""Generates ../chain-deep.json: a chain of 40 streams, each a projection of
the one before (S1 from S0, S2 from S1, ...). Every record reaches every
stream of the chain, as ksqlDB's topology passes it on; `sluice test`
re-entered chained records at most 32 deep and silently lost the outputs
of the streams past that."""
import os
from casefile import dump_case_file

HERE = os.path.dirname(os.path.abspath(__file__))
n = 40
statements = ["CREATE STREAM S0 (ID INT KEY, V INT) WITH (KAFKA_TOPIC='s0', VALUE_FORMAT='JSON');"]
for i in range(1, n + 1):
    statements.append("CREATE STREAM S%d AS SELECT ID, V + 1 AS V FROM S%d;" % (i, i - 1))
inputs = [{"topic": "s0", "key": k, "value": {"V": 10 * k}, "timestamp": k} for k in range(3)]
outputs = []
for k in range(3):  # depth first: each record runs down the whole chain
    for i in range(1, n + 1):
        outputs.append({"topic": "S%d" % i, "key": k, "value": {"V": 10 * k + i}, "timestamp": k})
dump_case_file([{"name": "a chain of %d streams: every record reaches the last" % n, "statements": statements,
                 "inputs": inputs, "outputs": outputs}], os.path.join(HERE, "..", "chain-deep.json"))
