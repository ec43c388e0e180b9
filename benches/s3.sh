#!/usr/bin/env bash
# S3 upload benchmark: locker push against awscli and rclone, uploading the same bytes to the
# same local moto server. Prints medians of RUNS runs and writes a Markdown table to stdout's
# end. Installs what it needs (a venv with moto and awscli; rclone from Debian).
#
# usage: benches/s3.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"

cache="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/evidence-locker"
venv="$cache/bench-venv"
if ! "$venv/bin/python" -c 'import moto, awscli' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'moto[s3]==5.2.5' 'flask==3.1.3' 'flask-cors==6.0.5' 'awscli==1.44.8'
fi
for tool in rclone bc; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null; }
done
cargo build --release --quiet
locker="$PWD/target/release/locker"

work="$(mktemp -d)"
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/moto-api/" && break; sleep 0.1; done

export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_CA_BUNDLE
aws="$venv/bin/aws"
"$aws" s3 mb s3://bench >/dev/null

# Data: 1,000 distinct small SARIF reports made from a real Trivy report, and 256 MiB of
# random bytes.
mkdir -p "$work/reports"
"$venv/bin/python" - "$work/reports" <<'PY'
import json, sys
base = json.load(open("tests/fixtures/public/trivy-alpine310-image.sarif"))
for i in range(1000):
    base["runs"][0]["automationDetails"] = {"id": f"bench/{i}"}
    json.dump(base, open(f"{sys.argv[1]}/report-{i:04}.sarif", "w"))
PY
head -c $((256 << 20)) /dev/urandom >"$work/big.bin"
"$locker" keygen --out "$work/bench.key" >/dev/null
small_bytes=$(du -cb "$work"/reports/*.sarif | tail -1 | cut -f1)

cat >"$work/rclone.conf" <<EOC
[moto]
type = s3
provider = Other
endpoint = http://127.0.0.1:$port
access_key_id = test
secret_access_key = test
region = us-east-1
EOC

# Each run writes to a fresh prefix, so nothing is skipped as already stored.
n=0
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
time_it() {
  local s e
  s=$(date +%s.%N)
  if ! "$@" >/dev/null 2>"$work/last.err"; then
    echo "benchmark command failed: $(head -c 500 "$work/last.err")" >&2
    kill -TERM $$
  fi
  e=$(date +%s.%N)
  echo "$e - $s" | bc
}

measure() {
  local label="$1"; shift
  local times=()
  for _ in $(seq 1 "$runs"); do
    n=$((n + 1)); local p="run$n"
    times+=("$(time_it bash -c "$(printf '%q ' "$@" | sed "s/PREFIX/$p/g")")")
  done
  printf '%s\n' "${times[@]}" | median | xargs printf '%s %.2f\n' "$label"
}

cd "$work/reports"
results=()
results+=("$(measure 'locker push (1000 reports, one entry)' "$locker" push --store s3://bench/PREFIX --key "$work/bench.key" report-*.sarif)")
results+=("$(measure 'aws s3 cp --recursive (1000 reports)' "$aws" s3 cp --recursive --quiet . s3://bench/PREFIX/)")
results+=("$(measure 'rclone copy (1000 reports)' rclone --config "$work/rclone.conf" copy . moto:bench/PREFIX)")
cd "$work"
results+=("$(measure 'locker push --kind attachment (256 MiB)' "$locker" push --store s3://bench/PREFIX --key "$work/bench.key" --kind attachment big.bin)")
results+=("$(measure 'aws s3 cp (256 MiB)' "$aws" s3 cp --quiet big.bin s3://bench/PREFIX/big.bin)")
results+=("$(measure 'rclone copy (256 MiB)' rclone --config "$work/rclone.conf" copy big.bin moto:bench/PREFIX)")

echo
echo "| what | median seconds ($runs runs) | MB/s |"
echo "| --- | --- | --- |"
for line in "${results[@]}"; do
  seconds="${line##* }"; label="${line% *}"
  case "$label" in *256*) bytes=$((256 << 20)) ;; *) bytes=$small_bytes ;; esac
  echo "| $label | $seconds | $(echo "scale=1; $bytes / 1000000 / $seconds" | bc) |"
done
