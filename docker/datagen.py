"""Example data for the docker-compose setup: JSON sensor readings keyed by
sensor id on the `readings` topic, a few per second."""
import json
import os
import random
import time

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = os.environ.get("KAFKA_BOOTSTRAP", "kafka:9092")
admin = AdminClient({"bootstrap.servers": bootstrap})
for f in admin.create_topics([NewTopic("readings", num_partitions=3, replication_factor=1)]).values():
    try:
        f.result(30)
    except Exception:
        pass  # already there
p = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
sites = ["north", "south", "east", "west"]
while True:
    s = random.randrange(12)
    reading = {"site": sites[s % 4], "temp": round(random.uniform(15, 40), 2), "humidity": random.randrange(30, 90)}
    p.produce("readings", key="sensor-%d" % s, value=json.dumps(reading))
    p.poll(0)
    time.sleep(0.2)
