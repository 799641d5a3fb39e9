"""Generates ../joins-key-downstream.json: a join's result read by later
queries (projection, WHERE, PARTITION BY its key, a chain, a table-table
join read by a CTAS) keeps the join key, as in ksqlDB. GEO_DISTANCE is
computed as ksqlDB does (haversine, radius 6371 km)."""
import json, os, sys, math
from casefile import dump_case_file

HERE = os.path.dirname(os.path.abspath(__file__))

def geo(lat1, lon1, lat2, lon2):
    """GEO_DISTANCE in km, as ksqlDB computes it (haversine, radius 6371)"""
    hav = lambda x: math.sin(x / 2) ** 2
    dlat, dlon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = hav(dlat) + hav(dlon) * math.cos(math.radians(lat1)) * math.cos(math.radians(lat2))
    return 2 * math.asin(math.sqrt(a)) * 6371

S = ("CREATE STREAM s (id VARCHAR KEY, name VARCHAR, state VARCHAR, lat DOUBLE, lon DOUBLE) "
     "WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');")
T = ("CREATE TABLE t (state_key VARCHAR PRIMARY KEY, capital VARCHAR, clat DOUBLE, clon DOUBLE) "
     "WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');")
J = "CREATE STREAM j AS SELECT * FROM s JOIN t ON s.state = t.state_key;"
capitals = {"CA": ("Sacramento", 38.5816, -121.4944), "TX": ("Austin", 30.2672, -97.7431),
            "NY": ("Albany", 42.6526, -73.7562), "WA": ("Olympia", 47.0379, -122.9007)}
people = [("Ann", "CA", 37.7749, -122.4194), ("Bob", "TX", 29.7604, -95.3698), ("Cyd", "NY", 40.7128, -74.0060),
          ("Dee", "WA", 47.6062, -122.3321), ("Eve", "OR", 45.5152, -122.6784), ("Fay", None, 0.0, 0.0)]
inputs, joined = [], []
for st, (cap, la, lo) in capitals.items():
    inputs.append({"topic": "t", "key": st, "value": {"CAPITAL": cap, "CLAT": la, "CLON": lo}, "timestamp": 1000})
t = 2000
for k in range(30):
    name, st, la, lo = people[k % len(people)]
    la, lo = la + k * 0.01, lo - k * 0.01
    t += 1000
    inputs.append({"topic": "s", "key": "u%02d" % k, "value": {"NAME": name, "STATE": st, "LAT": la, "LON": lo}, "timestamp": t})
    if st in capitals:  # an INNER join: no state row, or a NULL state, no output
        cap, cla, clo = capitals[st]
        joined.append(dict(id="u%02d" % k, name=name, state=st, lat=la, lon=lo, cap=cap, cla=cla, clo=clo, ts=t))

def j_value(r):
    return {"S_ID": r["id"], "S_NAME": r["name"], "S_LAT": r["lat"], "S_LON": r["lon"], "T_STATE_KEY": r["state"],
            "T_CAPITAL": r["cap"], "T_CLAT": r["cla"], "T_CLON": r["clo"]}

def case(name, stmts, topic, value_of, keep=lambda r: True, key_of=lambda r: r["state"]):
    outs = [{"topic": topic, "key": key_of(r), "value": value_of(r), "timestamp": r["ts"]} for r in joined if keep(r)]
    return {"name": name, "statements": [S, T, J] + stmts, "inputs": inputs, "outputs": outs}

cases = [
    case("a projection of a join's result keeps the join key",
         ["CREATE STREAM d AS SELECT s_name, s_state, GEO_DISTANCE(s_lat, s_lon, t_clat, t_clon) AS km FROM j;"],
         "D", lambda r: {"S_NAME": r["name"], "KM": geo(r["lat"], r["lon"], r["cla"], r["clo"])}),
    case("a WHERE over a join's result keeps the join key",
         ["CREATE STREAM far AS SELECT * FROM j WHERE GEO_DISTANCE(s_lat, s_lon, t_clat, t_clon) > 100;"],
         "FAR", j_value, keep=lambda r: geo(r["lat"], r["lon"], r["cla"], r["clo"]) > 100),
    case("a PARTITION BY a join's result's own key column keeps it",
         ["CREATE STREAM p AS SELECT s_state, s_name, t_capital FROM j PARTITION BY s_state;"],
         "P", lambda r: {"S_NAME": r["name"], "T_CAPITAL": r["cap"]}),
    case("a chain of projections over a join's result keeps the join key",
         ["CREATE STREAM d AS SELECT s_state, s_name, t_capital, s_lat FROM j;",
          "CREATE STREAM e AS SELECT s_name, UCASE(t_capital) AS capital, s_state FROM d WHERE s_lat > 0;"],
         "E", lambda r: {"S_NAME": r["name"], "CAPITAL": r["cap"].upper()}),
]

# a table-table join's result read by a later CTAS (projection and WHERE)
A = "CREATE TABLE accounts (id INT PRIMARY KEY, owner VARCHAR, region VARCHAR) WITH (KAFKA_TOPIC='accounts', VALUE_FORMAT='JSON');"
B = "CREATE TABLE balances (id INT PRIMARY KEY, amount DOUBLE) WITH (KAFKA_TOPIC='balances', VALUE_FORMAT='JSON');"
AB = "CREATE TABLE ab AS SELECT * FROM accounts a JOIN balances b ON a.id = b.id;"
inputs2, state_a, state_b, outs_x, outs_y = [], {}, {}, [], []
passed, never_passed_updates = {}, []
t = 0
owners = ["Ann", "Bob", "Cyd", "Dee", "Eve", "Fay"]
for k in range(30):
    t += 100
    i = k % 7
    if k % 3 == 0:
        row = {"OWNER": owners[k % 6], "REGION": ["eu", "us", "apac"][(k // 3) % 3]}
        inputs2.append({"topic": "accounts", "key": i, "value": row, "timestamp": t})
        state_a[i] = (row, t)
    else:
        row = {"AMOUNT": 10.5 * k}
        inputs2.append({"topic": "balances", "key": i, "value": row, "timestamp": t})
        state_b[i] = (row, t)
    if i in state_a and i in state_b:  # an update of either side re-emits the joined row
        (a, ta), (b, tb) = state_a[i], state_b[i]
        ts = max(ta, tb)
        outs_x.append({"topic": "X", "key": i, "value": {"A_OWNER": a["OWNER"], "TOTAL": b["AMOUNT"] * 2}, "timestamp": ts})
        if a["REGION"] != "apac":
            outs_y.append({"topic": "Y", "key": i, "value": {"A_OWNER": a["OWNER"], "A_REGION": a["REGION"],
                           "B_ID": i, "B_AMOUNT": b["AMOUNT"]}, "timestamp": ts})
            passed[i] = True
        elif passed.get(i):  # a row that stops passing the filter is withdrawn
            outs_y.append({"topic": "Y", "key": i, "value": None, "timestamp": ts})
            passed[i] = False
        # (a row that did not pass and still does not: nothing, as ksqlDB's
        # "table table join with where clause" case shows)
cases.append({"name": "a table-table join's result read by a later CTAS keeps its key",
              "statements": [A, B, AB, "CREATE TABLE x AS SELECT a_id, a_owner, b_amount * 2 AS total FROM ab;"],
              "inputs": inputs2, "outputs": outs_x})
cases.append({"name": "a table-table join's result filtered by a later CTAS keeps its key",
              "statements": [A, B, AB, "CREATE TABLE y AS SELECT * FROM ab WHERE a_region <> 'apac';"],
              "inputs": inputs2, "outputs": outs_y})
dump_case_file(cases, os.path.join(HERE, "..", "joins-key-downstream.json"))
print([len(c["outputs"]) for c in cases])
