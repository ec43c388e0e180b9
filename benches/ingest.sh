#!/usr/bin/env bash
# Ingest benchmark: `locker push` of one large SARIF log into a fresh local store, beside the
# hashing limit (sha256sum, openssl dgst -sha256), the copying limit (cp + sync into the same
# file system) and sarif-tools' `sarif summary` reading the same file. Each round runs every
# tool once, in turn, so that the machine's noise falls on all of them; the table gives
# medians of wall time and of peak resident memory (GNU time).
#
# With BEFORE=PATH, another `locker` binary (an older build) pushes the same file in the same
# rounds, so that the two are compared side by side.
#
# usage: benches/ingest.sh [SIZE_MB] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb="${1:-200}"
rounds="${2:-5}"

cache="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/evidence-locker"
venv="$cache/bench-venv"
if ! "$venv/bin/sarif" --version >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'sarif-tools==3.0.5'
fi
cargo build --release --quiet
locker="$PWD/target/release/locker"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
read -r bytes results < <(python3 benches/gen_sarif.py "$work/scan.sarif" "$size_mb")
echo "generated $work/scan.sarif: $bytes bytes, $results results (shaped like the CodeQL fixture)"
"$locker" keygen --out "$work/ci.key" >/dev/null

# Each command is timed with GNU time into $work/times/<name>.txt, one "seconds KiB" line per run.
mkdir -p "$work/times"
measure() {
  local name="$1"
  shift
  /usr/bin/time -f "%e %M" -a -o "$work/times/$name.txt" "$@" >/dev/null
}

cat "$work/scan.sarif" >/dev/null # in the page cache for everyone
for round in $(seq 1 "$rounds"); do
  measure sha256sum sha256sum "$work/scan.sarif"
  measure openssl openssl dgst -sha256 "$work/scan.sarif"
  measure cp-sync sh -c 'cp "$1" "$2" && sync "$2"' cp "$work/scan.sarif" "$work/copy.sarif"
  rm -f "$work/copy.sarif"
  rm -rf "$work/evidence"
  (cd "$work" && measure locker-push "$locker" push --key ci.key scan.sarif)
  if [ -n "${BEFORE:-}" ]; then
    rm -rf "$work/evidence"
    (cd "$work" && measure locker-push-before "$BEFORE" push --key ci.key scan.sarif)
  fi
  measure sarif-summary "$venv/bin/sarif" summary "$work/scan.sarif"
  echo "round $round done"
done

python3 - "$work/times" "$bytes" <<'PY'
import os, statistics, sys
times, size = sys.argv[1], int(sys.argv[2])
rows = {}
for name in ["sha256sum", "openssl", "cp-sync", "locker-push", "locker-push-before",
             "sarif-summary"]:
    if not os.path.exists(os.path.join(times, name + ".txt")):
        continue
    runs = [line.split() for line in open(os.path.join(times, name + ".txt")) if line.strip()]
    runs = [(float(s), int(k)) for s, k in runs if s.replace(".", "").isdigit()]
    rows[name] = (statistics.median(s for s, _ in runs), statistics.median(k for _, k in runs), len(runs))
push = rows["locker-push"][0]
print(f"\n{size / 1e6:.0f} MB SARIF, medians of {rows['locker-push'][2]} runs\n")
print("| what | seconds | MB/s | peak RSS | vs locker push |")
print("| --- | --- | --- | --- | --- |")
labels = {
    "sha256sum": "sha256sum", "openssl": "openssl dgst -sha256", "cp-sync": "cp + sync",
    "locker-push": "locker push (local store)", "locker-push-before": "locker push, BEFORE build",
    "sarif-summary": "sarif summary (sarif-tools 3.0.5)",
}
for name, (seconds, kib, _) in rows.items():
    ratio = seconds / push
    print(f"| {labels[name]} | {seconds:.2f} | {size / 1e6 / seconds:.0f} | {kib / 1024:.0f} MiB "
          f"({kib * 1024 / size:.2f} x file) | {ratio:.2f} x the time |")
PY
