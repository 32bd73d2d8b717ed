#!/usr/bin/env bash
# Accepted webhook deliveries per second on loopback, against the SQLite-backed inbox, with a
# zero-loss check: every 2xx wrk received must have an inbox row.
#
#   bench/hook-throughput.sh [duration=20s] [connections=32] [threads=2]
#
# Needs wrk (apt-get install -y wrk) and openssl. Builds the hook-bench example in release.
set -euo pipefail

DURATION=${1:-20s}
CONNECTIONS=${2:-32}
THREADS=${3:-2}
PORT=${HOOK_BENCH_PORT:-28124}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
command -v openssl >/dev/null || { echo "openssl is needed to sign the body" >&2; exit 2; }

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -INT "$SERVER_PID"; wait "$SERVER_PID" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

SECRET=$(openssl rand -hex 32)
BODY_FILE="$ROOT/crates/depwatch-bitbucket/tests/fixtures/webhook/native-9x-update.json"
SIGNATURE="sha256=$(openssl dgst -sha256 -hmac "$SECRET" -r "$BODY_FILE" | cut -d' ' -f1)"

cd "$ROOT"
cargo build --release -q -p depwatch-hook --example hook-bench
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/hook-bench"

"$BIN" --data-dir "$WORK" --port "$PORT" --secret "$SECRET" > "$WORK/summary.json" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# Sanity: one signed request by hand must be accepted.
curl -fsS -X POST "http://127.0.0.1:$PORT/webhook" -H 'X-Event-Key: repo:refs_changed' \
  -H 'X-Request-Id: bench-sanity' -H "X-Hub-Signature: $SIGNATURE" --data-binary "@$BODY_FILE" >/dev/null

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION (body $(wc -c < "$BODY_FILE") bytes, signed, unique X-Request-Id)"
BODY_FILE="$BODY_FILE" SIGNATURE="$SIGNATURE" ACK_DIR="$WORK" \
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
  -s "$ROOT/bench/hook-throughput.lua" "http://127.0.0.1:$PORT" | tee "$WORK/wrk.txt"

kill -INT "$SERVER_PID"
wait "$SERVER_PID"
SERVER_PID=
echo "inbox: $(cat "$WORK/summary.json")"
REQUESTS=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
NON2XX=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.txt")
ACKED=$(cat "$WORK"/acked-*.txt | wc -l)
echo "wrk completed requests: $REQUESTS, non-2xx: ${NON2XX:-0}, 2xx delivery ids recorded: $ACKED"
# The summary's acked_without_row must be 0 (hook-bench exits non-zero otherwise); rows may
# exceed acked by the requests in flight when wrk stopped (committed, answer never read).
