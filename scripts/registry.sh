#!/usr/bin/env bash
# A Confluent-compatible schema registry on 127.0.0.1 for tests and local
# runs: Apicurio Registry 2.6.13.Final (in-memory storage) from Maven Central,
# run with Java 17. Its Confluent API is under /apis/ccompat/v7.
#   scripts/registry.sh start   # returns once it answers; prints the URL to give Sluice
#   scripts/registry.sh stop    # stops it and removes its data
#   scripts/registry.sh restart # stops it, waits REGISTRY_DOWN_SECONDS (default 0), starts it on the same data
#   scripts/registry.sh status  # "running" (exit 0) or "stopped" (exit 1)
# Its storage is Apicurio's H2 database, kept in a file (not Apicurio's
# default, memory) so that a restart keeps the schemas and their ids.
# REGISTRY_PORT (default 8081) picks the port. Apicurio's own default
# compatibility is NONE; start sets BACKWARD, Confluent's default, so that an
# incompatible schema is refused as a Confluent registry would refuse it.
set -euo pipefail
cache=${SLUICE_CACHE:-$HOME/.cache/sluice}
version=2.6.13.Final
home="$cache/apicurio-registry-$version"
jar="$home/apicurio-registry-app-$version-runner.jar"
port=${REGISTRY_PORT:-8081}
state="${TMPDIR:-/tmp}/sluice-registry-$port"
api="http://127.0.0.1:$port/apis/ccompat/v7"

running() {
  [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null
}

answers() {
  curl -fsS -o /dev/null --max-time 2 "$api/subjects" 2>/dev/null
}

fetch() {
  [ -f "$jar" ] && return 0
  local tmp
  tmp=$(mktemp -d)
  mvn -q -B -Dstyle.color=never dependency:copy -Dartifact="io.apicurio:apicurio-registry-app:$version:tar.gz:all" \
      -DoutputDirectory="$tmp" >&2
  mkdir -p "$home.part"
  tar -xzf "$tmp"/apicurio-registry-app-*.tar.gz -C "$home.part"
  rm -rf "$tmp"
  # the archive holds the runner jar and its lib/ at its top level or in one
  # directory: keep whichever it is as $home
  local top
  top=$(dirname "$(find "$home.part" -name "apicurio-registry-app-$version-runner.jar" | head -n 1)")
  rm -rf "$home"
  mv "$top" "$home"
  rm -rf "$home.part"
}

start() {
  if running; then
    echo "$api"
    return 0
  fi
  fetch
  rm -rf "$state"
  mkdir -p "$state/data"
  launch
  curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
       --data '{"compatibility":"BACKWARD"}' "$api/config"
  echo "$api"
}

# runs the registry on the data in $state until it answers
launch() {
  HTTP_PORT=$port QUARKUS_HTTP_HOST=127.0.0.1 ENABLE_CCOMPAT_CANONICAL_HASH_MODE=true \
  REGISTRY_DATASOURCE_URL="jdbc:h2:file:$state/data/registry" \
    nohup java -Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
         -jar "$jar" >>"$state/stdout.log" 2>&1 &
  echo $! > "$state/pid"
  local deadline=$((SECONDS + 120))
  until answers; do
    if ! running || [ $SECONDS -ge $deadline ]; then
      echo "registry.sh: the registry did not start; last log lines:" >&2
      tail -n 30 "$state/stdout.log" >&2 2>/dev/null || true
      stop >/dev/null 2>&1 || true
      return 1
    fi
    sleep 0.5
  done
}

halt() {
  local pid
  pid=$(cat "$state/pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -9 "$pid" 2>/dev/null || true
}

# stops the registry (SIGTERM) and starts it again on the same data: for
# tests of clients riding through a registry outage
restart() {
  running || { echo "registry.sh: not running" >&2; return 1; }
  halt
  sleep "${REGISTRY_DOWN_SECONDS:-0}"
  launch
  echo "$api"
}

stop() {
  if running; then
    halt
  fi
  rm -rf "$state"
  echo "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  status)
    if running; then echo "running ($api)"; else echo "stopped"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
