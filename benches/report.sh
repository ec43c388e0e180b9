#!/usr/bin/env bash
# Report benchmark: a synthetic quarter at each SCALE (benches/gen_quarter.py: 100 x SCALE image
# streams, 100 scans each across 2026-Q3, 100 vulnerabilities per scan shaped like the public
# Trivy fixture, two fixed and two new between scans: 1,000,000 findings reported per unit of
# scale), stored as one push per report would leave it (examples/gen_chain.rs --plan), then
# `locker report --period 2026-Q3` writing HTML, Markdown and JSON with their signatures,
# the chain verified against the pinned key on the way. Peak memory is GNU time's maximum
# resident set size. `--log-level debug` stamps the end of each phase, which splits the time.
#
# With BEFORE=PATH, another `locker` binary (an older build) is timed in the same rounds,
# on the same store, so that the two are compared side by side.
#
# usage: benches/report.sh [SCALES] [RUNS]     e.g. benches/report.sh "1 2 4" 3
# With WORK=DIR the generated quarters are kept in DIR and reused by later runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scales="${1:-1}"
runs="${2:-3}"
here="$PWD"

cargo build --release --quiet --bin locker --example gen_chain
locker="$here/target/release/locker"
gen_chain="$here/target/release/examples/gen_chain"
if [ -n "${WORK:-}" ]; then
  work="$WORK"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi

# One quarter: reports generated, then stored and signed as pushes would.
quarter() {
  local dir="$work/scale-$1"
  [ -f "$dir/stored" ] && return
  rm -rf "$dir" && mkdir -p "$dir"
  (
    cd "$dir"
    "$locker" keygen --out ci.key >/dev/null
    python3 "$here/benches/gen_quarter.py" reports "$((100 * $1))" 100 100 >plan.txt
    "$gen_chain" evidence ci.key --plan plan.txt 2>/dev/null
    rm -rf reports # the store holds every report; the copies are not needed
    touch stored
  )
  echo "scale $1: $(wc -l <"$dir/plan.txt") pushes, store $(du -sh "$dir/evidence" | cut -f1)"
}

# One timed report with the binary $2 at scale $1; its times and debug log go to $3.
report() {
  local dir="$work/scale-$1" binary="$2" name="$3" run="$4"
  (
    cd "$dir"
    rm -rf "out-$name"
    NO_COLOR=1 /usr/bin/time -f "%e %M" -a -o "times-$name.txt" "$binary" --log-level debug \
      report --key ci.key --trusted-key ci.key.pub --period 2026-Q3 \
      --generated-at 2026-10-05T00:00:00Z --out "out-$name" >/dev/null 2>"log-$name-$run.txt"
  )
}

for scale in $scales; do
  quarter "$scale"
  dir="$work/scale-$scale"
  rm -f "$dir"/times-*.txt "$dir"/log-*.txt
  find "$dir/evidence" -type f -exec cat {} + >/dev/null # in the page cache for everyone
  for run in $(seq 1 "$runs"); do
    report "$scale" "$locker" after "$run"
    [ -n "${BEFORE:-}" ] && report "$scale" "$BEFORE" before "$run"
    echo "scale $scale: run $run done"
  done
  if [ -n "${BEFORE:-}" ]; then
    cmp -s "$dir/out-after/report.json" "$dir/out-before/report.json" \
      && echo "scale $scale: before and after wrote the same report.json" \
      || echo "scale $scale: before and after wrote DIFFERENT report.json"
  fi
done

python3 - "$work" "$runs" $scales <<'PY'
import statistics, sys
from datetime import datetime

work, runs, scales = sys.argv[1], int(sys.argv[2]), sys.argv[3:]


def timings(path):
    rows = [line.split() for line in open(path) if line.strip()]
    return [(float(s), int(k)) for s, k in rows if s.replace(".", "").isdigit()]


def phases(log):
    """Seconds from the first line of the log to the last stamp of each message."""
    stamps, first = {}, None
    for line in open(log):
        parts = line.split()
        if not parts:
            continue
        try:
            when = datetime.fromisoformat(parts[0].rstrip("Z"))
        except ValueError:
            continue
        first = first or when
        if len(parts) > 2 and parts[1] in ("DEBUG", "INFO"):
            message = " ".join(w for w in parts[2:] if "=" not in w)
            stamps[message] = (when - first).total_seconds()
    return stamps


steps = [("entries read and decoded", "read entries"), ("findings replayed", "replay findings"),
         ("signatures checked", "check signatures"), ("artifacts re-hashed", "re-hash artifacts"),
         ("chain verified", "checkpoints, versions"), ("controls evaluated", "evaluate controls"),
         ("report data built", "build report data"), ("charts drawn", "draw charts"),
         ("report written", "render, sign, write")]

print("\n| scale | findings reported | binary | median seconds | runs | peak RSS |")
print("| --- | --- | --- | --- | --- | --- |")
splits = {}
for scale in scales:
    for name in ("before", "after"):
        try:
            rows = timings(f"{work}/scale-{scale}/times-{name}.txt")
        except FileNotFoundError:
            continue
        seconds = [s for s, _ in rows]
        print(f"| {scale}x | {int(scale) * 1_000_000:,} | {name} | {statistics.median(seconds):.2f} | "
              f"{', '.join(f'{s:.1f}' for s in seconds)} | "
              f"{statistics.median(k for _, k in rows) / 1024:.0f} MiB |")
        logs = [phases(f"{work}/scale-{scale}/log-{name}-{n}.txt") for n in range(1, runs + 1)]
        splits[(scale, name)] = logs

print("\nPhases (median seconds each, between the log's stamps; start-up before the first line"
      " is left out):")
header = [label for _, label in steps]
print("\n| scale | binary | " + " | ".join(header) + " |")
print("| --- | --- | " + " | ".join("---" for _ in header) + " |")
for (scale, name), logs in splits.items():
    cells, previous = [], [0.0] * len(logs)
    for message, _ in steps:
        if not all(message in log for log in logs):
            cells.append("-")
            continue
        cells.append(f"{statistics.median(log[message] - p for log, p in zip(logs, previous)):.2f}")
        previous = [log[message] for log in logs]
    print(f"| {scale}x | {name} | " + " | ".join(cells) + " |")
PY
