#!/usr/bin/env bash
# t_ap_tkserver.sh — the AP exchange end to end with the real KDC and tools:
# a throwaway realm (tkadmin init / addprinc / ktadd), tkinit, tkserver on a
# free 127.0.0.1 port, tkclient with mutual authentication exchanging
# wrapped messages, and the captured AP-REQ replayed to the server, which
# must refuse it with KRB_ERR_REPEAT. Also tkapreq get / verify.
#
# Realm set-up comes from tests/integration/lib.sh and kdc.sh (written with
# the KDC and tkadmin); until they exist this test reports SKIP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
B=${B:-build}
BIN=$(cd "$here/../.." && pwd)/$B/bin

if [ ! -f "$here/lib.sh" ] || [ ! -f "$here/kdc.sh" ] || [ ! -x "$BIN/tkadmin" ] || [ ! -x "$BIN/tessera-kdc" ]; then
    echo "SKIP: needs tests/integration/lib.sh, kdc.sh, tkadmin and tessera-kdc"
    exit 0
fi
# shellcheck source=/dev/null
. "$here/lib.sh"
# shellcheck source=/dev/null
. "$here/kdc.sh"

fail() {
    echo "FAIL: $*"
    [ -f "$T/server.err" ] && sed 's/^/    server: /' "$T/server.err"
    exit 1
}

T=$(mktemp -d)
srv_pid=
kdc_pid=
cleanup() {
    [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
    [ -n "$kdc_pid" ] && kill "$kdc_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

kport=$(free_port)
sport=$(free_port)
cat >"$T/tessera.conf" <<EOF
[libdefaults]
default_realm = EXAMPLE.ORG
ccache = $T/cc
rcache_dir = $T
kdc_timeout = 2s
[realm EXAMPLE.ORG]
kdc = 127.0.0.1:$kport
[kdc]
realm = EXAMPLE.ORG
listen = 127.0.0.1:$kport
database = $T/db
stash = $T/stash
pwhash_mem = 8K
EOF
export TESSERA_CONFIG="$T/tessera.conf" TESSERA_CCNAME="$T/cc" TESSERA_RCACHE_DIR="$T"

# Realm: alice with a password, the service with a random key in a keytab.
"$BIN/tkadmin" init </dev/null >"$T/admin.log" 2>&1 || fail "tkadmin init: $(cat "$T/admin.log")"
printf 'alice-password\nalice-password\n' |
    "$BIN/tkadmin" addprinc --password-stdin alice >>"$T/admin.log" 2>&1 || fail "addprinc alice: $(cat "$T/admin.log")"
"$BIN/tkadmin" addprinc -randkey http/web1 >>"$T/admin.log" 2>&1 || fail "addprinc http/web1: $(cat "$T/admin.log")"
"$BIN/tkadmin" ktadd -k "$T/http.keytab" http/web1 >>"$T/admin.log" 2>&1 || fail "ktadd: $(cat "$T/admin.log")"

"$BIN/tessera-kdc" -n -c "$T/tessera.conf" >"$T/kdc.log" 2>&1 &
kdc_pid=$!
for _ in $(seq 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$kport),0.2)" 2>/dev/null && break
    sleep 0.1
done
echo alice-password | "$BIN/tkinit" --password-stdin alice >"$T/tkinit.log" 2>&1 || fail "tkinit: $(cat "$T/tkinit.log")"

# The service.
"$BIN/tkserver" -p "$sport" -k "$T/http.keytab" -s http/web1 >"$T/server.out" 2>"$T/server.err" &
srv_pid=$!
for _ in $(seq 50); do
    grep -q listening "$T/server.out" 2>/dev/null && break
    sleep 0.1
done

# 1. Mutual authentication and protected messages.
"$BIN/tkclient" -p "$sport" --dump-token "$T/apreq.bin" http/web1 "hello web1" "second message" \
    >"$T/client.out" 2>"$T/client.err" || fail "tkclient: $(cat "$T/client.err")"
grep -qx "mutual authentication: server is http/web1@EXAMPLE.ORG" "$T/client.out" || fail "no mutual authentication"
grep -qx "reply: hello web1" "$T/client.out" || fail "no echo: $(cat "$T/client.out")"
grep -qx "reply: second message" "$T/client.out" || fail "no second echo"
grep -qx "authenticated alice@EXAMPLE.ORG" "$T/server.out" || fail "server did not authenticate alice"
grep -q "message from alice@EXAMPLE.ORG (sealed): hello web1" "$T/server.out" || fail "server did not print the message"

# 2. The captured AP-REQ, replayed on a new connection, is refused.
python3 - "$sport" "$T/apreq.bin" <<'EOF' || fail "replay: server answered"
import socket, struct, sys
tok = open(sys.argv[2], "rb").read()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall(struct.pack(">I", len(tok)) + tok)
s.settimeout(5)
sys.exit(1 if s.recv(4) else 0)   # the server closes without an AP-REP
EOF
for _ in $(seq 50); do
    grep -q KRB_ERR_REPEAT "$T/server.err" && break
    sleep 0.1
done
grep -q "authentication failed: .*(KRB_ERR_REPEAT)" "$T/server.err" || fail "replay not reported as KRB_ERR_REPEAT"
[ "$(grep -c '^authenticated' "$T/server.out")" -eq 1 ] || fail "replayed AP-REQ was accepted"

# 3. Without mutual authentication, integrity-only messages.
"$BIN/tkclient" -p "$sport" -n -c http/web1 "clear but protected" >"$T/client2.out" 2>&1 ||
    fail "tkclient -n -c: $(cat "$T/client2.out")"
grep -qx "reply: clear but protected" "$T/client2.out" || fail "no echo without mutual"

# 4. tkapreq: verify once, refuse the replay and the wrong service.
"$BIN/tkapreq" get http/web1 >"$T/req.b64" 2>"$T/get.err" || fail "tkapreq get: $(cat "$T/get.err")"
[ "$("$BIN/tkapreq" verify -k "$T/http.keytab" -s http/web1 <"$T/req.b64")" = alice@EXAMPLE.ORG ] ||
    fail "tkapreq verify"
"$BIN/tkapreq" verify -k "$T/http.keytab" -s http/web1 <"$T/req.b64" 2>"$T/v2.err" && fail "replay verified"
grep -q KRB_ERR_REPEAT "$T/v2.err" || fail "tkapreq replay: $(cat "$T/v2.err")"
"$BIN/tkapreq" verify -k "$T/http.keytab" -s http/web2 <"$T/req.b64" 2>"$T/v3.err" && fail "wrong service verified"
grep -q KRB_ERR_WRONG_PRINC "$T/v3.err" || fail "tkapreq wrong service: $(cat "$T/v3.err")"

echo "PASS: t_ap_tkserver"
exit 0
