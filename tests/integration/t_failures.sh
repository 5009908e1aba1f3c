#!/usr/bin/env bash
# t_failures.sh — crashes and resource failures with the real tools:
#   1. kill -9 of tessera-kdc while wrong passwords are in flight (failure
#      counts being recorded): after a restart the database opens, every
#      failure committed before the crash is still counted, getprinc and
#      dump work and a correct login succeeds;
#   2. kill -9 of `tkadmin load` in the middle of a large dump (the dump fed
#      through a FIFO, so the kill lands inside the load's transaction; once
#      more after a timed delay on a regular file): the database holds all
#      of the dump or none of it and opens cleanly; same for a load into a
#      new realm directory;
#   3. LMDB map full (map_size = 64 KiB): addprinc fails with the message
#      naming the remedy, the database stays usable, raising map_size cures
#      it;
#   4. unsafe file modes: a stash with mode 0640 makes tkadmin and
#      tessera-kdc refuse, a keytab with mode 0644 makes tkapreq verify and
#      tkserver refuse, each with a message naming the file and the chmod;
#      an unreadable stash refused: mode 0000 when not running as root, else
#      the tools run as nobody (setpriv) against root's stash.
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
export TESSERA_RCACHE_DIR="$T"
run_tool tkadmin addpol --maxfailure 100000 --failurecountinterval 1h counted >/dev/null || fail "addpol"
echo alice-password | run_tool tkadmin addprinc --password-stdin --policy counted alice >/dev/null ||
    fail "addprinc alice"
run_tool tkadmin addprinc --randkey host/svc.example.org >/dev/null || fail "addprinc host"

fails() { # stored failure count of alice (polled: not under valgrind)
    "$BIN/tkadmin" getprinc alice | sed -n 's/^Failed password attempts: //p'
}
wrong_login() {
    echo wrong-password | "$BIN/tkinit" --password-stdin alice >/dev/null 2>&1 && fail "a wrong password was accepted"
    return 0
}

# 1. kill -9 of the KDC while failures are being recorded.
start_kdc
for _ in 1 2 3 4 5; do wrong_login; done
for _ in $(seq 50); do [ "$(fails)" = 5 ] && break; sleep 0.1; done
[ "$(fails)" = 5 ] || fail "5 failures not recorded: $(fails)"
loops=4
[ "$VG" = 1 ] && loops=2
for i in $(seq "$loops"); do
    (
        n=0
        while [ ! -e "$T/stop" ]; do
            echo wrong-password | "$BIN/tkinit" --password-stdin alice >/dev/null 2>&1 || true
            n=$((n + 1))
            echo "$n" >"$T/tries.$i"
        done
    ) &
    track_pid $!
done
sleep 1.5
kill -9 "$KDC_PID"
wait "$KDC_PID" 2>/dev/null || true
KDC_PID=""
touch "$T/stop"
sleep 0.3
tries=$(cat "$T"/tries.* | awk '{ s += $1 } END { print s + 0 }')
[ "$tries" -gt 0 ] || fail "no wrong passwords were in flight"
run_tool tkadmin getprinc alice >/dev/null || fail "getprinc after kill -9 of the KDC"
after=$(fails)
note "kill -9 with $tries wrong passwords in flight: $after failures stored"
[ "$after" -ge 5 ] && [ "$after" -le $((5 + tries)) ] || fail "failure count after the crash: $after (5 + up to $tries)"
run_tool tkadmin dump "$T/after-kdc-crash.dump" >/dev/null || fail "dump after the KDC crash"
grep -q '^end	' "$T/after-kdc-crash.dump" || fail "dump after the KDC crash has no end line"
start_kdc
echo alice-password | run_tool tkinit --password-stdin alice >"$T/tkinit.log" 2>&1 ||
    fail "tkinit after the KDC restart: $(cat "$T/tkinit.log")"
run_tool tkvno -q host/svc.example.org >/dev/null || fail "tkvno after the KDC restart"
for _ in $(seq 50); do [ "$(fails)" = 0 ] && break; sleep 0.1; done
[ "$(fails)" = 0 ] || fail "a successful login did not clear the failures: $(fails)"
stop_kdc

# 2. kill -9 of tkadmin load mid-way: all or nothing.
run_tool tkadmin dump "$T/base.dump" >/dev/null || fail "dump"
nprinc=$(run_tool tkadmin listprincs | wc -l)
N=30000
[ "$VG" = 1 ] && N=5000
python3 - "$T/base.dump" "$T/big.dump" "$N" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
n = int(sys.argv[3])
tmpl = [l for l in lines if l.startswith("princ\thost/svc.example.org@")][0].split("\t")
out = [l for l in lines if not l.startswith(("princ\t", "end\t"))]
for i in range(n):
    tmpl[1] = "load%06d@EXAMPLE.ORG" % i
    out.append("\t".join(tmpl))
out.append("end\t%d" % (n + sum(1 for l in out if l.startswith("policy\t"))))
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
chmod 600 "$T/big.dump"
half=$(($(stat -c %s "$T/big.dump") / 2))
mkfifo "$T/fifo"
# kill_load_midway CONF [--update] : load big.dump from the FIFO, kill -9
# once half of it has been read
kill_load_midway() {
    local conf=$1 pid
    shift
    "$BIN/tkadmin" -c "$conf" load "$@" "$T/fifo" >"$T/load.out" 2>&1 &
    pid=$!
    exec 7>"$T/fifo"
    head -c "$half" "$T/big.dump" >&7
    for _ in $(seq 100); do
        [ "$(awk '/^rchar/ { print $2 }' "/proc/$pid/io" 2>/dev/null || echo 0)" -ge "$half" ] && break
        sleep 0.05
    done
    kill -0 "$pid" 2>/dev/null || fail "tkadmin load ended before the kill: $(cat "$T/load.out")"
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    exec 7>&-
}
kill_load_midway "$TESSERA_CONFIG" --update
n=$(run_tool tkadmin listprincs | wc -l) || fail "listprincs after kill -9 of load"
[ "$n" -eq "$nprinc" ] || fail "after kill -9 of load: $n principals, expected the $nprinc from before"
expect_fail run_tool tkadmin getprinc load000000
run_tool tkadmin dump "$T/after-load-crash.dump" >/dev/null || fail "dump after the load crash"
# the same load, not interrupted, brings everything
run_tool tkadmin load --update "$T/big.dump" >/dev/null || fail "load after the crash"
[ "$(run_tool tkadmin listprincs | wc -l)" -eq $((nprinc + N)) ] || fail "load after the crash is incomplete"
run_tool tkadmin getprinc "load$(printf %06d $((N - 1)))" >/dev/null || fail "last loaded principal missing"
# a timed kill on a regular file (may land before, inside or after the commit)
sed "s|^database = .*|database = $T/db3|" "$TESSERA_CONFIG" >"$T/db3.conf"
run_tool tkadmin -c "$T/db3.conf" load "$T/base.dump" >/dev/null || fail "load base into db3"
"$BIN/tkadmin" -c "$T/db3.conf" load --update "$T/big.dump" >/dev/null 2>&1 &
lpid=$!
sleep 0.05
kill -9 "$lpid" 2>/dev/null || true
wait "$lpid" 2>/dev/null || true
n=$(run_tool tkadmin -c "$T/db3.conf" listprincs | wc -l) || fail "listprincs after a timed kill of load"
[ "$n" -eq "$nprinc" ] || [ "$n" -eq $((nprinc + N)) ] || fail "timed kill of load left $n principals (not $nprinc or $((nprinc + N)))"
note "timed kill -9 of load: $n principals (all-or-nothing holds)"
# into a new realm directory: nothing of the dump, and a retry works
sed "s|^database = .*|database = $T/db2|" "$TESSERA_CONFIG" >"$T/db2.conf"
kill_load_midway "$T/db2.conf"
if [ -e "$T/db2/data.mdb" ]; then
    n=$(run_tool tkadmin -c "$T/db2.conf" listprincs | wc -l) || fail "new realm after kill -9 of load does not open"
    [ "$n" -eq 0 ] || fail "new realm after kill -9 of load holds $n principals"
fi
run_tool tkadmin -c "$T/db2.conf" load "$T/big.dump" >"$T/load2.out" 2>&1 ||
    fail "load into the new realm after the crash: $(cat "$T/load2.out")"
[ "$(run_tool tkadmin -c "$T/db2.conf" listprincs | wc -l)" -eq "$N" ] || fail "reload into the new realm is incomplete"

# 3. LMDB map full.
sed "s|^database = .*|database = $T/small|" "$TESSERA_CONFIG" >"$T/small.conf"
printf 'map_size = 65536\n' >>"$T/small.conf"
run_tool tkadmin -c "$T/small.conf" init >/dev/null 2>&1 || fail "init with map_size = 64 KiB"
added=0 full=""
for i in $(seq 1 400); do # filled without valgrind; the failing command is repeated under it below
    if ! out=$("$BIN/tkadmin" -c "$T/small.conf" addprinc --randkey "svc$i" 2>&1); then
        full=$out
        break
    fi
    added=$i
done
[ -n "$full" ] || fail "400 principals fit in a 64 KiB map"
printf '%s\n' "$full" | grep -q 'map full: raise map_size in tessera.conf' || fail "map full message: $full"
printf '%s\n' "$full" | grep -q 'KRB_ERR_DB_FULL' || fail "map full error name: $full"
note "map_size 64 KiB: full after $added principals: $full"
expect_fail run_tool tkadmin -c "$T/small.conf" getprinc "svc$((added + 1))"
if [ "$added" -gt 0 ]; then
    expect_output '^Principal: svc1@' run_tool tkadmin -c "$T/small.conf" getprinc svc1
fi
run_tool tkadmin -c "$T/small.conf" dump "$T/small.dump" >/dev/null || fail "dump of a full database"
expect_fail run_tool tkadmin -c "$T/small.conf" addprinc --randkey again
printf '%s\n' "$OUT" | grep -q 'map full' || fail "second map full: $OUT"
sed -i 's/^map_size = 65536$/map_size = 16777216/' "$T/small.conf"
run_tool tkadmin -c "$T/small.conf" addprinc --randkey again >/dev/null || fail "addprinc after raising map_size"
[ "$(run_tool tkadmin -c "$T/small.conf" listprincs | wc -l)" -eq $(($(grep -c '^princ' "$T/small.dump") + 1)) ] ||
    fail "principal count after raising map_size"

# 4. File modes.
chmod 640 "$T/stash"
expect_fail run_tool tkadmin getprinc alice
printf '%s\n' "$OUT" | grep -q "stash file $T/stash is accessible by group or others (mode 640): run chmod 600" ||
    fail "tkadmin with a 0640 stash: $OUT"
expect_fail "$BIN/tessera-kdc" -n -c "$TESSERA_CONFIG" -P "$T/x.pid"
printf '%s\n' "$OUT" | grep -q "stash file $T/stash is accessible by group or others (mode 640): run chmod 600" ||
    fail "tessera-kdc with a 0640 stash: $OUT"
[ ! -e "$T/x.pid" ] || fail "tessera-kdc wrote a pid file with an unsafe stash"
chmod 600 "$T/stash"
if [ "$(id -u)" -ne 0 ]; then
    chmod 000 "$T/stash"
    expect_fail run_tool tkadmin getprinc alice
    printf '%s\n' "$OUT" | grep -qi "stash" || fail "tkadmin with an unreadable stash: $OUT"
    chmod 600 "$T/stash"
elif command -v setpriv >/dev/null && [ "${TESSERA_VALGRIND:-}" != 1 ]; then
    # root reads any file: run the tools as nobody, with the database
    # handed to nobody and the stash left to root (mode 0600)
    chmod 711 "$T"
    chmod 644 "$TESSERA_CONFIG"
    chown -R nobody "$T/db"
    for tool in tkadmin tessera-kdc; do
        args=(getprinc alice)
        [ "$tool" = tessera-kdc ] && args=(-n -c "$TESSERA_CONFIG" -P "$T/x.pid")
        expect_fail setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/$tool" "${args[@]}"
        printf '%s\n' "$OUT" | grep -q "cannot open stash file $T/stash: Permission denied (run as the realm's owner)" ||
            fail "$tool as nobody with root's stash: $OUT"
        printf '%s\n' "$OUT" | grep -q 'KRB_ERR_MKEY' || fail "$tool as nobody: error name: $OUT"
    done
    [ ! -e "$T/x.pid" ] || fail "tessera-kdc wrote a pid file without its stash"
    chown -R root "$T/db"
    chmod 700 "$T"
    note "unreadable stash (tools run as nobody): refused"
else
    note "SKIP unreadable stash: running as root without setpriv (or under valgrind)"
fi
run_tool tkadmin getprinc alice >/dev/null || fail "tkadmin after restoring the stash mode"

start_kdc
run_tool tkadmin ktadd -k "$T/svc.keytab" host/svc.example.org >/dev/null || fail "ktadd"
echo alice-password | run_tool tkinit --password-stdin alice >/dev/null 2>&1 || fail "tkinit"
run_tool tkapreq get host/svc.example.org >"$T/req.b64" || fail "tkapreq get"
chmod 644 "$T/svc.keytab"
expect_fail run_tool tkapreq verify -k "$T/svc.keytab" -s host/svc.example.org <"$T/req.b64"
printf '%s\n' "$OUT" | grep -q "keytab $T/svc.keytab is accessible by group or others (mode 644): run chmod 600" ||
    fail "tkapreq verify with a 0644 keytab: $OUT"
printf '%s\n' "$OUT" | grep -q 'KRB_ERR_PERMISSION' || fail "tkapreq verify error name: $OUT"
sport=$(free_port)
expect_fail timeout 10 "$BIN/tkserver" -p "$sport" -k "$T/svc.keytab" -s host/svc.example.org -1
printf '%s\n' "$OUT" | grep -q "keytab $T/svc.keytab is accessible by group or others (mode 644)" ||
    fail "tkserver with a 0644 keytab: $OUT"
chmod 600 "$T/svc.keytab"
[ "$(run_tool tkapreq verify -k "$T/svc.keytab" -s host/svc.example.org <"$T/req.b64")" = alice@EXAMPLE.ORG ] ||
    fail "tkapreq verify after chmod 600"
stop_kdc
echo "PASS: t_failures"
