#!/usr/bin/env bash
# The README's first command: install what is missing, build, create a local
# realm EXAMPLE.ORG under ./demo (embedded LMDB store) with a demo user and a
# demo service, start tessera-kdc on 127.0.0.1, and say what to type next.
# Run it again to restart the KDC; `bash scripts/demo.sh stop` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
D=$top/demo
PORT=${TESSERA_DEMO_PORT:-7088}
BIN=$top/build/bin
REALM=EXAMPLE.ORG
USER_PW=${TESSERA_DEMO_PASSWORD:-alice-demo-password}

stop_kdc() {
    local pid
    pid=$(cat "$D/kdc.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        echo "demo: stopped tessera-kdc (pid $pid)"
    fi
}

if [ "${1:-}" = stop ]; then
    stop_kdc
    exit 0
fi

bash scripts/deps.sh
make -s -j"$(nproc)" all

stop_kdc
mkdir -p "$D"
chmod 700 "$D"
cat >"$D/tessera.conf" <<CONF
# Demo realm made by scripts/demo.sh
[libdefaults]
default_realm = $REALM
clock_skew = 300s
keytab = $D/service.keytab
rcache_dir = $D

[realm $REALM]
kdc = 127.0.0.1:$PORT

[kdc]
realm = $REALM
listen = 127.0.0.1:$PORT
database = $D/db
stash = $D/stash
log = stderr
pidfile = $D/kdc.pid
CONF
export TESSERA_CONFIG=$D/tessera.conf

if [ ! -d "$D/db" ]; then
    "$BIN/tkadmin" init
    printf '%s\n' "$USER_PW" | "$BIN/tkadmin" addprinc --password-stdin alice
    "$BIN/tkadmin" addprinc --randkey host/localhost
    "$BIN/tkadmin" ktadd -k "$D/service.keytab" host/localhost
fi

"$BIN/tessera-kdc" -c "$D/tessera.conf" -P "$D/kdc.pid" 2>>"$D/kdc.log"
for _ in $(seq 50); do
    [ -s "$D/kdc.pid" ] && break
    sleep 0.1
done
if ! [ -s "$D/kdc.pid" ] || ! kill -0 "$(cat "$D/kdc.pid")" 2>/dev/null; then
    echo "demo: tessera-kdc did not start; see $D/kdc.log" >&2
    tail -n 5 "$D/kdc.log" >&2 || true
    exit 1
fi

cat <<NEXT

Tessera realm $REALM is up: tessera-kdc (pid $(cat "$D/kdc.pid")) on 127.0.0.1:$PORT,
database $D/db, log $D/kdc.log.

Type next:

  export TESSERA_CONFIG=$D/tessera.conf TESSERA_CCNAME=$D/ccache PATH=$BIN:\$PATH
  tkinit alice                 # password: $USER_PW
  tklist
  tkvno host/localhost
  tkserver -k $D/service.keytab -s host/localhost -p 7089 -1 &
  tkclient -p 7089 host/localhost "hello, tessera"
  tkdestroy

Admin:  tkadmin listprincs    (with TESSERA_CONFIG set as above)
Stop:   bash scripts/demo.sh stop
NEXT
