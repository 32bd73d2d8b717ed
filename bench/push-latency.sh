#!/usr/bin/env bash
# Push -> finding-event latency through the monitoring runtime (fake Bitbucket, signed webhook,
# real listener, inbox, worker, 1,000-package Cargo.lock, OSV export in SQLite).
#   bench/push-latency.sh [PUSHES=200] [PACKAGES=1000] [ADVISORIES=OSV all.zip, dir or file]
# Default advisories: the crates.io export in ../shared/data when present, else the test fixtures.
# Goal (issue 6): p50 <= 50 ms, p99 <= 150 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
DEFAULT_ADVISORIES=crates/depwatch-app/tests/fixtures/osv-rustsec
# The shared data sits beside the main checkout (../shared) or beside the worktrees (../../shared).
for shared in ../shared ../../shared; do
  if [ -f "$shared/data/advisories/crates.io.zip" ]; then
    DEFAULT_ADVISORIES=$(cd "$shared/data/advisories" && pwd)/crates.io.zip
    break
  fi
done
exec nice -n 10 cargo run --release -q -p depwatch-app --example push_latency_bench -- \
  "${1:-200}" "${2:-1000}" "${3:-$DEFAULT_ADVISORIES}"
