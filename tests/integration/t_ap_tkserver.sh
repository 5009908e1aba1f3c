#!/usr/bin/env bash
# t_ap_tkserver.sh — the AP exchange end to end with the real KDC and tools:
# a throwaway realm (tkadmin init / addprinc / ktadd), tkinit, tkserver on a
# free 127.0.0.1 port, tkclient with mutual authentication exchanging
# wrapped messages, and the captured AP-REQ replayed to the server, which
# must refuse it with KRB_ERR_REPEAT. Also tkapreq get / verify.
#
# Realm set-up: tests/integration/lib.sh (mkrealm) and kdc.sh (start_kdc)
# when present, else the KDC is started here.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if [ ! -x "$BIN/tkadmin" ] || [ ! -x "$BIN/tessera-kdc" ]; then
    echo "SKIP: needs tkadmin and tessera-kdc"
    exit 0
fi

mkrealm
export TESSERA_RCACHE_DIR="$T"
show_server() {
    [ -f "$T/server.err" ] && sed 's/^/    server: /' "$T/server.err" >&2
    return 0
}

# Realm: alice with a password, the service with a random key in a keytab.
echo 'alice-password' | run_tool tkadmin addprinc --password-stdin alice >/dev/null || fail "addprinc alice"
run_tool tkadmin addprinc --randkey http/web1 >/dev/null || fail "addprinc http/web1"
run_tool tkadmin ktadd -k "$T/http.keytab" http/web1 >/dev/null || fail "ktadd"

# The KDC (kdc.sh's start_kdc when present).
if [ -f "$here/kdc.sh" ]; then
    . "$here/kdc.sh"
    start_kdc
else
    "$BIN/tessera-kdc" -n -c "$TESSERA_CONFIG" >"$T/kdc.log" 2>&1 &
    track_pid $!
    for _ in $(seq 50); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT),0.2)" 2>/dev/null && break
        sleep 0.1
    done
fi
echo alice-password | run_tool tkinit --password-stdin alice >"$T/tkinit.log" 2>&1 || fail "tkinit: $(cat "$T/tkinit.log")"
sport=$(free_port)

# The service.
"$BIN/tkserver" -p "$sport" -k "$T/http.keytab" -s http/web1 >"$T/server.out" 2>"$T/server.err" &
track_pid $!
for _ in $(seq 50); do
    grep -q listening "$T/server.out" 2>/dev/null && break
    sleep 0.1
done

# 1. Mutual authentication and protected messages.
run_tool tkclient -p "$sport" --dump-token "$T/apreq.bin" http/web1 "hello web1" "second message" \
    >"$T/client.out" 2>"$T/client.err" || { show_server; fail "tkclient: $(cat "$T/client.err")"; }
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
run_tool tkclient -p "$sport" -n -c http/web1 "clear but protected" >"$T/client2.out" 2>&1 ||
    fail "tkclient -n -c: $(cat "$T/client2.out")"
grep -qx "reply: clear but protected" "$T/client2.out" || fail "no echo without mutual"

# 4. tkapreq: verify once, refuse the replay and the wrong service.
run_tool tkapreq get http/web1 >"$T/req.b64" 2>"$T/get.err" || fail "tkapreq get: $(cat "$T/get.err")"
[ "$(run_tool tkapreq verify -k "$T/http.keytab" -s http/web1 <"$T/req.b64")" = alice@EXAMPLE.ORG ] ||
    fail "tkapreq verify"
run_tool tkapreq verify -k "$T/http.keytab" -s http/web1 <"$T/req.b64" 2>"$T/v2.err" && fail "replay verified"
grep -q KRB_ERR_REPEAT "$T/v2.err" || fail "tkapreq replay: $(cat "$T/v2.err")"
run_tool tkapreq verify -k "$T/http.keytab" -s http/web2 <"$T/req.b64" 2>"$T/v3.err" && fail "wrong service verified"
grep -q KRB_ERR_WRONG_PRINC "$T/v3.err" || fail "tkapreq wrong service: $(cat "$T/v3.err")"

echo "PASS: t_ap_tkserver"
exit 0
