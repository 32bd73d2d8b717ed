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
  # Blocks that alternate which command goes first: a slow spell on a shared machine then
  # hits both commands of a block alike, and the per-block ratios show the spread.
  blocks=10
  per_block=$(( (runs + blocks - 1) / blocks ))
  dw_args=(-n "depwatch scan" "$(printf '%q ' "${dw_cmd[@]}")")
  ca_args=(-n "cargo audit" "$(printf '%q ' "${ca_cmd[@]}")")
  for b in $(seq "$blocks"); do
    if [ $((b % 2)) -eq 1 ]; then order=("${dw_args[@]}" "${ca_args[@]}"); else order=("${ca_args[@]}" "${dw_args[@]}"); fi
    hyperfine -N --style none --warmup 3 --runs "$per_block" -i --export-json "$work/hf-$b.json" "${order[@]}" > /dev/null 2>&1
  done
  python3 - "$work" "$blocks" "$lock" <<'PY'
import json, statistics as st, sys
work, blocks, lock = sys.argv[1], int(sys.argv[2]), sys.argv[3]
times = {"depwatch scan": [], "cargo audit": []}
cpu = {"depwatch scan": [], "cargo audit": []}
ratios = []
for b in range(1, blocks + 1):
    r = {x["command"]: x for x in json.load(open(f"{work}/hf-{b}.json"))["results"]}
    for name in times:
        times[name] += r[name]["times"]
        cpu[name].append(r[name]["user"] + r[name]["system"])
    ratios.append(r["depwatch scan"]["mean"] / r["cargo audit"]["mean"])
dw, ca = times["depwatch scan"], times["cargo audit"]
ms = lambda x: f"{x * 1e3:.2f} ms"
print(f"lockfile: {lock}; {blocks} blocks of {len(dw) // blocks} runs per command")
print(f"depwatch:    mean {ms(st.mean(dw))}, median {ms(st.median(dw))}, cpu {ms(st.mean(cpu['depwatch scan']))}")
print(f"cargo-audit: mean {ms(st.mean(ca))}, median {ms(st.median(ca))}, cpu {ms(st.mean(cpu['cargo audit']))}")
print(f"ratio depwatch/cargo-audit: mean {st.mean(dw) / st.mean(ca):.3f}, median {st.median(dw) / st.median(ca):.3f}, "
      f"cpu {st.mean(cpu['depwatch scan']) / st.mean(cpu['cargo audit']):.3f} (goal <= 0.30)")
print(f"per-block ratios of means: median {st.median(ratios):.3f}, range {min(ratios):.3f}-{max(ratios):.3f}")
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
