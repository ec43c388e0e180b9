#!/usr/bin/env bash
# Runs every test of evidence-locker on a fresh machine, installing what the tests need:
#   - a Python virtual environment with securesystemslib, the independent DSSE verifier
#     that checks our entries in tests/interop.rs;
#   - openssl, to check that keys interoperate (tests/settings.rs).
# Then: formatting and lint checks, and the whole cargo test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/evidence-locker"
venv="${LOCKER_TEST_VENV:-$cache/test-venv}"

if ! "$venv/bin/python" -c 'import securesystemslib, cryptography' 2>/dev/null; then
  echo "installing securesystemslib into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'securesystemslib==1.6.0' 'cryptography==50.0.2'
fi
export LOCKER_TEST_PYTHON="$venv/bin/python"

if ! command -v openssl >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl
fi

cargo fmt --all -- --check
cargo clippy --locked --all-targets --quiet -- -D warnings
cargo test --locked "$@"
