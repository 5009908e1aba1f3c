#!/usr/bin/env bash
# t_client_network.sh — service tickets and KDC transport against the real
# KDC: tkvno for existing and unknown services, the cache hit, a KDC restart
# between tkinit and tkvno, failover from a dead first address, every KDC
# down, TCP-only transport, and the TCP fallback when UDP answers
# RESPONSE_TOO_BIG (a loopback relay in front of the KDC).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if [ ! -x "$BIN/tkadmin" ] || [ ! -x "$BIN/tessera-kdc" ]; then
    echo "SKIP: needs tkadmin and tessera-kdc"
    exit 0
fi

mkrealm
A="run_tool tkadmin"
echo 'alice-password' | $A addprinc --password-stdin alice >/dev/null || fail "addprinc alice"
$A addprinc --randkey http/web1 >/dev/null || fail "addprinc http/web1"
$A randkey http/web1 >/dev/null || fail "randkey http/web1" # kvno 2

if [ -f "$here/kdc.sh" ]; then
    . "$here/kdc.sh"
else
    start_kdc() {
        "$BIN/tessera-kdc" -n -c "$TESSERA_CONFIG" >>"$T/kdc.log" 2>&1 &
        KDC_PID=$!
        track_pid "$KDC_PID"
        for _ in $(seq 100); do
            python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT),0.2)" 2>/dev/null && return 0
            sleep 0.05
        done
        fail "tessera-kdc did not start: $(cat "$T/kdc.log")"
    }
    stop_kdc() {
        kill -TERM "$KDC_PID" 2>/dev/null || true
        wait "$KDC_PID" 2>/dev/null || true
    }
fi
start_kdc

# A client configuration with other [realm] KDC addresses (the KDC keeps
# reading tessera.conf).
client_conf() { # client_conf NAME extra-libdefaults-line kdc-address...
    local name=$1 extra=$2
    shift 2
    {
        printf '[libdefaults]\ndefault_realm = %s\nkdc_timeout = 1s\nkdc_retries = 1\n%s\n[realm %s]\n' \
            "$REALM" "$extra" "$REALM"
        for a in "$@"; do
            printf 'kdc = %s\n' "$a"
        done
    } >"$T/$name.conf"
    echo "$T/$name.conf"
}

echo alice-password | run_tool tkinit --password-stdin alice >/dev/null || fail "tkinit"

# --- tkvno: existing service, then the cache answers
expect_output '^http/web1@EXAMPLE.ORG: kvno = 2$' run_tool tkvno http/web1
expect_output 'http/web1@EXAMPLE.ORG$' run_tool tklist
TESSERA_TRACE=1 expect_output '^http/web1@EXAMPLE.ORG: kvno = 2$' run_tool tkvno http/web1@EXAMPLE.ORG
echo "$OUT" | grep -q 'ticket for http/web1@EXAMPLE.ORG found in' || fail "second tkvno did not use the cache: $OUT"
echo "$OUT" | grep -q 'TGS-REQ' && fail "second tkvno sent a TGS request: $OUT"

# --- unknown service: message names it; other services still reported
expect_fail run_tool tkvno nosuch/host http/web1
echo "$OUT" | grep -qx "tkvno: service nosuch/host@EXAMPLE.ORG not found in Kerberos database" ||
    fail "unknown service: $OUT"
echo "$OUT" | grep -qx "http/web1@EXAMPLE.ORG: kvno = 2" || fail "second service not reported: $OUT"

# --- no TGT
expect_fail run_tool tkvno -c "$T/empty.cc" http/web1
echo "$OUT" | grep -q "run tkinit" || fail "tkvno without TGT: $OUT"

# --- KDC restart between tkinit and tkvno: the TGT stays good
$A addprinc --randkey http/web2 >/dev/null || fail "addprinc http/web2"
stop_kdc
expect_fail run_tool tkvno http/web2
echo "$OUT" | grep -qx "tkvno: cannot contact any KDC for realm EXAMPLE.ORG (tried 127.0.0.1:$PORT): is tessera-kdc running?" ||
    fail "KDC down: $OUT"
start_kdc
expect_output '^http/web2@EXAMPLE.ORG: kvno = 1$' run_tool tkvno http/web2

# --- failover: the first address is dead
dead=$(free_port)
conf=$(client_conf failover "" "127.0.0.1:$dead" "127.0.0.1:$PORT")
t0=$(date +%s%N)
TESSERA_CONFIG=$conf expect_output '^$' bash -c "echo alice-password | $BIN/tkinit --password-stdin -c $T/fo.cc alice"
ms=$((($(date +%s%N) - t0) / 1000000))
TESSERA_CONFIG=$conf expect_output '^http/web1@EXAMPLE.ORG: kvno = 2$' run_tool tkvno -c "$T/fo.cc" http/web1
note "failover tkinit took ${ms} ms"

# --- every KDC down: the message lists them
dead2=$(free_port)
conf=$(client_conf down "" "127.0.0.1:$dead" "127.0.0.1:$dead2")
TESSERA_CONFIG=$conf expect_fail bash -c "echo alice-password | $BIN/tkinit --password-stdin -c $T/down.cc alice"
[ "$OUT" = "tkinit: cannot contact any KDC for realm EXAMPLE.ORG (tried 127.0.0.1:$dead, 127.0.0.1:$dead2): is tessera-kdc running?" ] ||
    fail "all KDCs down: $OUT"

# --- TCP only (every request is over the UDP limit)
conf=$(client_conf tcp "udp_preference_limit = 1" "127.0.0.1:$PORT")
TESSERA_CONFIG=$conf TESSERA_TRACE=1 expect_output 'over TCP' \
    bash -c "echo alice-password | $BIN/tkinit --password-stdin -c $T/tcp.cc alice"
echo "$OUT" | grep -q 'over UDP' && fail "udp_preference_limit = 1 still used UDP: $OUT"
TESSERA_CONFIG=$conf expect_output '^http/web1@EXAMPLE.ORG: kvno = 2$' run_tool tkvno -c "$T/tcp.cc" http/web1

# --- TCP fallback: a relay whose UDP side always answers RESPONSE_TOO_BIG
# and whose TCP side forwards to the KDC.
rport=$(free_port)
python3 - "$rport" "$PORT" "$T/relay.udp" >"$T/relay.log" 2>&1 <<'PY' &
import socket, struct, sys, threading, time
rport, kport, counter = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
TOO_BIG = 32  # KRB_ERR_RESPONSE_TOO_BIG
def error_msg(code):
    realm = b"EXAMPLE.ORG"
    return (b"TK\x01\x05" + struct.pack(">IQ", code, int(time.time() * 1e6)) + bytes([len(realm)]) + realm
            + struct.pack(">H", 0) + struct.pack(">H", 0))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", rport))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", rport))
t.listen(8)
n = 0
def udp():
    global n
    while True:
        data, peer = u.recvfrom(65535)
        n += 1
        open(counter, "w").write(str(n))
        u.sendto(error_msg(TOO_BIG), peer)
def recv_exact(s, k):
    b = b""
    while len(b) < k:
        c = s.recv(k - len(b))
        if not c:
            raise EOFError
        b += c
    return b
def tcp(c):
    with c, socket.create_connection(("127.0.0.1", kport), 5) as k:
        ln = recv_exact(c, 4)
        k.sendall(ln + recv_exact(c, struct.unpack(">I", ln)[0]))
        ln = recv_exact(k, 4)
        c.sendall(ln + recv_exact(k, struct.unpack(">I", ln)[0]))
threading.Thread(target=udp, daemon=True).start()
print("ready", flush=True)
while True:
    c, _ = t.accept()
    threading.Thread(target=tcp, args=(c,), daemon=True).start()
PY
track_pid $!
for _ in $(seq 100); do
    grep -q ready "$T/relay.log" 2>/dev/null && break
    sleep 0.05
done
conf=$(client_conf relay "" "127.0.0.1:$rport")
TESSERA_CONFIG=$conf expect_output '^$' bash -c "echo alice-password | $BIN/tkinit --password-stdin -c $T/relay.cc alice"
TESSERA_CONFIG=$conf expect_output '^http/web1@EXAMPLE.ORG: kvno = 2$' run_tool tkvno -c "$T/relay.cc" http/web1
[ "$(cat "$T/relay.udp")" = 3 ] || fail "expected 3 UDP attempts (AS, AS with PA, TGS), relay saw $(cat "$T/relay.udp")"

note "all network checks passed"
