#!/usr/bin/env bash
# make bench: create a throwaway realm, start tessera-kdc on a free 127.0.0.1
# port, run every tkbench mode, print the figures, stop the KDC.
# BENCH_SECONDS (default 10) sets the length of each run; BENCH_WINDOW
# (default 4) the requests each client thread keeps in flight in the
# throughput runs. BENCH_SATURATE=60 adds one saturating TGS run of that
# many seconds (2 threads x 16 in flight) and fails if it sees any error or
# timeout. BENCH_REPLAY sizes the KDC's TGS replay cache: it must hold
# every authenticator of the last clock_skew (300 s) with room to spare
# (it refuses requests, KRB_ERR_RCACHE, well before it is full), so the
# default is 3 x 60,000/s x the seconds of TGS load of this bench, rounded
# up to a power of two. BENCH_PRINCIPALS=N
# loads N more principals (user0000000..., sealed random keys with a salt
# and Argon2id cost, so records are the size of password principals',
# through tkadmin load) before the KDC starts, and adds a TGS run for
# random ones of them.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/build/bin
SECS=${BENCH_SECONDS:-10}
WIN=${BENCH_WINDOW:-4}
SAT=${BENCH_SATURATE:-0}
REPLAY=${BENCH_REPLAY:-}
if [ -z "$REPLAY" ]; then
    need=$((3 * 60000 * (4 * SECS + SAT)))
    REPLAY=1048576
    while [ "$REPLAY" -lt "$need" ] && [ "$REPLAY" -lt 67108864 ]; do
        REPLAY=$((REPLAY * 2))
    done
fi
NPRINC=${BENCH_PRINCIPALS:-0}
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
replay_cache_size = $REPLAY
CONF
export TESSERA_CONFIG=$T/tessera.conf TESSERA_CCNAME=$T/cc
"$BIN/tkadmin" init >/dev/null
echo bench-password | "$BIN/tkadmin" addprinc --password-stdin bench >/dev/null
"$BIN/tkadmin" addprinc --randkey host/bench.test >/dev/null
if [ "$NPRINC" -gt 0 ]; then
    # A dump of NPRINC principals with keys sealed under this realm's master
    # key (tests/tools/kdb_bulk.c), then a load.
    make -s build/tools/kdb_bulk
    "$PWD/build/tools/kdb_bulk" gen "$T/db" "$T/stash" "$NPRINC" >"$T/big.dump"
    "$BIN/tkadmin" load --update "$T/big.dump" >/dev/null
    rm -f "$T/big.dump"
    echo "== loaded $NPRINC principals: database $(du -h "$T/db/data.mdb" | cut -f1)"
fi
"$BIN/tessera-kdc" -n -c "$T/tessera.conf" 2>"$T/kdc.log" &
KPID=$!
sleep 0.5
echo "== tessera-kdc pid $KPID on 127.0.0.1:$PORT; $(nproc) cores; each run ${SECS}s"
export TKBENCH_PASSWORD=bench-password
echo "== AS exchanges (pre-authenticated), 2 client threads, 1 in flight each"
"$BIN/tkbench" as -t 2 -d "$SECS" -u bench -P "$KPID" || true
echo "== AS exchanges (pre-authenticated), 2 client threads, $WIN in flight each"
"$BIN/tkbench" as -t 2 -w "$WIN" -d "$SECS" -u bench -P "$KPID" || true
echo "== TGS exchanges, 2 client threads, 1 in flight each"
"$BIN/tkbench" tgs -t 2 -d "$SECS" -u bench -s host/bench.test -P "$KPID" || true
echo "== TGS exchanges, 2 client threads, $WIN in flight each"
"$BIN/tkbench" tgs -t 2 -w "$WIN" -d "$SECS" -u bench -s host/bench.test -P "$KPID" || true
echo "== AP-REQ make + verify (in process)"
"$BIN/tkbench" ap -d "$SECS" || true
echo "== wrap/unwrap (in process)"
"$BIN/tkbench" wrap -d "$SECS" || true
if [ "$NPRINC" -gt 0 ]; then
    echo "== TGS exchanges for random ones of the $NPRINC principals, 2 client threads, $WIN in flight each"
    "$BIN/tkbench" tgs -t 2 -w "$WIN" -d "$SECS" -u bench -s 'user#######@BENCH.TEST' -S "$NPRINC" -P "$KPID" || true
fi
rss() {
    awk '/^(VmRSS|RssAnon|RssFile):/ {printf "%s %s %s  ", $1, $2, $3}' "/proc/$KPID/status"
}
echo "== KDC resident memory: $(rss)(replay cache: $REPLAY entries of 8 bytes; RssFile: the LMDB map and the program)"
if [ "$SAT" -gt 0 ]; then
    echo "== saturating TGS load: ${SAT}s, 2 client threads, 16 in flight each"
    rc=0
    "$BIN/tkbench" tgs -t 2 -w 16 -d "$SAT" -u bench -s host/bench.test -P "$KPID" || rc=$?
    echo "== KDC resident memory after the saturating run: $(rss)"
    [ "$rc" -eq 0 ] || { echo "saturating run: errors or timeouts" >&2; exit 1; }
fi
