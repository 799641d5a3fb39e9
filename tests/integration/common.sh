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
