#!/usr/bin/env bash
# Installs what depwatch needs to build (and, with --test, to test) on this machine.
# Idempotent: every step checks first and does nothing when the thing is already there.
#
#   scripts/setup.sh          build + run prerequisites
#   scripts/setup.sh --test   also the test prerequisites (Xvfb, WebKitWebDriver, Chromium, tauri-driver)
#   scripts/setup.sh --bench  also the benchmark tools (wrk, hyperfine) used by bench/*.sh
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
want_bench=0
[[ "${1:-}" == "--test" ]] && want_test=1
[[ "${1:-}" == "--bench" ]] && want_bench=1

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

# Debian 12 / Ubuntu package names (see ../shared/reference/tauri-linux.md).
BUILD_PKGS=(libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
            libayatana-appindicator3-dev librsvg2-dev pkg-config)
RUN_PKGS=(xvfb xauth dbus-x11)
TEST_PKGS=(webkit2gtk-driver x11-utils xdotool imagemagick chromium trayer dbus)
BENCH_PKGS=(wrk hyperfine openssl)

install_apt() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then return 0; fi
  say "installing system packages: ${missing[*]}"
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

case "$(uname -s)" in
  Linux)
    if command -v apt-get >/dev/null; then
      pkgs=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}")
      ((want_test)) && pkgs+=("${TEST_PKGS[@]}")
      ((want_bench)) && pkgs+=("${BENCH_PKGS[@]}")
      install_apt "${pkgs[@]}"
    else
      say "not a Debian/Ubuntu system: install the equivalents of: ${BUILD_PKGS[*]} (see https://v2.tauri.app/start/prerequisites/)"
    fi
    ;;
  Darwin)
    say "macOS: install the Xcode command line tools (xcode-select --install), Rust (https://rustup.rs) and Node.js 20+ (brew install node). Nothing else is needed."
    ;;
  MINGW*|MSYS*|CYGWIN*)
    say "Windows: install the Microsoft C++ Build Tools, WebView2 (preinstalled on Windows 10/11), Rust (https://rustup.rs) and Node.js 20+ (winget install OpenJS.NodeJS.LTS)."
    ;;
esac

if ! command -v cargo >/dev/null; then
  echo "cargo not found: install Rust with rustup (https://rustup.rs), then re-run." >&2
  exit 1
fi
if ! command -v npm >/dev/null; then
  echo "npm not found: install Node.js 20 or newer (https://nodejs.org), then re-run." >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 20)); then
  echo "Node.js $(node --version) is too old: the UI build needs Node.js 20 or newer." >&2
  exit 1
fi

# npm ci only when the lockfile changed since the last install.
if [[ ! -d ui/node_modules ]] || [[ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]]; then
  say "installing UI dependencies (npm ci)"
  (cd ui && npm ci --no-audit --no-fund)
fi

if ((want_test)); then
  if ! command -v tauri-driver >/dev/null && [[ ! -x "$HOME/.cargo/bin/tauri-driver" ]]; then
    say "installing tauri-driver (cargo install, about a minute)"
    cargo install tauri-driver --locked --version '^2'
  fi
  if ! command -v cargo-nextest >/dev/null && ! cargo nextest --version >/dev/null 2>&1; then
    say "installing cargo-nextest"
    cargo install cargo-nextest --locked
  fi
fi
say "setup done"
