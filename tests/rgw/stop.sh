#!/usr/bin/env bash
# Stops the daemons started by tests/rgw/start.sh DIR and removes DIR.
set -u
C="$1"
[ -f "$C/pids" ] && kill $(cat "$C/pids") 2>/dev/null
for _ in $(seq 1 100); do
  alive=0
  for pid in $(cat "$C/pids" 2>/dev/null); do kill -0 "$pid" 2>/dev/null && alive=1; done
  [ "$alive" = 0 ] && break
  sleep 0.1
done
rm -rf "$C"
