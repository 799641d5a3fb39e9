# Shared by the integration tests: broker, venv python, unique names, cleanup.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SLUICE=${1:-$repo/build/sluice}
case "$SLUICE" in /*) ;; *) SLUICE=$repo/$SLUICE ;; esac
PY=${SLUICE_CACHE:-$HOME/.cache/sluice}/venv/bin/python
BOOTSTRAP=$("$repo/scripts/kafka.sh" start)
export PYTHONPATH=$repo/tests/integration
RUN_ID=$(date +%s)_$$
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  if [ "${KEEP_WORK:-}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# The port of an endpoint started on listeners=http://127.0.0.1:0, read from
# the log line it prints; fails if the process exits first or never says.
endpoint_port() { # $1: the log file, $2: the sluice pid
  local port=
  for _ in $(seq 1 300); do
    port=$(sed -n 's|.*http: listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' "$1" | head -1)
    [ -n "$port" ] && break
    kill -0 "$2" 2>/dev/null || { cat "$1" >&2; fail "sluice exited before listening"; }
    sleep 0.1
  done
  [ -n "$port" ] && [ "$port" -gt 0 ] || { tail -20 "$1" >&2; fail "no 'listening on' line in $1"; }
  echo "$port"
}
