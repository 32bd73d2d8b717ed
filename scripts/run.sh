#!/usr/bin/env bash
# Sets up everything depwatch needs (system packages, npm ci), builds the UI and the desktop
# app, and launches it. Safe to re-run: finished steps are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
echo "==> building the UI"
npm --prefix ui run build
echo "==> building the desktop app"
# custom-protocol embeds ui/dist in the binary (what `tauri build` does); without it the
# binary would load the Vite dev server.
cargo build --features custom-protocol --bin depwatch-desktop
app=target/debug/depwatch-desktop

echo "==> launching depwatch (data in ${DEPWATCH_DATA_DIR:-the platform data directory})"
if [[ "$(uname -s)" == Linux && -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  # No display (a server, CI, a container): run inside a virtual one with a tray host so
  # the window and tray icon exist; dbus-run-session keeps GLib's bus daemons scoped.
  echo "    no display found: running under Xvfb (screen :99-style virtual display)"
  exec xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
    (trayer --edge top --align right --widthtype request --height 24 >/dev/null 2>&1 &) 2>/dev/null || true
    exec "$0"' "$app"
fi
exec "$app"
