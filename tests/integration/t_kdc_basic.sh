#!/usr/bin/env bash
# t_kdc_basic.sh — tessera-kdc as a daemon: start-up, pid file, requests over
# UDP and TCP (tkinit, tkvno, hand-made datagrams), hostile datagrams and
# TCP frames, slow clients, SIGHUP reload (good and bad), SIGTERM exit 0,
# start-up errors, daemon mode. Only 127.0.0.1 is ever contacted.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/kdc.sh"

if [ ! -x "$BIN/tkadmin" ] || [ ! -x "$BIN/tessera-kdc" ]; then
    echo "SKIP: needs tkadmin and tessera-kdc"
    exit 0
fi
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 0; }

mkrealm
cat >>"$TESSERA_CONFIG" <<CONF
tcp_idle_timeout = 2s
max_tcp_connections = 8
CONF
cp "$TESSERA_CONFIG" "$T/good.conf"
echo alice-password | run_tool tkadmin addprinc --password-stdin alice >/dev/null || fail "addprinc alice"
run_tool tkadmin addprinc --randkey host/svc.example.org >/dev/null || fail "addprinc host"

# Probe helper: speaks to 127.0.0.1:$PORT only.
cat >"$T/probe.py" <<'PY'
import os, socket, struct, sys, time
port = int(os.environ["PORT"])
HOST = "127.0.0.1"

def name(s):
    b = s.encode()
    return bytes([len(b)]) + b

def as_req(client, realm="EXAMPLE.ORG"):
    body = name(client) + name("krbtgt/%s@%s" % (realm, realm))
    body += struct.pack(">IIQQB", 12345, 0, 0, 0, 1) + struct.pack(">H", 1)
    return b"TK\x01\x01" + body + b"\x00"

def udp(msg, timeout=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(msg, (HOST, port))
    try:
        return s.recv(70000)
    except socket.timeout:
        return None
    finally:
        s.close()

def err_code(rep):
    assert rep is not None and rep[:4] == b"TK\x01\x05", rep
    return struct.unpack(">I", rep[4:8])[0]

def tcp_req(msg):
    s = socket.create_connection((HOST, port), 2)
    s.sendall(struct.pack(">I", len(msg)) + msg)
    hdr = recvn(s, 4)
    n = struct.unpack(">I", hdr)[0]
    rep = recvn(s, n)
    s.close()
    return rep

def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("closed after %d bytes" % len(b))
        b += c
    return b

def closed_within(s, secs):
    s.settimeout(secs)
    try:
        return s.recv(10) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False

PREAUTH_REQUIRED, MALFORMED, UNSUPPORTED = 19, 2, 54  # include/krb.h order
cmd = sys.argv[1]
if cmd == "preauth":
    assert err_code(udp(as_req("alice@EXAMPLE.ORG"))) == PREAUTH_REQUIRED
    assert err_code(udp(as_req("nobody@EXAMPLE.ORG"))) == PREAUTH_REQUIRED
    assert err_code(tcp_req(as_req("alice@EXAMPLE.ORG"))) == PREAUTH_REQUIRED
elif cmd == "hostile":
    import random
    rnd = random.Random(7)
    silent = [b"", b"T", b"TK", b"TK\x01", b"GET / HTTP/1.0\r\n\r\n", b"TK\x01\x05" + b"\x00" * 40,
              bytes(rnd.getrandbits(8) for _ in range(1400))]
    for m in silent:
        assert udp(m, 0.3) is None, m
    # bare headers would get an ERROR more than 3x their size: silence
    assert udp(b"TK\x01\x01", 0.3) is None
    assert udp(b"TK\x02\x01", 0.3) is None
    assert err_code(udp(b"TK\x02\x01" + b"\x00" * 20)) == UNSUPPORTED
    good = as_req("alice@EXAMPLE.ORG")
    for n in range(4, len(good)):
        rep = udp(good[:n], 0.3 if n < 11 else 1.0)
        if n >= 11:
            assert rep is not None, n
        assert rep is None or (err_code(rep) != 0 and len(rep) <= min(100, 3 * n)), (n, rep)
    for _ in range(300):
        m = b"TK\x01" + bytes([rnd.choice([1, 3, 6])]) + bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 700)))
        rep = udp(m, 0.5)
        assert rep is None or (err_code(rep) != 0 and len(rep) <= 100)
    # a datagram larger than any message
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"TK\x01\x03" + b"\x00" * 65000, (HOST, port))
    s.close()
    # TCP: zero length, oversized length, garbage: the KDC closes
    for prefix in (b"\x00\x00\x00\x00", b"\x00\x01\x00\x00", b"\xff\xff\xff\xff"):
        s = socket.create_connection((HOST, port), 2)
        s.sendall(prefix + b"TK\x01\x01")
        assert closed_within(s, 2.0), prefix
        s.close()
    s = socket.create_connection((HOST, port), 2)
    s.sendall(struct.pack(">I", 8) + b"garbage!")
    assert closed_within(s, 2.0)
    s.close()
    # several requests on one connection
    s = socket.create_connection((HOST, port), 2)
    for _ in range(3):
        m = as_req("alice@EXAMPLE.ORG")
        s.sendall(struct.pack(">I", len(m)) + m)
        n = struct.unpack(">I", recvn(s, 4))[0]
        assert err_code(recvn(s, n)) == PREAUTH_REQUIRED
    s.close()
    assert err_code(udp(as_req("alice@EXAMPLE.ORG"))) == PREAUTH_REQUIRED
elif cmd == "slow":
    # one byte every 0.5 s: closed by tcp_idle_timeout (2 s) long before the frame is complete
    m = as_req("alice@EXAMPLE.ORG")
    frame = struct.pack(">I", len(m)) + m
    s = socket.create_connection((HOST, port), 2)
    t0 = time.time()
    closed = False
    for b in frame:
        try:
            s.send(bytes([b]))
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        s.settimeout(0.5)
        try:
            if s.recv(10) == b"":
                closed = True
                break
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed = True
            break
        if time.time() - t0 > 8:
            break
    assert closed and time.time() - t0 < 5, time.time() - t0
    # the connection limit: idle connections beyond max_tcp_connections are closed at once
    socks = [socket.create_connection((HOST, port), 2) for _ in range(8)]
    time.sleep(0.2)
    extra = socket.create_connection((HOST, port), 2)
    assert closed_within(extra, 1.5)
    for x in socks:
        x.close()
    time.sleep(0.3)
    assert err_code(tcp_req(as_req("alice@EXAMPLE.ORG"))) == PREAUTH_REQUIRED
else:
    sys.exit("unknown command " + cmd)
PY
probe() {
    PORT=$PORT python3 "$T/probe.py" "$@" || fail "probe $*"
}

# 1. Start, pid file, first requests.
start_kdc
[ "$(cat "$KDC_PIDFILE")" = "$KDC_PID" ] || fail "pid file holds $(cat "$KDC_PIDFILE"), daemon is $KDC_PID"
probe preauth
echo alice-password | run_tool tkinit --password-stdin alice >"$T/tkinit.log" 2>&1 || fail "tkinit: $(cat "$T/tkinit.log")"
expect_output 'kvno' run_tool tkvno host/svc.example.org
echo wrong | run_tool tkinit --password-stdin alice >"$T/tkinit2.log" 2>&1 && fail "tkinit with a wrong password succeeded"
grep -Eq ' udp AS_REQ alice@EXAMPLE.ORG krbtgt/EXAMPLE.ORG@EXAMPLE.ORG KRB_ERR_PREAUTH_REQUIRED [0-9]+us' "$KDC_LOG" ||
    fail "no request log line: $(tail -n 5 "$KDC_LOG")"
grep -Eq ' TGS_REQ alice@EXAMPLE.ORG host/svc.example.org@EXAMPLE.ORG KRB_OK ' "$KDC_LOG" || fail "no TGS log line"
grep -q 'KRB_ERR_PREAUTH_FAILED' "$KDC_LOG" || fail "no PREAUTH_FAILED log line"
grep -q ' tcp AS_REQ ' "$KDC_LOG" || fail "no TCP log line"

# 2. Hostile input does not kill it; slow and surplus TCP clients are cut off.
probe hostile
kdc_alive || fail "tessera-kdc died on hostile input: $(tail -n 5 "$KDC_LOG")"
probe slow
kdc_alive || fail "tessera-kdc died on slow clients"

# 3. SIGHUP: a good reload applies, a bad one is logged and changes nothing.
echo "max_life = 1h" >>"$TESSERA_CONFIG"
kill -HUP "$KDC_PID"
for _ in $(seq 50); do grep -q 'configuration reloaded' "$KDC_LOG" && break; sleep 0.1; done
grep -q 'configuration reloaded' "$KDC_LOG" || fail "no reload message"
echo alice-password | run_tool tkinit --password-stdin alice >/dev/null 2>&1 || fail "tkinit after reload"
echo "bogus_key = 1" >>"$TESSERA_CONFIG"
kill -HUP "$KDC_PID"
for _ in $(seq 50); do grep -q 'reload failed' "$KDC_LOG" && break; sleep 0.1; done
grep -q "reload failed, keeping the previous configuration: .*bogus_key" "$KDC_LOG" || fail "bad reload not logged: $(tail -n 3 "$KDC_LOG")"
kdc_alive || fail "tessera-kdc died on a bad reload"
probe preauth
cp "$T/good.conf" "$TESSERA_CONFIG"

# 4. SIGTERM: exit status 0, pid file removed (stop_kdc checks both).
stop_kdc
grep -q 'stopped' "$KDC_LOG" || fail "no stop message"

# 5. Start-up errors are clear and the exit status is non-zero.
cp "$T/good.conf" "$T/bad.conf"
echo "listen_on = 1.2.3.4" >>"$T/bad.conf"
expect_fail "$BIN/tessera-kdc" -n -c "$T/bad.conf"
printf '%s\n' "$OUT" | grep -Eq "^tessera-kdc: .*bad.conf:[0-9]+: .*listen_on" || fail "bad config message: $OUT"
sed "s|^database = .*|database = $T/nodb|" "$T/good.conf" >"$T/nodb.conf"
expect_fail "$BIN/tessera-kdc" -n -c "$T/nodb.conf"
printf '%s\n' "$OUT" | grep -q "cannot open database $T/nodb: .*tkadmin init" || fail "missing database message: $OUT"
expect_fail "$BIN/tessera-kdc" -n -c "$T/missing.conf"
printf '%s\n' "$OUT" | grep -q "cannot read configuration" || fail "missing config message: $OUT"
expect_fail "$BIN/tessera-kdc" -n -w 0 -c "$T/good.conf"

# 6. Port already taken: the second daemon refuses to start.
start_kdc
expect_fail "$BIN/tessera-kdc" -n -c "$TESSERA_CONFIG" -P "$T/other.pid"
printf '%s\n' "$OUT" | grep -q "cannot listen on 127.0.0.1:$PORT" || fail "port in use message: $OUT"
expect_fail "$BIN/tessera-kdc" -n -c "$TESSERA_CONFIG" -P "$KDC_PIDFILE"
printf '%s\n' "$OUT" | grep -q "already running as pid $KDC_PID" || fail "pid file check message: $OUT"
stop_kdc

# 7. Daemon mode: the start command returns once the KDC serves.
if [ "${TESSERA_VALGRIND:-}" != 1 ]; then
    "$BIN/tessera-kdc" -c "$TESSERA_CONFIG" -P "$T/daemon.pid" -w 1 2>"$T/daemon.err" || fail "daemon start: $(cat "$T/daemon.err")"
    dpid=$(cat "$T/daemon.pid")
    track_pid "$dpid"
    kill -0 "$dpid" || fail "daemon not running"
    [ "$(readlink "/proc/$dpid/cwd")" = / ] || fail "daemon did not chdir /"
    probe preauth
    kill -TERM "$dpid"
    for _ in $(seq 50); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$dpid" 2>/dev/null && fail "daemon did not stop"
    [ ! -e "$T/daemon.pid" ] || fail "daemon left its pid file"
    expect_fail "$BIN/tessera-kdc" -c "$T/nodb.conf"
    printf '%s\n' "$OUT" | grep -q "cannot open database" || fail "daemon start-up error not shown: $OUT"
fi
echo "PASS: t_kdc_basic"
