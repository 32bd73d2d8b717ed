#!/usr/bin/env bash
# Builds the .deb with the Tauri bundler, installs it with apt (so its declared dependencies
# are checked), launches the installed binary under Xvfb with a tray host, checks the window
# and the tray icon appear, captures the screen, and removes the package again.
#
#   scripts/deb-check.sh            # build + install + launch + remove
#   KEEP_INSTALLED=1 scripts/deb-check.sh
#
# Not part of scripts/test.sh: a release build takes ~6 minutes on 2 cores, CI's budget is 30.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash scripts/setup.sh --test
if ! command -v xdotool >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends xdotool
fi

echo "== building the .deb (release)"
node ui/node_modules/@tauri-apps/cli/tauri.js build --bundles deb
deb=$(realpath "$(ls -t target/release/bundle/deb/*.deb | head -n1)")
echo "built $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | sed -n '/Package:/,/Description:/p'
dpkg-deb --contents "$deb" | awk '{print $6}'

echo "== installing"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$deb"
bin=$(command -v depwatch-desktop)
echo "installed: $bin"

out="$root/target/deb-check"
mkdir -p "$out"
data=$(mktemp -d)
cat >"$out/launch.sh" <<EOF
#!/usr/bin/env bash
set -u
trayer --edge top --align right --widthtype request --height 24 --transparent false --tint 0x333333 &
sleep 1
DEPWATCH_DATA_DIR="$data" "$bin" &
app=\$!
for _ in \$(seq 1 60); do
  if xdotool search --name '^depwatch\$' >/dev/null 2>&1; then break; fi
  sleep 1
done
sleep 4
xdotool search --name '^depwatch\$' >"$out/window-ids" 2>/dev/null || true
import -window root "$out/installed-deb.png"
kill -0 \$app && echo alive >"$out/status" || echo dead >"$out/status"
kill \$app 2>/dev/null || true
wait \$app 2>/dev/null || true
EOF
chmod +x "$out/launch.sh"
echo "== launching the installed app under Xvfb"
xvfb-run -a -s "-screen 0 1400x900x24" dbus-run-session -- "$out/launch.sh"
status=$(cat "$out/status")
windows=$(wc -l <"$out/window-ids")
echo "process after start: $status; windows titled depwatch: $windows; screen: $out/installed-deb.png"

if [[ -z "${KEEP_INSTALLED:-}" ]]; then
  apt-get remove -y depwatch >/dev/null
  echo "removed the package"
fi
rm -rf "$data"
[[ "$status" == alive && "$windows" -ge 1 ]] || { echo "FAILED: the installed app did not start with its window"; exit 1; }
echo "OK: the .deb installs and launches"
