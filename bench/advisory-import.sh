#!/usr/bin/env bash
# Whole-process time of `depwatch advisories import` of the three shared OSV exports
# (../shared/data/advisories/{crates.io,Go,PyPI}.zip, about 8,000 records) into a fresh
# database, then of the same import again (every record unchanged, nothing rewritten).
# Goal: the fresh import takes at most 2 s with a release build.
#
#   bench/advisory-import.sh [ADVISORY_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-../shared/data/advisories}
runs=${2:-5}
[ -d "$dir" ] || dir=/work/shared/data/advisories
zips=("$dir/crates.io.zip" "$dir/Go.zip" "$dir/PyPI.zip")
cargo build --release -q -p depwatch-cli --bin depwatch
bin=${CARGO_TARGET_DIR:-target}/release/depwatch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ms() { echo $(( ($2 - $1) / 1000000 )); }
fresh=() again=()
for i in $(seq "$runs"); do
  rm -rf "$tmp/data"
  t0=$(date +%s%N)
  "$bin" --data-dir "$tmp/data" advisories import "${zips[@]}" > "$tmp/first.txt"
  t1=$(date +%s%N)
  "$bin" --data-dir "$tmp/data" advisories import "${zips[@]}" > "$tmp/second.txt"
  t2=$(date +%s%N)
  fresh+=("$(ms "$t0" "$t1")") again+=("$(ms "$t1" "$t2")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cat "$tmp/first.txt"
grep -q ' 0 new, 0 updated' "$tmp/second.txt" || { echo "re-import rewrote records:"; cat "$tmp/second.txt"; exit 1; }
echo "fresh import of ${#zips[@]} zips: median $(median "${fresh[@]}") ms over $runs runs (${fresh[*]})"
echo "unchanged re-import:         median $(median "${again[@]}") ms over $runs runs (${again[*]})"
