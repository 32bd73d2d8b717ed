#!/usr/bin/env bash
# Whole-process wall time of `depwatch scan --format json` of a Cargo.lock against
# `cargo audit --json` of the same file, both with their advisory database ready (RustSec
# data: depwatch imports shared/data/advisories/crates.io.zip once; cargo-audit reads the same
# records converted to the advisory-db layout by bench/cargo-audit-compare.sh, with
# `--no-fetch`). Goal: depwatch takes at most 0.3x cargo-audit's time.
#
# Usage: bench/scan-vs-cargo-audit.sh [LOCKFILE] [RUNS]
#   default: shared/data/lockfiles/rustsec.Cargo.lock, 100 runs
# Uses hyperfine when installed, else a loop timed with `date +%s%N` (median reported).
# Needs: cargo-audit on PATH (`cargo install cargo-audit --locked`), python3.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="${DEPWATCH_SHARED_DIR:-}"
if [ -z "$shared" ]; then
  dir="$repo"
  while [ "$dir" != "/" ]; do
    if [ -d "$dir/shared/data/advisories" ]; then shared="$dir/shared"; break; fi
    dir="$(dirname "$dir")"
  done
fi
[ -n "$shared" ] || { echo "shared/data/advisories not found; set DEPWATCH_SHARED_DIR" >&2; exit 2; }
command -v cargo-audit >/dev/null || { echo "cargo-audit not found: cargo install cargo-audit --locked" >&2; exit 2; }
lock="$(realpath "${1:-$shared/data/lockfiles/rustsec.Cargo.lock}")"
runs="${2:-100}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
DEPWATCH_ADVISORY_DB_OUT="$work/advisory-db" DEPWATCH_SHARED_DIR="$shared" \
  "$repo/bench/cargo-audit-compare.sh" 2> /dev/null
(cd "$repo" && cargo build -q --release -p depwatch-cli --bin depwatch)
depwatch="${CARGO_TARGET_DIR:-$repo/target}/release/depwatch"
"$depwatch" --data-dir "$work/data" advisories import "$shared/data/advisories/crates.io.zip" > /dev/null

dw_cmd=("$depwatch" --data-dir "$work/data" scan "$lock" --format json)
ca_cmd=(cargo-audit audit --json --db "$work/advisory-db" --no-fetch --no-yanked --file "$lock")
# Both must work before they are timed; cargo-audit exits 1 when it finds vulnerabilities.
"${dw_cmd[@]}" > "$work/dw.json"
(cd "$work" && "${ca_cmd[@]}" > "$work/ca.json") || [ $? -eq 1 ]
python3 -c 'import json,sys; [json.load(open(p)) for p in sys.argv[1:]]' "$work/dw.json" "$work/ca.json"

if command -v hyperfine > /dev/null; then
  cd "$work"
  hyperfine -N --warmup 10 --runs "$runs" -i --export-json "$work/hf.json" \
    -n "depwatch scan" "$(printf '%q ' "${dw_cmd[@]}")" \
    -n "cargo audit" "$(printf '%q ' "${ca_cmd[@]}")"
  # Wall time varies with the machine; CPU time (user + system) is steadier on a shared one.
  python3 - "$work/hf.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
dw, ca = r["depwatch scan"], r["cargo audit"]
cpu = lambda x: x["user"] + x["system"]
print(f"depwatch: mean {dw['mean']*1e3:.2f} ms, median {dw['median']*1e3:.2f} ms, cpu {cpu(dw)*1e3:.2f} ms")
print(f"cargo-audit: mean {ca['mean']*1e3:.2f} ms, median {ca['median']*1e3:.2f} ms, cpu {cpu(ca)*1e3:.2f} ms")
print(f"ratio depwatch/cargo-audit: mean {dw['mean']/ca['mean']:.3f}, median {dw['median']/ca['median']:.3f}, "
      f"cpu {cpu(dw)/cpu(ca):.3f} (goal <= 0.30)")
PY
  exit 0
fi

time_ms() { # median wall time in ms of "$@" over $runs runs (after one warm-up)
  local t=() t0 t1
  (cd "$work" && "$@" > /dev/null 2>&1) || true
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N)
    (cd "$work" && "$@" > /dev/null 2>&1) || true
    t1=$(date +%s%N)
    t+=("$(( (t1 - t0) / 1000 ))")
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}
dw=$(time_ms "${dw_cmd[@]}")
ca=$(time_ms "${ca_cmd[@]}")
echo "lockfile: $lock ($runs runs each, median wall time)"
echo "depwatch scan --format json: ${dw} ms"
echo "cargo audit --json:          ${ca} ms"
awk -v d="$dw" -v c="$ca" 'BEGIN { printf "ratio depwatch/cargo-audit: %.2f (goal <= 0.30)\n", d / c }'
