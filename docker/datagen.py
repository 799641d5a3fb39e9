"""Example data for the docker-compose setup, and for the same setup run
without Docker (README, "Deploy"): JSON sensor readings keyed by sensor id on
the `readings` topic, five a second, until stopped.

The topic is Sluice's to create (its statement in config/sensors.sql says
PARTITIONS=3), so the generator waits for it instead of racing Sluice to
create it, or letting a broker with auto.create.topics.enable make it with
its own default partition count. It lists all topics to look: a metadata
request naming the topic would itself auto-create it."""
import json
import os
import random
import signal
import time

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient

bootstrap = os.environ.get("KAFKA_BOOTSTRAP", "kafka:9092")
topic = "readings"
stopping = False


def stop(signum, frame):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)

admin = AdminClient({"bootstrap.servers": bootstrap})
waited = 0
while not stopping:
    try:
        t = admin.list_topics(timeout=10).topics.get(topic)
        if t is not None and t.error is None and t.partitions:
            break
    except KafkaException:
        pass  # the broker is not answering yet
    if waited % 10 == 0:
        print("datagen: waiting for topic %s on %s (Sluice creates it)" % (topic, bootstrap), flush=True)
    waited += 1
    time.sleep(1)
if not stopping:
    print("datagen: writing sensor readings to %s (%d partitions)" % (topic, len(t.partitions)), flush=True)

p = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random", "linger.ms": 5})
sites = ["north", "south", "east", "west"]
while not stopping:
    s = random.randrange(12)
    reading = {"site": sites[s % 4], "temp": round(random.uniform(15, 40), 2), "humidity": random.randrange(30, 90)}
    p.produce(topic, key="sensor-%d" % s, value=json.dumps(reading))
    p.poll(0)
    time.sleep(0.2)
p.flush(10)
