#!/usr/bin/env bash
# t_attacks.sh — protocol attacks against the real tessera-kdc and the real
# tools on 127.0.0.1. Crafted messages are built by python3 with libsodium
# through ctypes (docs/PROTOCOL.md sections 3-5), so the attacker holds
# exactly what it would hold on the wire.
#
#   1. AS-REQ with pre-authentication, replayed: the KDC has no AS replay
#      cache and answers again with a fresh AS-REP (new session key, same
#      nonce, req_hash of the replayed bytes). No key leaks: the reply opens only
#      under the client key (checked: the right key opens both replies, a key
#      from a wrong password opens neither). But see 5: it resets lockout.
#   2. TGS-REQ replayed (first over UDP, replay over UDP and over TCP, so
#      whichever worker gets it): KRB_ERR_REPEAT.
#   3. A ticket's bytes moved into another message type: sent as a request,
#      placed where the TGS-REQ's AP-REQ or body is expected, given to
#      `tkapreq verify` instead of an AP-REQ: all refused with the exact
#      code; so is an authenticator sealed with the AP usage (6) inside a
#      TGS-REQ.
#   4. Unknown principal vs wrong password: identical ERROR code and reply
#      length on the wire, with and without pre-authentication.
#   5. Lockout after a policy's maxfailure, unlock after its lockout
#      duration (2 s); 40 concurrent wrong passwords test only maxfailure
#      of them; an admin-locked principal (no AS, no TGS with an existing
#      TGT) and unlock. A replayed AS-REQ (a success stamped before the
#      last failure) does not clear the failure count.
#   6. Key rotation: after `ktadd` (new random key, kvno 2), an AP-REQ made
#      with a kvno-1 ticket still verifies with the keytab holding both
#      kvnos, until that ticket expires (a 4 s ticket, checked with
#      clock_skew = 1s; not under valgrind); after `ktremove ... old` the
#      old kvno no longer verifies.
# Not repeated here: a stripped suite list (downgrade) is detected by the
# client's req_hash check, covered by check_client ("request hash mismatch").
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/kdc.sh"

if [ ! -x "$BIN/tkadmin" ] || [ ! -x "$BIN/tessera-kdc" ]; then
    echo "SKIP: needs tkadmin and tessera-kdc"
    exit 0
fi
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 0; }
python3 -c 'import ctypes, ctypes.util, sys; sys.exit(0 if ctypes.util.find_library("sodium") else 1)' ||
    { echo "SKIP: python3 cannot load libsodium"; exit 0; }

mkrealm
export TESSERA_RCACHE_DIR="$T"
echo alice-password | run_tool tkadmin addprinc --password-stdin alice >/dev/null || fail "addprinc alice"
run_tool tkadmin addprinc --randkey host/svc.example.org >/dev/null || fail "addprinc host"

cat >"$T/attack.py" <<'PY'
import ctypes, ctypes.util, os, socket, struct, sys, time
port = int(os.environ["PORT"])
HOST = "127.0.0.1"
REALM = "EXAMPLE.ORG"
TGS = "krbtgt/%s@%s" % (REALM, REALM)
SVC = "host/svc.example.org@" + REALM
E = {"MALFORMED": 2, "TRAILING": 3, "MODIFIED": 11, "REPEAT": 13, "PREAUTH_REQUIRED": 19,
     "PREAUTH_FAILED": 20, "CLIENT_REVOKED": 21, "BADOPTION": 25, "BAD_NAME": 7}

na = ctypes.CDLL(ctypes.util.find_library("sodium"))
assert na.sodium_init() >= 0
na.crypto_pwhash.argtypes = [ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p, ctypes.c_ulonglong,
                             ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_size_t, ctypes.c_int]
na.crypto_kdf_derive_from_key.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64, ctypes.c_char_p,
                                          ctypes.c_char_p]
AEAD = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_ulonglong), ctypes.c_char_p, ctypes.c_ulonglong,
        ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
na.crypto_aead_xchacha20poly1305_ietf_encrypt.argtypes = AEAD
na.crypto_aead_xchacha20poly1305_ietf_decrypt.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_ulonglong),
    ctypes.c_void_p, ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p,
    ctypes.c_char_p]
na.crypto_generichash.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_ulonglong,
                                  ctypes.c_char_p, ctypes.c_size_t]

def pwkey(pw, salt, ops, memkib):
    out = ctypes.create_string_buffer(32)
    assert na.crypto_pwhash(out, 32, pw, len(pw), salt, ops, memkib * 1024, 2) == 0
    return out.raw

def kdf(k, usage):
    out = ctypes.create_string_buffer(32)
    assert na.crypto_kdf_derive_from_key(out, 32, usage, b"tessera1", k) == 0
    return out.raw

def seal(k, usage, ad, pt):
    nonce = os.urandom(24)
    c = ctypes.create_string_buffer(len(pt) + 16)
    cl = ctypes.c_ulonglong()
    assert na.crypto_aead_xchacha20poly1305_ietf_encrypt(c, ctypes.byref(cl), pt, len(pt), ad, len(ad), None,
                                                          nonce, kdf(k, usage)) == 0
    return nonce + c.raw[:cl.value]

def open_(k, usage, ad, sealed):
    nonce, ct = sealed[:24], sealed[24:]
    m = ctypes.create_string_buffer(max(len(ct), 1))
    ml = ctypes.c_ulonglong()
    if na.crypto_aead_xchacha20poly1305_ietf_decrypt(m, ctypes.byref(ml), None, ct, len(ct), ad, len(ad), nonce,
                                                      kdf(k, usage)) != 0:
        return None
    return m.raw[:ml.value]

def h(data):
    out = ctypes.create_string_buffer(32)
    assert na.crypto_generichash(out, 32, data, len(data), None, 0) == 0
    return out.raw

def name(s):
    b = s.encode()
    return bytes([len(b)]) + b

def vec16(b):
    return struct.pack(">H", len(b)) + b

def body(server, nonce):
    return name(server) + struct.pack(">IIQQBH", nonce, 0, 0, 0, 1, 1)

def now_us():
    return int(time.time() * 1000000)

class R:  # a cursor over a reply
    def __init__(self, b):
        self.b, self.i = b, 0
    def take(self, n):
        v = self.b[self.i:self.i + n]
        assert len(v) == n, "short reply"
        self.i += n
        return v
    def u8(self):
        return self.take(1)[0]
    def u16(self):
        return struct.unpack(">H", self.take(2))[0]
    def u32(self):
        return struct.unpack(">I", self.take(4))[0]
    def name(self):
        return self.take(self.u8()).decode()

def udp(msg, timeout=2.0):
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
        assert c, "connection closed"
        b += c
    return b

def tcp(msg):
    s = socket.create_connection((HOST, port), 3)
    s.sendall(struct.pack(">I", len(msg)) + msg)
    rep = recvn(s, struct.unpack(">I", recvn(s, 4))[0])
    s.close()
    return rep

def err_code(rep):
    assert rep is not None and rep[:4] == b"TK\x01\x05", rep
    return struct.unpack(">I", rep[4:8])[0]

def expect_err(rep, code, what):
    got = err_code(rep)
    assert got == E[code], "%s: expected %s (%d), got %d" % (what, code, E[code], got)

def as_req(client, nonce, pa=None):
    m = b"TK\x01\x01" + name(client) + body(TGS, nonce)
    if pa is None:
        return m + b"\x00"
    key, kvno = pa
    m += b"\x01" + struct.pack(">HI", 1, kvno)
    return m + vec16(seal(key, 4, m, struct.pack(">Q", now_us())))

def hint(client):
    rep = udp(as_req(client, 1))
    expect_err(rep, "PREAUTH_REQUIRED", "hint for " + client)
    r = R(rep)
    r.take(16)
    r.take(r.u8())
    r.take(r.u16())
    ed = r.take(r.u16())
    suite, kvno = struct.unpack(">HI", ed[:6])
    salt = ed[6:22]
    ops, memkib = struct.unpack(">II", ed[22:30])
    return suite, kvno, salt, ops, memkib

def client_key(client, pw):
    suite, kvno, salt, ops, memkib = hint(client)
    assert suite == 1, "test speaks suite 1 only, hint has %d" % suite
    return pwkey(pw, salt, ops, memkib), kvno

def parse_rep(rep, typ):
    assert rep[:4] == b"TK\x01" + bytes([typ]), "expected type %d, got %r" % (typ, rep[:8])
    r = R(rep)
    r.take(4)
    client = r.name()
    tkt = r.take(r.u16())
    if typ == 2:
        r.take(30)
    else:
        r.u16()
    ad = rep[:r.i]
    enc = r.take(r.u16())
    assert r.i == len(rep)
    return client, tkt, ad, enc

def open_rep(rep, typ, key):
    client, tkt, ad, enc = parse_rep(rep, typ)
    pt = open_(key, 2 if typ == 2 else 3, ad, enc)
    if pt is None:
        return None
    r = R(pt)
    r.u16()
    session = r.take(32)
    nonce = r.u32()
    r.take(4 + 32)
    server = r.name()
    req_hash = r.take(32)
    return {"client": client, "ticket": tkt, "session": session, "nonce": nonce, "server": server,
            "req_hash": req_hash}

def login(client, pw):
    key, kvno = client_key(client, pw.encode())
    req = as_req(client, 4242, (key, kvno))
    rep = udp(req)
    d = open_rep(rep, 2, key)
    assert d is not None
    return d, key

def tgs_req(tgt, server, nonce, usage=5):
    bd = body(server, nonce)
    ap = b"TK\x01\x06" + struct.pack(">I", 0) + vec16(tgt["ticket"])
    auth = name(tgt["client"]) + struct.pack(">Q", now_us()) + b"\x00" + os.urandom(8) + b"\x01" + h(bd) + \
        b"\x00" + struct.pack(">I", 0)
    ap += vec16(seal(tgt["session"], usage, ap, auth))
    return b"TK\x01\x03" + vec16(bd) + vec16(ap)

cmd = sys.argv[1]
if cmd == "as-replay":
    key, kvno = client_key("alice@" + REALM, b"alice-password")
    bad, _ = client_key("alice@" + REALM, b"alice-passwore")
    req = as_req("alice@" + REALM, 777, (key, kvno))
    rep1, rep2, rep3 = udp(req), udp(req), tcp(req)
    a, b, c = (open_rep(x, 2, key) for x in (rep1, rep2, rep3))
    assert a and b and c, "a replayed AS-REQ did not get an AS-REP"
    for d in (a, b, c):
        assert d["nonce"] == 777 and d["req_hash"] == h(req) and d["server"] == TGS, d
    assert len({a["session"], b["session"], c["session"]}) == 3, "replayed AS-REQ got the same session key"
    assert a["ticket"] != b["ticket"]
    for x in (rep1, rep2, rep3):
        assert open_rep(x, 2, bad) is None, "AS-REP opened under a wrong password's key"
    print("# AS-REQ replay: answered again (no AS replay cache), fresh session keys, opens only under the client key")
elif cmd == "tgs-replay":
    tgt, _ = login("alice@" + REALM, "alice-password")
    req = tgs_req(tgt, SVC, 99)
    rep = udp(req)
    d = open_rep(rep, 4, tgt["session"])
    assert d and d["server"] == SVC and d["req_hash"] == h(req), "TGS-REQ not answered: %r" % rep[:16]
    for i in range(4):
        expect_err(udp(req), "REPEAT", "replayed TGS-REQ over udp #%d" % i)
        expect_err(tcp(req), "REPEAT", "replayed TGS-REQ over tcp #%d" % i)
    # a fresh authenticator for the same body is fine
    assert open_rep(udp(tgs_req(tgt, SVC, 99)), 4, tgt["session"])
    print("# TGS-REQ replay: KRB_ERR_REPEAT over UDP and TCP")
elif cmd == "moved-ticket":
    tgt, _ = login("alice@" + REALM, "alice-password")
    tk = tgt["ticket"]
    assert tk[:4] == b"TK\x01\x0a"
    good = tgs_req(tgt, SVC, 5)
    r = R(good)
    r.take(4)
    bd = r.take(r.u16())
    ap = r.take(r.u16())
    rows = [
        ("ticket sent as a request", tk, ("MALFORMED",)),
        ("ticket relabelled AS-REQ", b"TK\x01\x01" + tk[4:], ("MALFORMED",)),
        ("ticket relabelled TGS-REQ", b"TK\x01\x03" + tk[4:], ("MALFORMED",)),
        ("ticket where the AP-REQ goes", b"TK\x01\x03" + vec16(bd) + vec16(tk), ("MALFORMED",)),
        ("ticket relabelled AP-REQ", b"TK\x01\x03" + vec16(bd) + vec16(b"TK\x01\x06" + tk[4:]),
         ("BADOPTION",)),
        ("ticket where the body goes", b"TK\x01\x03" + vec16(tk) + vec16(ap), ("BAD_NAME",)),
        ("authenticator sealed for a service (usage 6)", tgs_req(tgt, SVC, 6, usage=6), ("MODIFIED",)),
        ("ticket inside the AP-REQ as authenticator", b"TK\x01\x03" + vec16(bd) + vec16(
            b"TK\x01\x06" + struct.pack(">I", 0) + vec16(tk) + vec16(tk[-(len(tk) - 40):])),
         ("MODIFIED",)),
    ]
    for what, m, codes in rows:
        for rep in (udp(m), tcp(m)):
            code = err_code(rep)
            assert code in [E[c] for c in codes], "%s: got error %d, expected %s" % (what, code, codes)
    # the real request still works afterwards
    assert open_rep(udp(good), 4, tgt["session"])
    open(sys.argv[2], "wb").write(tk)
    print("# moved ticket: %d placements refused" % len(rows))
elif cmd == "shapes":
    rk = {}
    for who in ("alice@", "nobod@"):
        rk[who] = (udp(as_req(who + REALM, 1)), )
    a, n = rk["alice@"][0], rk["nobod@"][0]
    assert err_code(a) == err_code(n) == E["PREAUTH_REQUIRED"] and len(a) == len(n), (a, n)
    key, kvno = client_key("alice@" + REALM, b"not-the-password")
    ukey, ukvno = client_key("nobod@" + REALM, b"alice-password")
    for transport in (udp, tcp):
        wa = transport(as_req("alice@" + REALM, 11, (key, kvno)))
        un = transport(as_req("nobod@" + REALM, 11, (ukey, ukvno)))
        assert err_code(wa) == err_code(un) == E["PREAUTH_FAILED"], (err_code(wa), err_code(un))
        assert len(wa) == len(un), "wrong password: %d bytes, unknown principal: %d bytes" % (len(wa), len(un))
        # and bytes 0..7 (header and code) are the same
        assert wa[:8] == un[:8]
    print("# unknown principal and wrong password: same code and length (%d bytes)" % len(wa))
elif cmd == "lockrace":
    # lockrace CLIENT N THREADS: N wrong-password AS-REQs from THREADS
    # concurrent senders; prints how many had their password tested
    import threading
    client, n, nthreads = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    key, kvno = client_key(client, b"wrong-password")
    reqs = [as_req(client, 100 + i, (key, kvno)) for i in range(n)]
    codes = []
    barrier = threading.Barrier(nthreads)
    def worker(k):
        barrier.wait()
        for m in reqs[k::nthreads]:
            codes.append(err_code(udp(m, 5.0)))
    th = [threading.Thread(target=worker, args=(k,)) for k in range(nthreads)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    assert len(codes) == n and set(codes) <= {E["PREAUTH_FAILED"], E["CLIENT_REVOKED"]}, codes
    print(codes.count(E["PREAUTH_FAILED"]))
elif cmd == "replay-reset":
    # replay-reset CLIENT PASSWORD ROUNDS: capture one good AS-REQ, then
    # ROUNDS times: 2 wrong passwords, the captured request replayed.
    # Prints how many wrong passwords were tested (PREAUTH_FAILED).
    client, pw, rounds = sys.argv[2], sys.argv[3].encode(), int(sys.argv[4])
    key, kvno = client_key(client, pw)
    bad, _ = client_key(client, b"wrong-password")
    good = as_req(client, 1, (key, kvno))
    assert open_rep(udp(good), 2, key)
    tested = 0
    for i in range(rounds):
        for j in range(2):
            if err_code(udp(as_req(client, 10 + j, (bad, kvno)))) == E["PREAUTH_FAILED"]:
                tested += 1
        time.sleep(0.3)  # the recorder writes behind the reply
        rep = udp(good)
        if rep[:4] != b"TK\x01\x02":
            break
        time.sleep(0.3)
    print(tested)
elif cmd == "code":
    # code CLIENT PASSWORD EXPECTED: one pre-authenticated AS-REQ
    client, pw, want = sys.argv[2], sys.argv[3], sys.argv[4]
    key, kvno = client_key(client, pw.encode())
    rep = udp(as_req(client, 3, (key, kvno)))
    if want == "OK":
        assert open_rep(rep, 2, key), "expected an AS-REP, got %r" % rep[:8]
    else:
        expect_err(rep, want, "AS-REQ for " + client)
else:
    sys.exit("unknown command " + cmd)
PY
attack() {
    PORT=$PORT python3 "$T/attack.py" "$@" || fail "attack.py $* failed"
}

start_kdc

# 1-4. Crafted packets.
attack as-replay
attack tgs-replay
attack moved-ticket "$T/ticket.bin"
base64 -w0 "$T/ticket.bin" >"$T/ticket.b64"
echo >>"$T/ticket.b64"
run_tool tkadmin ktadd -k "$T/host.keytab" host/svc.example.org >/dev/null || fail "ktadd host"
expect_fail run_tool tkapreq verify -k "$T/host.keytab" -s host/svc.example.org <"$T/ticket.b64"
printf '%s\n' "$OUT" | grep -q 'KRB_ERR_MALFORMED' || fail "tkapreq verify of a bare ticket: $OUT"
attack shapes

# 5a. Lockout by policy, unlock after the lockout duration (longer under
# valgrind, where the KDC's password hashing is slow; the checks while
# locked run tkinit without valgrind so that they finish within it).
lock=2
[ "${TESSERA_VALGRIND:-}" = 1 ] && lock=5
run_tool tkadmin addpol --maxfailure 3 --lockoutduration "${lock}s" --failurecountinterval 1h lockme >/dev/null ||
    fail "addpol"
echo carol-password | run_tool tkadmin addprinc --password-stdin --policy lockme carol >/dev/null || fail "addprinc carol"
for i in 1 2 3; do
    echo wrong-password | run_tool tkinit --password-stdin carol >"$T/carol.log" 2>&1 && fail "wrong password #$i accepted"
    grep -q 'KRB_ERR_PREAUTH_FAILED\|password incorrect' "$T/carol.log" || fail "wrong password #$i: $(cat "$T/carol.log")"
done
expect_output '^Failed password attempts: 3' run_tool tkadmin getprinc carol
attack code carol@EXAMPLE.ORG carol-password CLIENT_REVOKED
echo carol-password | "$BIN/tkinit" --password-stdin carol >"$T/carol.log" 2>&1 && fail "locked out carol logged in"
grep -qi 'revoked\|locked' "$T/carol.log" || fail "lockout message: $(cat "$T/carol.log")"
attack code carol@EXAMPLE.ORG wrong-password CLIENT_REVOKED
sleep "$lock.5"
attack code carol@EXAMPLE.ORG carol-password OK
echo carol-password | run_tool tkinit --password-stdin carol >"$T/carol.log" 2>&1 ||
    fail "carol still locked after the lockout duration: $(cat "$T/carol.log")"

# 5a'. Concurrent guessing does not get past maxfailure: 40 wrong passwords
# from 8 senders at once, only 3 are tested, the rest are CLIENT_REVOKED.
run_tool tkadmin addpol --maxfailure 3 --lockoutduration 1h --failurecountinterval 1h race >/dev/null || fail "addpol race"
echo dave-password | run_tool tkadmin addprinc --password-stdin --policy race dave >/dev/null || fail "addprinc dave"
tested=$(PORT=$PORT python3 "$T/attack.py" lockrace dave@EXAMPLE.ORG 40 8) || fail "lockrace"
[ "$tested" = 3 ] || fail "concurrent guessing: $tested of 40 wrong passwords were tested (maxfailure 3)"
for _ in $(seq 50); do "$BIN/tkadmin" getprinc dave | grep -q '^Failed password attempts: 3$' && break; sleep 0.1; done
expect_output '^Failed password attempts: 3$' run_tool tkadmin getprinc dave
note "concurrent guessing: 3 of 40 wrong passwords tested"

# 5a''. A captured AS-REQ replayed within the clock skew is answered, but
# its timestamp is older than the failures since, so it must not clear the
# failure count (else an attacker holding one gets maxfailure - 1 guesses
# per replay for the whole skew window).
echo erin-password | run_tool tkadmin addprinc --password-stdin --policy race erin >/dev/null || fail "addprinc erin"
tested=$(PORT=$PORT python3 "$T/attack.py" replay-reset erin@EXAMPLE.ORG erin-password 3) || fail "replay-reset"
[ "$tested" -le 3 ] || fail "a replayed AS-REQ reset the failure count: $tested wrong passwords tested with maxfailure 3"
note "replayed AS-REQ does not reset the lockout count ($tested wrong passwords tested)"

# 5b. An admin-locked principal: no AS, and its existing TGT gets no service ticket.
echo bob-password | run_tool tkadmin addprinc --password-stdin bob >/dev/null || fail "addprinc bob"
echo bob-password | run_tool tkinit -c "$T/bob.cc" --password-stdin bob >/dev/null 2>&1 || fail "tkinit bob"
run_tool tkadmin modprinc --locked bob >/dev/null || fail "modprinc --locked"
attack code bob@EXAMPLE.ORG bob-password CLIENT_REVOKED
expect_fail run_tool tkvno -c "$T/bob.cc" host/svc.example.org
printf '%s\n' "$OUT" | grep -qi 'revoked\|locked' || fail "tkvno with a locked client's TGT: $OUT"
run_tool tkadmin modprinc --unlocked bob >/dev/null || fail "modprinc --unlocked"
attack code bob@EXAMPLE.ORG bob-password OK
run_tool tkvno -q -c "$T/bob.cc" host/svc.example.org >/dev/null || fail "tkvno after unlock"

# 6. Key rotation: the old kvno keeps working from a keytab holding both.
run_tool tkadmin addprinc --randkey http/web1 >/dev/null || fail "addprinc http/web1"
run_tool tkadmin ktadd -k "$T/http.keytab" --norandkey http/web1 >/dev/null || fail "ktadd --norandkey"
echo alice-password | run_tool tkinit --password-stdin alice >/dev/null 2>&1 || fail "tkinit alice"
expect_output 'kvno = 1' run_tool tkvno http/web1
run_tool tkapreq get http/web1 >"$T/old1.b64" || fail "tkapreq get (kvno 1)"
run_tool tkapreq get http/web1 >"$T/old2.b64" || fail "tkapreq get (kvno 1, second)"
# a short-lived kvno-1 ticket too (plain tools: its 4 s must not run out
# under valgrind), to see the old kvno work until that ticket expires
short=0
if [ "${TESSERA_VALGRIND:-}" != 1 ]; then
    short=1
    sed 's/^clock_skew = .*/clock_skew = 1s/' "$TESSERA_CONFIG" >"$T/skew1.conf"
    echo alice-password | TESSERA_CCNAME="$T/short.cc" "$BIN/tkinit" -l 4s --password-stdin alice >/dev/null 2>&1 ||
        fail "tkinit -l 4s"
    TESSERA_CCNAME="$T/short.cc" "$BIN/tkapreq" get http/web1 >"$T/short1.b64" || fail "tkapreq get (short)"
    TESSERA_CCNAME="$T/short.cc" "$BIN/tkapreq" get http/web1 >"$T/short2.b64" || fail "tkapreq get (short, second)"
fi
run_tool tkadmin ktadd -k "$T/http.keytab" http/web1 >/dev/null || fail "ktadd (rotation)"
if [ "$short" = 1 ]; then
    [ "$(TESSERA_CONFIG="$T/skew1.conf" "$BIN/tkapreq" verify -k "$T/http.keytab" -s http/web1 <"$T/short1.b64")" = \
        alice@EXAMPLE.ORG ] || fail "a short-lived kvno-1 ticket does not verify after rotation"
    sleep 5.5
    expect_fail env TESSERA_CONFIG="$T/skew1.conf" "$BIN/tkapreq" verify -k "$T/http.keytab" -s http/web1 <"$T/short2.b64"
    printf '%s\n' "$OUT" | grep -q 'KRB_ERR_TKT_EXPIRED' || fail "expired kvno-1 ticket: $OUT"
fi
expect_output 'Key: .*kvno 2|kvno 2' run_tool tkadmin getprinc http/web1
[ "$(run_tool tkapreq verify -k "$T/http.keytab" -s http/web1 <"$T/old1.b64")" = alice@EXAMPLE.ORG ] ||
    fail "a kvno-1 ticket no longer verifies after rotation"
run_tool tkdestroy >/dev/null 2>&1 || true
echo alice-password | run_tool tkinit --password-stdin alice >/dev/null 2>&1 || fail "tkinit alice again"
expect_output 'kvno = 2' run_tool tkvno http/web1
run_tool tkapreq get http/web1 >"$T/new.b64" || fail "tkapreq get (kvno 2)"
[ "$(run_tool tkapreq verify -k "$T/http.keytab" -s http/web1 <"$T/new.b64")" = alice@EXAMPLE.ORG ] ||
    fail "a kvno-2 ticket does not verify"
run_tool tkadmin ktremove -k "$T/http.keytab" http/web1 old >/dev/null || fail "ktremove old"
expect_fail run_tool tkapreq verify -k "$T/http.keytab" -s http/web1 <"$T/old2.b64"
printf '%s\n' "$OUT" | grep -Eq 'KRB_ERR_(KT_NOTFOUND|BADKEYVER)' || fail "old kvno after ktremove: $OUT"

kdc_alive || fail "tessera-kdc died: $(tail -n 5 "$KDC_LOG")"
stop_kdc
echo "PASS: t_attacks"
