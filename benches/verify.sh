#!/usr/bin/env bash
# Verify benchmark: a local store holding a chain of ENTRIES entries (examples/gen_chain.rs:
# each entry a varied real Trivy SARIF report and its derived findings, signed), checked with
# `locker verify` against the pinned key, beside openssl and sha256sum hashing the same
# artifact files (the re-hashing limit). Each round runs every command once, in turn; the
# table gives medians. The store sits in the page cache, as it would on a warm archive disk.
#
# `locker verify --log-level debug` stamps the end of each phase, which gives the time spent
# re-hashing artifacts on its own; the time before its first stamp (listing, reading and
# decoding the entries) is taken from the process's start, which the script notes.
#
# With BEFORE=PATH, another `locker` binary (an older build) verifies the same store in the
# same rounds, so that the two are compared side by side.
#
# usage: benches/verify.sh [ENTRIES] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
entries="${1:-100000}"
rounds="${2:-5}"

cargo build --release --quiet --bin locker --example gen_chain
locker="$PWD/target/release/locker"
gen_chain="$PWD/target/release/examples/gen_chain"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$locker" keygen --out ci.key >/dev/null
started=$(date +%s)
"$gen_chain" evidence ci.key "$entries" 2>/dev/null
echo "generated $entries entries in $(( $(date +%s) - started )) s; store $(du -sh evidence | cut -f1)"

find evidence/objects -type f -print0 >objects.list
artifact_bytes=$(xargs -0 cat <objects.list | wc -c)
artifact_files=$(tr -cd '\0' <objects.list | wc -c)
cat objects.list | xargs -0 cat >/dev/null # in the page cache for everyone

mkdir -p times
measure() {
  local name="$1"
  shift
  /usr/bin/time -f "%e %M" -a -o "times/$name.txt" "$@" >/dev/null
}

for round in $(seq 1 "$rounds"); do
  date -u +%Y-%m-%dT%H:%M:%S.%NZ >"start-$round.txt"
  measure locker-verify sh -c 'NO_COLOR=1 "$0" verify --trusted-key ci.key.pub --log-level debug 2>"$1"' \
    "$locker" "verify-$round.log"
  if [ -n "${BEFORE:-}" ]; then
    measure locker-verify-before "$BEFORE" verify --trusted-key ci.key.pub
  fi
  measure openssl-files sh -c 'xargs -0 -P 2 -n 2000 openssl dgst -sha256 <objects.list' \
    >/dev/null
  measure sha256sum-files sh -c 'xargs -0 -P 2 -n 2000 sha256sum <objects.list' >/dev/null
  measure openssl-stream sh -c 'xargs -0 cat <objects.list | openssl dgst -sha256'
  echo "round $round done"
done

python3 - "$entries" "$artifact_bytes" "$artifact_files" "$rounds" <<'PY'
import os, statistics, sys
from datetime import datetime

entries, size, files, rounds = map(int, sys.argv[1:5])

def runs(name):
    rows = [line.split() for line in open(f"times/{name}.txt") if line.strip()]
    return [(float(s), int(k)) for s, k in rows if s.replace(".", "").isdigit()]

def median(values):
    return statistics.median(values)

def phases(log):
    """The time of each debug line, by its message (key=value fields left out)."""
    stamps = {}
    for line in open(log):
        parts = line.split()
        if len(parts) > 2 and parts[1] == "DEBUG":
            message = " ".join(w for w in parts[2:] if "=" not in w)
            stamps[message] = datetime.fromisoformat(parts[0].rstrip("Z"))
    return stamps

def started(n):
    return datetime.fromisoformat(open(f"start-{n}.txt").read().strip()[:26])

splits = {"read": [], "signatures": [], "artifacts": []}
for n in range(1, rounds + 1):
    p = phases(f"verify-{n}.log")
    read, signed = p["entries read and decoded"], p["signatures checked"]
    hashed = p["artifacts re-hashed"]
    splits["read"].append((read - started(n)).total_seconds())
    splits["signatures"].append((signed - read).total_seconds())
    splits["artifacts"].append((hashed - signed).total_seconds())

verify = runs("locker-verify")
total = median(s for s, _ in verify)
print(f"\n{entries} entries, {files} artifact files, {size / 1e6:.0f} MB; medians of {rounds} runs\n")
print("| what | seconds | rate | peak RSS |")
print("| --- | --- | --- | --- |")
print(f"| locker verify (whole) | {total:.2f} | {entries / total:,.0f} entries/s | "
      f"{median(k for _, k in verify) / 1024:.0f} MiB |")
if os.path.exists("times/locker-verify-before.txt"):
    before = runs("locker-verify-before")
    seconds = median(s for s, _ in before)
    print(f"| BEFORE build, whole | {seconds:.2f} | {entries / seconds:,.0f} entries/s | "
          f"{median(k for _, k in before) / 1024:.0f} MiB |")
read = median(splits["read"])
print(f"| - of which start, listing, reading and decoding entries | {read:.2f} | "
      f"{entries / read:,.0f} entries/s | |")
sig = median(splits["signatures"])
print(f"| - of which signatures (batch, 2 cores) | {sig:.2f} | {entries / sig:,.0f} entries/s | |")
chain = median(r + s for r, s in zip(splits["read"], splits["signatures"]))
print(f"| - the chain alone (the two above) | {chain:.2f} | {entries / chain:,.0f} entries/s | |")
art = median(splits["artifacts"])
print(f"| - of which artifact re-hashing (2 cores) | {art:.2f} | {size / 1e6 / art:.0f} MB/s | |")
for name, label in [("openssl-files", "openssl dgst -sha256, same files, 2 processes"),
                    ("sha256sum-files", "sha256sum, same files, 2 processes"),
                    ("openssl-stream", "cat of the same files into one openssl dgst -sha256")]:
    seconds = median(s for s, _ in runs(name))
    print(f"| {label} | {seconds:.2f} | {size / 1e6 / seconds:.0f} MB/s | |")
openssl = median(s for s, _ in runs("openssl-files"))
print(f"\nlocker re-hashing throughput: {openssl / art:.0%} of openssl's on the same files")
PY
