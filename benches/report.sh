#!/usr/bin/env bash
# Report benchmark: a synthetic quarter (benches/gen_quarter.py) pushed into a local store with
# `locker push`, then `locker report --period 2026-Q3` (HTML, Markdown and JSON) timed RUNS
# times with its peak memory. SCALE multiplies the number of image streams: scale 1 is 100
# streams x 100 pushes = 10,000 pushes with 100 vulnerabilities each (1,000,000 findings
# reported over the quarter).
#
# usage: benches/report.sh [SCALE] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-1}"
runs="${2:-3}"
projects=$((100 * scale))

cargo build --release --quiet
locker="$PWD/target/release/locker"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$locker" keygen --out ci.key >/dev/null

echo "generating $projects streams x 100 pushes x 100 findings"
python3 "$OLDPWD/benches/gen_quarter.py" reports "$projects" 100 100 >plan.txt
started=$(date +%s)
# Two pushes at a time: the chain's compare-and-swap keeps them in one line.
xargs -P 2 -L 1 sh -c '"$0" push --key ci.key --time "$1" --ci-project "$2" "$3" >/dev/null' "$locker" <plan.txt
echo "pushed $(wc -l <plan.txt) reports in $(( $(date +%s) - started )) s; store $(du -sh evidence | cut -f1)"

for run in $(seq 1 "$runs"); do
  /usr/bin/time -f "%e s %M KiB" -o time.txt "$locker" report --key ci.key --trusted-key ci.key.pub \
    --period 2026-Q3 --generated-at 2026-10-05T00:00:00Z --out "out$run" >/dev/null
  echo "report run $run: $(cat time.txt)"
done
ls -la out1
cmp out1/report.html "out$runs/report.html" && echo "renders identical"
