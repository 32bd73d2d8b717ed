#!/usr/bin/env bash
# Historical scan of REPOS repositories on the fake Bitbucket with LATENCY_MS injected per
# request, CONCURRENCY repositories at once. Prints requests per repository and wall time
# against the network bound (requests x latency / concurrency).
#   bench/historical-scan.sh [REPOS=1000] [LATENCY_MS=20] [CONCURRENCY=16]
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release -q -p depwatch-app --example historical_scan_bench -- "${1:-1000}" "${2:-20}" "${3:-16}"
