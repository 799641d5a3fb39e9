#!/usr/bin/env bash
# A single-node Apache Kafka 3.9 broker (KRaft, broker + controller in one
# process) on 127.0.0.1 for tests and local runs.
#   scripts/kafka.sh start   # returns once the broker answers; prints the bootstrap address
#   scripts/kafka.sh stop    # stops it and removes its data
#   scripts/kafka.sh restart # stops it and starts it again on the same data
#   scripts/kafka.sh status  # "running" (exit 0) or "stopped" (exit 1)
# KAFKA_PORT (default 9092) picks the port; the controller uses KAFKA_PORT+1.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${SLUICE_CACHE:-$HOME/.cache/sluice}
libs="$cache/kafka-3.9.1/libs"
port=${KAFKA_PORT:-9092}
cport=$((port + 1))
state="${TMPDIR:-/tmp}/sluice-kafka-$port"

running() {
  [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null
}

answers() {
  # a metadata request through the broker's own client tool would cost a JVM
  # start; the venv's client is fast and independent of Sluice
  if [ -x "$cache/venv/bin/python" ]; then
    "$cache/venv/bin/python" - "$port" <<'PY' 2>/dev/null
import sys
from confluent_kafka.admin import AdminClient
md = AdminClient({"bootstrap.servers": "127.0.0.1:" + sys.argv[1]}).list_topics(timeout=2)
sys.exit(0 if md.brokers else 1)
PY
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

start() {
  if running; then
    echo "127.0.0.1:$port"
    return 0
  fi
  if [ ! -f "$libs/kafka_2.13-3.9.1.jar" ]; then
    mvn -q -B -f "$here/scripts/kafka/pom.xml" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$libs" >&2
  fi
  rm -rf "$state"
  mkdir -p "$state/data" "$state/logs"
  cat > "$state/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$state/data
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
transaction.abort.timed.out.transaction.cleanup.interval.ms=5000
transaction.remove.expired.transaction.cleanup.interval.ms=10000
log.flush.interval.messages=100000
# tests write records with times from 1970 (ksqlDB's cases) and an hour ago:
# nothing is deleted for its age while a test runs
log.retention.ms=-1
PROPS
  local cp="$libs/*"
  local id
  id=$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
  java -cp "$cp" -Dlog4j.configuration="file:$here/scripts/kafka/log4j.properties" \
       -Dkafka.logs.dir="$state/logs" \
       kafka.tools.StorageTool format -t "$id" -c "$state/server.properties" >"$state/logs/format.log" 2>&1
  launch
  echo "127.0.0.1:$port"
}

# runs the broker on the formatted data in $state until it answers
launch() {
  local cp="$libs/*"
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
       -Dlog4j.configuration="file:$here/scripts/kafka/log4j.properties" -Dkafka.logs.dir="$state/logs" \
       -cp "$cp" kafka.Kafka "$state/server.properties" >>"$state/logs/stdout.log" 2>&1 &
  echo $! > "$state/pid"
  local deadline=$((SECONDS + 90))
  until answers; do
    if ! running || [ $SECONDS -ge $deadline ]; then
      echo "kafka.sh: the broker did not start; last log lines:" >&2
      tail -n 30 "$state/logs/stdout.log" "$state/logs/server.log" >&2 2>/dev/null || true
      stop >/dev/null 2>&1 || true
      return 1
    fi
    sleep 0.5
  done
}

# stops the broker process (SIGTERM, as an operator would) and starts it again
# on the same data: for tests of clients riding through a broker restart
restart() {
  running || { echo "kafka.sh: not running" >&2; return 1; }
  local pid
  pid=$(cat "$state/pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -9 "$pid" 2>/dev/null || true
  sleep "${KAFKA_DOWN_SECONDS:-0}"
  launch
  echo "127.0.0.1:$port"
}

stop() {
  if running; then
    local pid
    pid=$(cat "$state/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$state"
  echo "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  status)
    if running; then echo "running (127.0.0.1:$port)"; else echo "stopped"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
