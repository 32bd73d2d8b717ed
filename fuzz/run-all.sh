#!/usr/bin/env bash
# Runs every fuzz target of this cargo-fuzz project for SECONDS each (default 60).
#
#   fuzz/run-all.sh [SECONDS]            # all targets
#   TARGETS="yarn_lock" fuzz/run-all.sh 600
#
# How cargo-fuzz runs here (stable Rust only, no nightly toolchain):
#   * install once: `cargo install cargo-fuzz --locked`
#   * cargo-fuzz passes nightly-only flags to rustc (`-Zsanitizer=address`, `-Cpasses=sancov…`
#     via `-Z` options); stable rustc accepts them when RUSTC_BOOTSTRAP=1 is set, which this
#     script does. The AddressSanitizer runtime ships with the stable x86_64 Linux toolchain.
#   * `cargo fuzz` builds with `--cfg fuzzing`, under which depwatch_lockfiles::parse lets a
#     panic through instead of turning it into a diagnostic, so the fuzzer sees every panic.
#   * each target's corpus is seeded from the crate's scenario fixtures (corpus/ and artifacts/
#     are gitignored); a crash is saved under fuzz/artifacts/<target>/ and the script exits 1.
#     Reproduce with: RUSTC_BOOTSTRAP=1 cargo fuzz run <target> artifacts/<target>/<file>
set -euo pipefail

SECONDS_PER_TARGET="${1:-60}"
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
FIXTURES=../crates/depwatch-lockfiles/tests/fixtures

seed() {
    local target=$1 dir=$2
    mkdir -p "corpus/$target"
    if [ -d "$FIXTURES/$dir" ]; then
        find "$FIXTURES/$dir" -maxdepth 1 -type f -size -64k -exec cp {} "corpus/$target/" \;
    fi
}

seed cargo_lock cargo_lock
seed cargo_toml cargo_toml
seed package_lock package_lock
seed package_json package_json
seed yarn_lock yarn_lock
seed pnpm_lock pnpm_lock
seed bun_lock bun_lock
seed requirements requirements
seed pipfile_lock pipfile_lock
seed poetry_lock poetry_lock
seed uv_lock uv_lock
seed pylock_toml pylock_toml
seed gemfile_lock gemfile_lock
seed composer_lock composer_lock
seed go_mod go_mod
seed go_sum go_sum
seed pom_xml pom_xml
seed gradle_lockfile gradle_lockfile
seed nuget_lock nuget_lock
mkdir -p corpus/discovery
printf 'Cargo.lock\nCargo.toml\ncrates/a/Cargo.toml\nweb/node_modules/x/package.json\nweb/yarn.lock\n' \
    > corpus/discovery/seed

TARGETS="${TARGETS:-$(cargo fuzz list)}"
failed=0
for target in $TARGETS; do
    echo "== $target (${SECONDS_PER_TARGET}s)"
    if ! cargo fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1; then
        echo "!! $target failed; see fuzz/artifacts/$target/"
        failed=1
    fi
done
exit "$failed"
