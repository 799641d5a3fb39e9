"""Generates ../joins-chain-strings.json: queries reading another query's
output with their columns in another order (a stream LEFT JOIN two tables,
table columns first; a plain chained projection). Expected rows follow
ksqlDB's stream-table LEFT JOIN: each order meets the latest customer and
item rows before it, NULLs when there is none, at the order's time."""
import json, os, random
from casefile import dump_case_file

HERE = os.path.dirname(os.path.abspath(__file__))
random.seed(7)
customers = {"c1": ("Ada Lovelace", "London"), "c2": ("Grace Hopper", "Arlington"),
             "c3": ("Edsger Dijkstra", "Nuenen"), "c4": ("Barbara Liskov", "Boston")}
items = {"i1": ("Widget", 2.5), "i2": ("Gadget", 10.0), "i3": ("Sprocket assembly kit", 47.25), "i4": ("Nut", 0.1)}
inputs, outputs = [], []
for c, (n, city) in customers.items():
    inputs.append({"topic": "customers", "key": c, "value": {"CUSTOMERNAME": n, "CITY": city}, "timestamp": 1000})
for i, (n, p) in items.items():
    inputs.append({"topic": "items", "key": i, "value": {"ITEMNAME": n, "PRICE": p}, "timestamp": 1000})
cust = dict(customers); it = dict(items)
t = 2000
for k in range(30):
    if k == 15:  # a customer moves, an item is renamed: later orders see the new rows
        cust["c2"] = ("Grace Hopper", "Washington D.C.")
        inputs.append({"topic": "customers", "key": "c2", "value": {"CUSTOMERNAME": "Grace Hopper", "CITY": "Washington D.C."}, "timestamp": t})
        it["i4"] = ("Hex nut M6", 0.15)
        inputs.append({"topic": "items", "key": "i4", "value": {"ITEMNAME": "Hex nut M6", "PRICE": 0.15}, "timestamp": t})
    t += 1000
    oid = "abc%d" % (123 + k) if k % 3 else "order-%05d-x" % (k * 37)
    cid = random.choice(["c1", "c2", "c3", "c4", "c9"])
    iid = random.choice(["i1", "i2", "i3", "i4", "i8"])
    date = "2024-03-%02dT10:%02d:00Z" % (1 + k % 28, k)
    qty = 1 + (k * 7) % 11
    inputs.append({"topic": "orders", "key": oid, "value": {"CUSTOMERID": cid, "ITEMID": iid, "PURCHASEDATE": date, "QUANTITY": qty}, "timestamp": t})
    cn, city = cust.get(cid, (None, None)); iname, price = it.get(iid, (None, None))
    outputs.append({"topic": "ENRICHED", "key": iid, "value": {
        "CUSTOMERID": cid if cid in cust else None, "CUSTOMERNAME": cn, "CITY": city,
        "ITEMNAME": iname, "PRICE": price, "ORDERID": oid, "PURCHASEDATE": date, "QUANTITY": qty}, "timestamp": t})
case1 = {"name": "stream LEFT JOIN table LEFT JOIN table, table columns selected before stream columns",
  "statements": [
    "CREATE STREAM orders (orderid VARCHAR KEY, customerid VARCHAR, itemid VARCHAR, purchasedate VARCHAR, quantity INT) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON');",
    "CREATE TABLE customers (customerid VARCHAR PRIMARY KEY, customername VARCHAR, city VARCHAR) WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON');",
    "CREATE TABLE items (itemid VARCHAR PRIMARY KEY, itemname VARCHAR, price DOUBLE) WITH (KAFKA_TOPIC='items', VALUE_FORMAT='JSON');",
    "CREATE STREAM enriched AS SELECT customers.customerid AS customerid, customers.customername, customers.city, items.itemname, items.price, orders.orderid, orders.purchasedate, orders.quantity, orders.itemid AS itemid FROM orders LEFT JOIN customers ON orders.customerid = customers.customerid LEFT JOIN items ON orders.itemid = items.itemid EMIT CHANGES;"],
  "inputs": inputs, "outputs": outputs}
# the same flaw without a join: a query reading another query's output, its columns in another order
inputs2, outputs2 = [], []
for k in range(24):
    name = ["Ada", "Grace Hopper", "Edsger W. Dijkstra", "Liskov"][k % 4]
    email = "%s.%d@example.com" % (name.split()[0].lower(), k)
    city = ["London", "Arlington", "Nuenen", "Boston", "Zurich"][k % 5]
    inputs2.append({"topic": "users", "key": "u%d" % k, "value": {"NAME": name, "EMAIL": email, "CITY": city}, "timestamp": 100 + k})
    outputs2.append({"topic": "USERS_BY_CITY", "key": "u%d" % k, "value": {"CITY": city, "EMAIL": email, "NAME": name}, "timestamp": 100 + k})
case2 = {"name": "a query reading another query's output, its columns reordered",
  "statements": [
    "CREATE STREAM users (userid VARCHAR KEY, name VARCHAR, email VARCHAR, city VARCHAR) WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON');",
    "CREATE STREAM users_copy AS SELECT * FROM users;",
    "CREATE STREAM users_by_city AS SELECT userid, city, email, name FROM users_copy;"],
  "inputs": inputs2, "outputs": outputs2}
dump_case_file([case1, case2], os.path.join(HERE, "..", "joins-chain-strings.json"))
