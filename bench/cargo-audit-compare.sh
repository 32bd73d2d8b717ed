#!/usr/bin/env bash
# Differential check of depwatch's matcher against cargo-audit on the same RustSec data.
#
# cargo-audit cannot read OSV JSON: with `--db DIR --no-fetch` it calls
# rustsec::Database::open(DIR), which wants the advisory-db layout
# `DIR/crates/<crate>/<RUSTSEC-ID>.md` (TOML front matter in ```toml fences, then `# title`
# and a Markdown body) and no git metadata. This script rebuilds that layout from the OSV
# export (shared/data/advisories/crates.io.zip): each record's SEMVER events become the
# RustSec `[versions]` table (the gaps between fixed and the next introduced become
# `unaffected` requirements, the last fixed becomes `patched`), `informational` and
# `withdrawn` are carried over. rustsec evaluates those requirements by converting them back
# to the same OSV ranges, so both tools decide on identical data.
#
# Then it runs `cargo audit --json --db DIR --no-fetch --no-yanked` and the real depwatch CLI
# (`depwatch advisories import` of the same zip, then `depwatch scan --format json`) on each
# lockfile and compares (id, crate, version) sets for vulnerabilities and for informational
# warnings (unmaintained, unsound, notice).
#
# With DEPWATCH_ADVISORY_DB_OUT=DIR set, it only writes the converted advisory-db to DIR and
# exits (bench/scan-vs-cargo-audit.sh uses that).
#
# Usage: bench/cargo-audit-compare.sh [LOCKFILE...]
#   default lockfiles: shared/data/lockfiles/rustsec.Cargo.lock and
#   crates/depwatch-advisories/tests/fixtures/lockfiles/vulnerable.Cargo.lock
# Needs: cargo-audit on PATH (`cargo install cargo-audit --locked`), python3.
# Exit status: 0 when both tools agree on every lockfile, 1 otherwise.
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
zip="$shared/data/advisories/crates.io.zip"
if [ -z "${DEPWATCH_ADVISORY_DB_OUT:-}" ]; then
  command -v cargo-audit >/dev/null || { echo "cargo-audit not found: cargo install cargo-audit --locked" >&2; exit 2; }
fi

if [ "$#" -gt 0 ]; then
  lockfiles=("$@")
else
  lockfiles=("$shared/data/lockfiles/rustsec.Cargo.lock"
             "$repo/crates/depwatch-advisories/tests/fixtures/lockfiles/vulnerable.Cargo.lock")
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
db="$work/advisory-db"

python3 - "$zip" "$db" <<'PY'
"""OSV (RustSec export) -> RustSec advisory-db Markdown layout."""
import json, os, sys, zipfile

zip_path, db = sys.argv[1], sys.argv[2]
def toml_str(s):
    return json.dumps(s, ensure_ascii=False)  # JSON string escapes are valid TOML basic strings

written = skipped = 0
with zipfile.ZipFile(zip_path) as z:
    for name in z.namelist():
        if not name.endswith(".json"):
            continue
        rec = json.loads(z.read(name))
        affected = [a for a in rec.get("affected") or [] if (a.get("package") or {}).get("ecosystem") == "crates.io"]
        ranges = [r for a in affected for r in a.get("ranges") or [] if r.get("type") == "SEMVER"]
        if len(affected) != 1 or len(ranges) != 1:
            print(f"skip {rec.get('id')}: {len(affected)} crates.io entries, {len(ranges)} SEMVER ranges", file=sys.stderr)
            skipped += 1
            continue
        aff, rng = affected[0], ranges[0]
        # RustSec exports are sorted pairs: introduced, fixed, introduced, fixed, ...
        pairs, cur = [], None
        for e in rng["events"]:
            if "introduced" in e:
                cur = e["introduced"]
            elif "fixed" in e:
                pairs.append((cur, e["fixed"])); cur = None
        unaffected, patched = [], []
        lower = None  # start of the current unaffected gap
        first_intro = pairs[0][0] if pairs else cur
        if first_intro not in (None, "0", "0.0.0-0"):
            unaffected.append(f"< {first_intro}")
        for i, (intro, fixed) in enumerate(pairs):
            nxt = pairs[i + 1][0] if i + 1 < len(pairs) else cur
            if nxt is None:
                patched.append(f">= {fixed}")
            else:
                unaffected.append(f">= {fixed}, < {nxt}")
        ds = aff.get("database_specific") or {}
        pkg = aff["package"]["name"]
        lines = ["```toml", "[advisory]", f"id = {toml_str(rec['id'])}", f"package = {toml_str(pkg)}",
                 f"date = {toml_str((rec.get('published') or rec.get('modified'))[:10])}"]
        if rec.get("aliases"):
            lines.append("aliases = [" + ", ".join(toml_str(a) for a in rec["aliases"]) + "]")
        if ds.get("informational"):
            lines.append(f"informational = {toml_str(ds['informational'])}")
        if rec.get("withdrawn"):
            lines.append(f"withdrawn = {toml_str(rec['withdrawn'][:10])}")
        lines += ["", "[versions]",
                  "patched = [" + ", ".join(toml_str(p) for p in patched) + "]",
                  "unaffected = [" + ", ".join(toml_str(u) for u in unaffected) + "]",
                  "```", "", "# " + (rec.get("summary") or rec["id"]).replace("\n", " "), "",
                  (rec.get("details") or "No description.").strip() or "No description.", ""]
        os.makedirs(os.path.join(db, "crates", pkg), exist_ok=True)
        with open(os.path.join(db, "crates", pkg, rec["id"] + ".md"), "w") as f:
            f.write("\n".join(lines))
        written += 1
print(f"advisory-db: {written} advisories written, {skipped} skipped", file=sys.stderr)
PY

if [ -n "${DEPWATCH_ADVISORY_DB_OUT:-}" ]; then
  rm -rf "$DEPWATCH_ADVISORY_DB_OUT" && cp -r "$db" "$DEPWATCH_ADVISORY_DB_OUT"
  exit 0
fi

depwatch="${CARGO_TARGET_DIR:-$repo/target}/release/depwatch"
(cd "$repo" && cargo build -q --release -p depwatch-cli --bin depwatch)
"$depwatch" --data-dir "$work/data" advisories import "$zip" > /dev/null

status=0
for lock in "${lockfiles[@]}"; do
  lock="$(cd "$(dirname "$lock")" && pwd)/$(basename "$lock")"
  echo "== $lock"
  # Run from an empty directory so no .cargo/audit.toml changes the result.
  (cd "$work" && cargo-audit audit --json --db "$db" --no-fetch --no-yanked --file "$lock" \
     > "$work/audit.json" 2> "$work/audit.err") || true
  if ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/audit.json" 2>/dev/null; then
    echo "cargo-audit failed:"; cat "$work/audit.err"; status=1; continue
  fi
  # Exit code 1 would mean findings at --fail-on; without it the scan exits 0 or fails (2).
  "$depwatch" --data-dir "$work/data" scan "$lock" --format json > "$work/depwatch.json"
  python3 - "$work/audit.json" "$work/depwatch.json" <<'PY' || status=1
import json, sys
audit, dw = (json.load(open(p)) for p in sys.argv[1:3])
def key(adv, pkg): return (adv["id"], pkg["name"], pkg["version"])
a_vuln = {key(v["advisory"], v["package"]) for v in audit["vulnerabilities"]["list"]}
a_warn = set()
for kind, items in (audit.get("warnings") or {}).items():
    if kind == "yanked":
        continue
    for w in items:
        if w.get("advisory"):
            a_warn.add(key(w["advisory"], w["package"]) + (kind,))
d_vuln = {(f["id"], f["package"], f["version"]) for f in dw["findings"] if f["kind"] == "vulnerability"}
d_warn = {(f["id"], f["package"], f["version"], f["kind"]) for f in dw["findings"] if f["kind"] != "vulnerability"}
ok = True
for label, a, d in (("vulnerabilities", a_vuln, d_vuln), ("warnings", a_warn, d_warn)):
    print(f"{label}: cargo-audit {len(a)}, depwatch {len(d)}, both {len(a & d)}")
    for x in sorted(a - d):
        print("  only cargo-audit:", *x); ok = False
    for x in sorted(d - a):
        print("  only depwatch:   ", *x); ok = False
print("AGREE" if ok else "DIFFER")
sys.exit(0 if ok else 1)
PY
done
exit $status
