"""Generates ../limits-wide.json: statements wider than fixed arrays the
code once had: a STRUCT type of 300 fields (the parser held 256 and
refused more) and a projection with 20 EXPLODEs (16 were refused).

Expected rows follow ksqlDB's documented semantics: a struct field reads
its value; EXPLODEs in one select emit one row per element of the longest
array, a shorter array giving NULL (ksqlDB's "table functions" docs)."""
import os
from casefile import dump_case_file

HERE = os.path.dirname(os.path.abspath(__file__))
tests = []

# a STRUCT of 300 fields, read first, middle and last
nf = 300
fields = ", ".join("F%d INT" % i for i in range(nf))
rows = [{"F%d" % i: k * 1000 + i for i in range(nf)} for k in range(3)]
tests.append({
    "name": "a STRUCT type of %d fields (the parser held 256)" % nf,
    "statements": [
        "CREATE STREAM S (ID INT KEY, R STRUCT<%s>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');" % fields,
        "CREATE STREAM O AS SELECT ID, R->F0 AS FIRST, R->F150 AS MIDDLE, R->F%d AS LAST FROM S;" % (nf - 1),
    ],
    "inputs": [{"topic": "s", "key": k, "value": {"R": r}, "timestamp": 10 * k} for k, r in enumerate(rows)],
    "outputs": [{"topic": "O", "key": k, "value": {"FIRST": r["F0"], "MIDDLE": r["F150"], "LAST": r["F%d" % (nf - 1)]},
                 "timestamp": 10 * k} for k, r in enumerate(rows)],
})

# 20 EXPLODEs over arrays of different lengths
ne = 20
arrays = {"A%d" % i: list(range(i * 10, i * 10 + (i % 4))) for i in range(ne)}  # lengths 0..3
longest = max(len(a) for a in arrays.values())
outputs = []
for j in range(longest):
    outputs.append({"topic": "E", "key": 1,
                    "value": {"E%d" % i: (arrays["A%d" % i][j] if j < len(arrays["A%d" % i]) else None) for i in range(ne)},
                    "timestamp": 5})
tests.append({
    "name": "%d EXPLODEs in one select (16 were refused): one row per element of the longest array" % ne,
    "statements": [
        "CREATE STREAM S (ID INT KEY, %s) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
        % ", ".join("A%d ARRAY<INT>" % i for i in range(ne)),
        "CREATE STREAM E AS SELECT ID, %s FROM S;" % ", ".join("EXPLODE(A%d) AS E%d" % (i, i) for i in range(ne)),
    ],
    "inputs": [{"topic": "s", "key": 1, "value": arrays, "timestamp": 5}],
    "outputs": outputs,
})

dump_case_file(tests, os.path.join(HERE, "..", "limits-wide.json"))
