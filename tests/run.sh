#!/usr/bin/env bash
# Runs every test of evidence-locker on a fresh machine, installing what the tests need:
#   - a Python virtual environment with securesystemslib, the independent DSSE verifier
#     that checks our entries (tests/interop.rs), and moto, the S3 server the S3 tests
#     talk to on loopback, and compliance-trestle, which validates OSCAL exports
#     (tests/export.rs);
#   - openssl, to check that keys interoperate (tests/settings.rs);
#   - Ceph (radosgw, ceph-mon, ceph-osd from Debian) for a single-node RGW (tests/rgw.rs);
#   - Debian's Chromium and playwright-core (npm) to open reports headless (tests/report.rs).
# Then: formatting and lint checks, the whole suite on the local store, and the store-level
# suites again over S3.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/evidence-locker"
venv="${LOCKER_TEST_VENV:-$cache/test-venv}"

if ! "$venv/bin/python" -c 'import securesystemslib, cryptography, moto, trestle' 2>/dev/null; then
  echo "installing securesystemslib, moto and compliance-trestle into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'securesystemslib==1.6.0' 'cryptography==50.0.2' \
    'moto[s3]==5.2.5' 'flask==3.1.3' 'flask-cors==6.0.5' 'compliance-trestle==5.2.0'
fi
export LOCKER_TEST_PYTHON="$venv/bin/python"
export LOCKER_TEST_MOTO="$venv/bin/moto_server"

if ! command -v openssl >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl
fi

# A browser for the report test: Debian's Chromium, driven by playwright-core.
if ! command -v chromium >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
export LOCKER_TEST_CHROMIUM="$(command -v chromium)"
browser="$cache/browser"
if [ ! -f "$browser/node_modules/playwright-core/package.json" ]; then
  mkdir -p "$browser"
  (cd "$browser" && npm install --silent --no-audit --no-fund --prefix . 'playwright-core@1.64.1')
fi
export LOCKER_TEST_NODE_PATH="$browser/node_modules"

# An S3 server on a free loopback port, stopped when this script ends.
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log="$(mktemp)"
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
rgw_dir="$(mktemp -d)"
trap 'kill "$moto_pid" 2>/dev/null || true; rm -f "$log"; bash tests/rgw/stop.sh "$rgw_dir"' EXIT
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/moto-api/" && break
  sleep 0.1
done
export LOCKER_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true

# Ceph RGW, a real object store, for the smoke tests of tests/rgw.rs.
bash tests/rgw/start.sh "$rgw_dir"
# shellcheck disable=SC1091
source "$rgw_dir/env"

cargo fmt --all -- --check
cargo clippy --locked --all-targets --quiet -- -D warnings
cargo test --locked "$@"
echo "== the store-level suites again, over S3 =="
LOCKER_TEST_STORE=s3 cargo test --locked --test push --test tamper --test concurrency --test scanners "$@"
