#!/usr/bin/env bash
# make bench: create a throwaway realm, start tessera-kdc on a free 127.0.0.1
# port, run every tkbench mode, print the figures, stop the KDC.
# BENCH_SECONDS (default 10) sets the length of each run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/build/bin
SECS=${BENCH_SECONDS:-10}
T=$(mktemp -d /tmp/tessera-bench.XXXXXX)
KPID=
cleanup() {
    [ -n "$KPID" ] && kill -TERM "$KPID" 2>/dev/null && wait "$KPID" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/tessera.conf" <<CONF
[libdefaults]
default_realm = BENCH.TEST
rcache_dir = $T
[realm BENCH.TEST]
kdc = 127.0.0.1:$PORT
[kdc]
realm = BENCH.TEST
listen = 127.0.0.1:$PORT
database = $T/db
stash = $T/stash
log = stderr
pwhash_ops = 1
pwhash_mem = 8192
CONF
export TESSERA_CONFIG=$T/tessera.conf TESSERA_CCNAME=$T/cc
"$BIN/tkadmin" init >/dev/null
echo bench-password | "$BIN/tkadmin" addprinc --password-stdin bench >/dev/null
"$BIN/tkadmin" addprinc --randkey host/bench.test >/dev/null
"$BIN/tessera-kdc" -n -c "$T/tessera.conf" 2>"$T/kdc.log" &
KPID=$!
sleep 0.5
echo "== tessera-kdc pid $KPID on 127.0.0.1:$PORT; $(nproc) cores; each run ${SECS}s"
export TKBENCH_PASSWORD=bench-password
echo "== AS exchanges (pre-authenticated), 2 client threads"
"$BIN/tkbench" as -t 2 -d "$SECS" -u bench -P "$KPID" || true
echo "== TGS exchanges, 2 client threads"
"$BIN/tkbench" tgs -t 2 -d "$SECS" -u bench -s host/bench.test -P "$KPID" || true
echo "== TGS exchanges, 4 client threads"
"$BIN/tkbench" tgs -t 4 -d "$SECS" -u bench -s host/bench.test -P "$KPID" || true
if "$BIN/tkbench" 2>&1 | grep -q '^  ap'; then
    echo "== AP-REQ make + verify (in process)"
    "$BIN/tkbench" ap -d "$SECS" || true
    echo "== wrap/unwrap (in process)"
    "$BIN/tkbench" wrap -d "$SECS" || true
fi
echo "== KDC resident memory: $(grep VmRSS /proc/$KPID/status | awk '{print $2, $3}')"
