#!/usr/bin/env bash
# Starts a single-node Ceph cluster (one monitor, one in-memory OSD) and a RADOS Gateway on
# loopback, for the smoke tests in tests/rgw.rs. Installs Debian's packages when missing.
#
# usage: tests/rgw/start.sh DIR
# Writes DIR/env (LOCKER_TEST_RGW_ENDPOINT, credentials and the KMS test key id) and
# DIR/pids; tests/rgw/stop.sh DIR stops the daemons.
set -euo pipefail
C="$1"
mkdir -p "$C"/{mon.a,osd.0,rgw,run,log}

if ! command -v radosgw >/dev/null || ! command -v ceph-osd >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    radosgw ceph-mon ceph-osd uuid-runtime >/dev/null
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mon_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fsid=$(uuidgen)
# A fixed, public test key: RGW's "testing" KMS backend maps the key id to these bytes.
kms_key=$(printf 'evidence-locker rgw test key 32b' | base64)

cat >"$C/ceph.conf" <<EOC
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc secure
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 1073741824
mon max pg per osd = 1000
# CI disks may be large and mostly full: do not refuse to start below 5 % free.
mon data avail crit = 1
mon data avail warn = 2
run dir = $C/run
log file = $C/log/\$name.log
admin socket = $C/run/\$name.asok
pid file = $C/run/\$name.pid
mon data = $C/\$name
osd data = $C/\$name
keyring = $C/keyring
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw data = $C/rgw
rgw crypt require ssl = false
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = locker-test-key=$kms_key
EOC

ceph-authtool --create-keyring "$C/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$C/monmap" >/dev/null
ceph-mon -c "$C/ceph.conf" --mkfs -i a --monmap "$C/monmap" --keyring "$C/keyring"
ceph-mon -c "$C/ceph.conf" -i a
uuid=$(uuidgen)
id=$(timeout 60 ceph -c "$C/ceph.conf" osd new "$uuid")
ceph-osd -c "$C/ceph.conf" -i "$id" --mkfs --osd-uuid "$uuid" 2>/dev/null
ceph-osd -c "$C/ceph.conf" -i "$id" 2>/dev/null
timeout 120 radosgw -c "$C/ceph.conf" -n client.rgw
timeout 60 radosgw-admin -c "$C/ceph.conf" -n client.rgw user create --uid=locker \
  --display-name=locker --access-key=rgwtestkey --secret-key=rgwtestsecret >/dev/null 2>&1
for _ in $(seq 1 300); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.1
done
curl -sf -o /dev/null "http://127.0.0.1:$port/"

cat "$C/run/client.rgw.pid" "$C/run/osd.$id.pid" "$C/run/mon.a.pid" | tr '\n' ' ' >"$C/pids"
cat >"$C/env" <<EOE
export LOCKER_TEST_RGW_ENDPOINT=http://127.0.0.1:$port
export LOCKER_TEST_RGW_ACCESS_KEY=rgwtestkey
export LOCKER_TEST_RGW_SECRET_KEY=rgwtestsecret
export LOCKER_TEST_RGW_KMS_KEY=locker-test-key
EOE
echo "RGW on http://127.0.0.1:$port"
