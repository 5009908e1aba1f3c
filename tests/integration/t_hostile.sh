#!/usr/bin/env bash
# t_hostile.sh — the real tessera-kdc under hostile traffic on 127.0.0.1
# (python3 raw sockets). What t_kdc_basic.sh already covers (a fixed set of
# garbage datagrams, single odd TCP prefixes, slow clients, the connection
# limit) is not repeated here. This test adds:
#   1. amplification: for every unauthenticated request kind (garbage,
#      every truncation, AS-REQ without PA for known/unknown/service names,
#      AS-REQ with a bogus PA, bad TGS-REQs, bad CHPW-REQs, non-request
#      types) the reply is silence or at most 3x the request, UDP and TCP;
#   2. a flood of invalid and valid requests from several concurrent
#      senders while tkinit + tkvno keep succeeding, the daemon alive and
#      answering afterwards;
#   3. TCP length prefix 0xFFFFFFFF (4 GiB) on many connections followed by
#      junk: each connection is closed, VmRSS and VmPeak stay flat (nothing
#      of that size is allocated or buffered);
#   4. TCP framing: three frames in one write, a frame then a half-close,
#      a frame in 7-byte pieces: each answered;
#   5. one random datagram of every length 0..1500.
# With TESSERA_VALGRIND=1 the floods are smaller.
#
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/kdc.sh"

if [ ! -x "$BIN/tkadmin" ] || [ ! -x "$BIN/tessera-kdc" ]; then
    echo "SKIP: needs tkadmin and tessera-kdc"
    exit 0
fi
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 0; }

VG=${TESSERA_VALGRIND:-0}
mkrealm
echo alice-password | run_tool tkadmin addprinc --password-stdin alice >/dev/null || fail "addprinc alice"
run_tool tkadmin addprinc --randkey host/svc.example.org >/dev/null || fail "addprinc host"

cat >"$T/hostile.py" <<'PY'
import os, random, select, socket, struct, sys, threading, time
port = int(os.environ["PORT"])
HOST = "127.0.0.1"
VG = os.environ.get("VG") == "1"
REALM = "EXAMPLE.ORG"
TGS = "krbtgt/%s@%s" % (REALM, REALM)
rnd = random.Random(int(os.environ.get("SEED", "1")))

def name(s):
    b = s.encode() if isinstance(s, str) else s
    return bytes([len(b)]) + b

def body(server, nonce=1, nsuites=1):
    return name(server) + struct.pack(">IIQQB", nonce, 0, 0, 0, nsuites) + b"".join(
        struct.pack(">H", i + 1) for i in range(nsuites))

def as_req(client, server=TGS, pa=None, nonce=1):
    m = b"TK\x01\x01" + name(client) + body(server, nonce)
    if pa is None:
        return m + b"\x00"
    suite, kvno, sealed = pa
    return m + b"\x01" + struct.pack(">HI", suite, kvno) + struct.pack(">H", len(sealed)) + sealed

def ticket(server="host/svc.example.org@" + REALM, kvno=1, enc=b"\x00" * 60):
    return b"TK\x01\x0a" + name(server) + struct.pack(">IH", kvno, 1) + struct.pack(">H", len(enc)) + enc

def ap_req(tkt, auth=b"\x00" * 80):
    return b"TK\x01\x06" + struct.pack(">I", 0) + struct.pack(">H", len(tkt)) + tkt + struct.pack(">H", len(auth)) + auth

def tgs_req(bdy, ap):
    return b"TK\x01\x03" + struct.pack(">H", len(bdy)) + bdy + struct.pack(">H", len(ap)) + ap

def chpw_req(ap, sealed=b"\x00" * 60):
    return b"TK\x01\x0d" + struct.pack(">H", len(ap)) + ap + struct.pack(">H", len(sealed)) + sealed

def rbytes(n):
    return bytes(rnd.getrandbits(8) for _ in range(n))

def udp(msg, timeout=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(msg, (HOST, port))
        return s.recv(70000)
    except socket.timeout:
        return None
    finally:
        s.close()

def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b

def tcp(msg, timeout=2.0):
    s = socket.create_connection((HOST, port), timeout)
    try:
        s.sendall(struct.pack(">I", len(msg)) + msg)
        hdr = recvn(s, 4)
        if hdr is None:
            return None
        return recvn(s, struct.unpack(">I", hdr)[0])
    except (socket.timeout, ConnectionResetError):
        return None
    finally:
        s.close()

def err_code(rep):
    assert rep is not None and rep[:4] == b"TK\x01\x05", rep
    return struct.unpack(">I", rep[4:8])[0]

def check_amp(what, req, rep):
    if rep is None:
        return
    if len(rep) > 3 * len(req):
        msg = "%s: %d-byte request got a %d-byte reply (%.1fx): %s" % (
            what, len(req), len(rep), len(rep) / max(len(req), 1), rep[:12].hex())
        sys.exit("amplification: " + msg)

def cases():
    good = as_req("alice@" + REALM)
    out = []
    for n in range(0, len(good)):
        out.append(("truncated AS-REQ", good[:n]))
    out.append(("AS-REQ known client", good))
    out.append(("AS-REQ unknown client", as_req("nobody@" + REALM)))
    out.append(("AS-REQ service client", as_req("host/svc.example.org@" + REALM)))
    out.append(("AS-REQ short unknown", as_req("x@" + REALM, "y@" + REALM)))
    out.append(("AS-REQ other realm", as_req("x@R", "y@R")))
    out.append(("AS-REQ long unknown", as_req("u" * 200 + "@" + REALM)))
    out.append(("AS-REQ 8 suites", b"TK\x01\x01" + name("alice@" + REALM) + body(TGS, 7, 8) + b"\x00"))
    for who in ("alice@", "nobody@"):
        for sealed in (b"\x00" * 48, rbytes(16), rbytes(200)):
            out.append(("AS-REQ bogus PA " + who, as_req(who + REALM, pa=(1, 1, sealed))))
    for n in range(4, 60, 5):
        out.append(("garbage TK AS", b"TK\x01\x01" + rbytes(n)))
        out.append(("garbage TK TGS", b"TK\x01\x03" + rbytes(n)))
        out.append(("garbage TK CHPW", b"TK\x01\x0d" + rbytes(n)))
        out.append(("garbage", rbytes(n)))
    tk = ticket()
    bd = body("host/svc.example.org@" + REALM)
    out.append(("TGS-REQ bogus ticket", tgs_req(bd, ap_req(tk))))
    out.append(("TGS-REQ krbtgt bogus ticket", tgs_req(bd, ap_req(ticket(TGS)))))
    out.append(("TGS-REQ kvno 999", tgs_req(bd, ap_req(ticket(TGS, 999)))))
    out.append(("TGS-REQ empty body", tgs_req(b"", ap_req(tk))))
    out.append(("TGS-REQ ticket as AP-REQ", tgs_req(bd, tk)))
    full = tgs_req(bd, ap_req(ticket(TGS)))
    for n in range(4, len(full), 7):
        out.append(("truncated TGS-REQ", full[:n]))
    out.append(("CHPW-REQ bogus", chpw_req(ap_req(ticket("kadmin/changepw@" + REALM)))))
    for t in (0, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 99, 255):
        out.append(("type %d" % t, b"TK\x01" + bytes([t]) + rbytes(40)))
    out.append(("version 2", b"TK\x02\x01" + good[4:]))
    return out

cmd = sys.argv[1]
if cmd == "amp":
    n = 0
    for what, m in cases():
        rep = udp(m, 0.3)
        check_amp("udp " + what, m, rep)
        if rep is not None:
            err_code(rep)
            n += 1
        if len(m) > 0:
            check_amp("tcp " + what, m, tcp(m))
    assert n > 50, "too few answers: %d" % n
    print("# amplification: %d request kinds checked, %d answered, none above 3x" % (len(cases()), n))
elif cmd == "flood":
    secs = float(sys.argv[2])
    senders = int(sys.argv[3])
    stop = time.time() + secs
    counts = [0] * senders
    answered = [0] * senders
    errors = []
    pool = cases()
    def sender(i):
        # bursts of 32 datagrams without waiting, then drain the answers;
        # every 20th exchange over TCP
        r = random.Random(i)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        junk = [bytes(r.getrandbits(8) for _ in range(r.randrange(0, 1400))) for _ in range(16)]
        try:
            while time.time() < stop:
                for _ in range(32):
                    m = r.choice(junk) if r.random() < 0.1 else r.choice(pool)[1]
                    try:
                        s.sendto(m, (HOST, port))
                        counts[i] += 1
                    except BlockingIOError:
                        break
                while True:
                    rr, _, _ = select.select([s], [], [], 0.01)
                    if not rr:
                        break
                    rep = s.recv(70000)
                    answered[i] += 1
                    if rep[:4] != b"TK\x01\x05" or len(rep) > 3 * 1400:
                        errors.append("odd reply %r" % rep[:16])
                if counts[i] % 20 < 2:
                    m = r.choice(pool)[1]
                    if m:
                        try:
                            rep = tcp(m, 1.0)
                        except OSError:
                            rep = None
                        counts[i] += 1
                        if rep is not None:
                            answered[i] += 1
                            check_amp("tcp flood", m, rep)
        except Exception as e:
            errors.append("sender %d: %r" % (i, e))
        finally:
            s.close()
    th = [threading.Thread(target=sender, args=(i,)) for i in range(senders)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    assert not errors, errors[:5]
    total = sum(counts)
    assert sum(answered) > 100, (total, sum(answered))
    print("# flood: %d senders, %d requests in %.0fs, %d answered" % (senders, total, secs, sum(answered)))
elif cmd == "alive":
    assert err_code(udp(as_req("alice@" + REALM), 2.0)) == 19
    assert err_code(tcp(as_req("alice@" + REALM), 2.0)) == 19
elif cmd == "bigprefix":
    conns = int(sys.argv[2])
    junk = b"\xa5" * 65536
    closed = 0
    for i in range(conns):
        s = socket.create_connection((HOST, port), 2)
        try:
            s.sendall(b"\xff\xff\xff\xff" + (junk if i % 2 == 0 else b"TK\x01\x01"))
        except (BrokenPipeError, ConnectionResetError):
            closed += 1
            s.close()
            continue
        s.settimeout(3)
        try:
            while True:
                c = s.recv(65536)
                if c == b"":
                    closed += 1
                    break
                sys.exit("KDC answered a 4 GiB frame: %r" % c[:16])
        except ConnectionResetError:
            closed += 1
        except socket.timeout:
            sys.exit("connection %d with a 4 GiB length prefix is still open after 3 s" % i)
        finally:
            s.close()
    assert closed == conns, (closed, conns)
elif cmd == "tcpframing":
    # three frames in one write, a frame then a half-close, a frame in
    # 7-byte pieces: every request answered in order
    m = as_req("alice@" + REALM)
    f = struct.pack(">I", len(m)) + m
    s = socket.create_connection((HOST, port), 3)
    s.settimeout(3)
    m2 = as_req("nobody@" + REALM, nonce=2)
    s.sendall(f + struct.pack(">I", len(m2)) + m2 + f)
    for i in range(3):
        hdr = recvn(s, 4)
        assert hdr is not None, "pipelined frame %d not answered" % i
        assert err_code(recvn(s, struct.unpack(">I", hdr)[0])) == 19
    s.close()
    s = socket.create_connection((HOST, port), 3)
    s.settimeout(3)
    s.sendall(f)
    s.shutdown(socket.SHUT_WR)
    hdr = recvn(s, 4)
    assert hdr is not None, "no answer after a half-close"
    assert err_code(recvn(s, struct.unpack(">I", hdr)[0])) == 19
    s.close()
    s = socket.create_connection((HOST, port), 3)
    s.settimeout(3)
    for i in range(0, len(f), 7):
        s.sendall(f[i:i + 7])
        time.sleep(0.005)
    hdr = recvn(s, 4)
    assert hdr is not None, "a frame sent in pieces was not answered"
    assert err_code(recvn(s, struct.unpack(">I", hdr)[0])) == 19
    s.close()
elif cmd == "lengths":
    answered = 0
    batch = 100
    for start in range(0, 1501, batch):
        socks = []
        for n in range(start, min(start + batch, 1501)):
            if n >= 4 and n % 2 == 0:
                m = b"TK\x01" + bytes([rnd.choice([1, 3, 6, 13, rnd.getrandbits(8)])]) + rbytes(n - 4)
            else:
                m = rbytes(n)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setblocking(False)
            s.sendto(m, (HOST, port))
            socks.append((s, m))
        deadline = time.time() + (1.5 if VG else 0.4)
        pending = {s.fileno(): (s, m) for s, m in socks}
        while pending and time.time() < deadline:
            r, _, _ = select.select([s for s, _ in pending.values()], [], [], max(0, deadline - time.time()))
            for s in r:
                _, m = pending.pop(s.fileno())
                rep = s.recv(70000)
                check_amp("udp random length %d" % len(m), m, rep)
                err_code(rep)
                answered += 1
        for s, _ in socks:
            s.close()
    print("# lengths 0..1500: %d answered, all within 3x" % answered)
else:
    sys.exit("unknown command " + cmd)
PY
hostile() {
    PORT=$PORT VG=$VG python3 "$T/hostile.py" "$@" || fail "hostile.py $* failed"
}
vmkb() { # vmkb FIELD : a field of /proc/$KDC_PID/status in kB
    awk -v f="$1:" '$1 == f { print $2 }' "/proc/$KDC_PID/status"
}

start_kdc

# 1. Amplification.
hostile amp
kdc_alive || fail "tessera-kdc died during the amplification checks: $(tail -n 5 "$KDC_LOG")"

# 2. Flood from several senders while a normal client keeps working.
secs=4 senders=4 logins=0
if [ "$VG" = 1 ]; then secs=3 senders=2; fi
PORT=$PORT VG=$VG python3 "$T/hostile.py" flood "$secs" "$senders" >"$T/flood.out" 2>&1 &
flood=$!
track_pid "$flood"
while kill -0 "$flood" 2>/dev/null; do
    echo alice-password | run_tool tkinit --password-stdin alice >"$T/tkinit.log" 2>&1 ||
        fail "tkinit failed during the flood (after $logins logins): $(cat "$T/tkinit.log")"
    run_tool tkvno -q host/svc.example.org >"$T/tkvno.log" 2>&1 ||
        fail "tkvno failed during the flood: $(cat "$T/tkvno.log")"
    logins=$((logins + 1))
done
wait "$flood" || fail "flood: $(cat "$T/flood.out")"
cat "$T/flood.out"
[ "$logins" -ge 1 ] || fail "no login completed during the flood"
note "flood: $logins tkinit+tkvno rounds succeeded meanwhile"
kdc_alive || fail "tessera-kdc died in the flood: $(tail -n 5 "$KDC_LOG")"
hostile alive

# 3. 4 GiB length prefixes: closed, nothing allocated or buffered.
hostile bigprefix 20 # warm up worker threads and buffers
rss0=$(vmkb VmRSS) peak0=$(vmkb VmPeak)
conns=400
[ "$VG" = 1 ] && conns=60
hostile bigprefix "$conns"
rss1=$(vmkb VmRSS) peak1=$(vmkb VmPeak)
note "4 GiB prefixes on $conns connections: VmRSS ${rss0} -> ${rss1} kB, VmPeak ${peak0} -> ${peak1} kB"
[ $((rss1 - rss0)) -lt 8192 ] || fail "VmRSS grew by $((rss1 - rss0)) kB over $conns 4 GiB frames"
[ $((peak1 - peak0)) -lt 262144 ] || fail "VmPeak grew by $((peak1 - peak0)) kB: a 4 GiB frame was allocated"
kdc_alive || fail "tessera-kdc died on 4 GiB frames"
hostile alive

# 4. TCP framing: pipelined frames, half-close, a frame in pieces.
hostile tcpframing

# 5. A random datagram of every length 0..1500.
hostile lengths
kdc_alive || fail "tessera-kdc died on random datagrams: $(tail -n 5 "$KDC_LOG")"
hostile alive
echo alice-password | run_tool tkinit --password-stdin alice >"$T/tkinit.log" 2>&1 ||
    fail "tkinit after the hostile traffic: $(cat "$T/tkinit.log")"

stop_kdc
echo "PASS: t_hostile"
