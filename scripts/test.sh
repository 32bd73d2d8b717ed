#!/usr/bin/env bash
# Runs every check and test depwatch has, installing what they need on a fresh machine.
#   formatting, clippy (-D warnings), all Rust tests (nextest), UI unit tests, UI end-to-end
#   in headless Chromium, and the real-window end-to-end test (the built app under Xvfb driven
#   by tauri-driver + WebKitWebDriver).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

step "setup"
scripts/setup.sh --test
export PATH="$HOME/.cargo/bin:$PATH"

step "rustfmt"
cargo fmt --all --check

step "UI build (the desktop binary embeds ui/dist)"
npm --prefix ui run build

step "clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "Rust tests"
# The desktop package is built with its UI embedded so the real-window test below reuses
# the same binary without another compile.
cargo nextest run --workspace --features depwatch-desktop/custom-protocol --profile ci

step "UI unit tests"
npm --prefix ui test

step "UI end-to-end (headless Chromium, mock backend)"
# Screenshots go to target/ so a test run leaves the committed docs/screenshots untouched;
# `npm --prefix ui run test:e2e` alone refreshes those.
E2E_SHOTS_DIR="$PWD/target/ui-screenshots" npm --prefix ui run test:e2e

step "desktop end-to-end (real window under Xvfb, tauri-driver + WebKitWebDriver)"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
  cargo nextest run -p depwatch-desktop --features custom-protocol --test desktop_e2e \
  --run-ignored only --profile ci --test-threads 1

step "all checks passed"
