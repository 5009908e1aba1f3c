#!/usr/bin/env bash
# t_diskfull.sh — writes that fail for lack of space, with the real tools.
# A full disk is simulated with the file size limit (ulimit -f, SIGXFSZ
# ignored): every write past the limit fails with EFBIG, which reaches the
# same error paths as ENOSPC without needing a small file system (which
# would need mount privileges); /dev/full gives a real ENOSPC where output
# goes to a stream. Checked:
#   1. tkadmin addprinc until the database file cannot grow: the error names
#      the cause, says nothing changed and what to do; the principal does
#      not exist, every earlier one does, the database dumps and loads
#      cleanly, and addprinc works once the limit is lifted;
#   2. tkinit when the credential cache cannot be written: a clear error,
#      the previous cache intact and no temporary file left behind;
#   3. tkadmin ktadd when the keytab cannot be written: likewise; and when
#      the key was changed but the keytab could not be written, the error
#      gives the recovery (ktadd --norandkey), which works;
#   4. tkadmin dump to a full device (stdout on /dev/full) fails with the
#      cause; dump onto a FIFO or a directory is refused and leaves it be;
#   5. tessera-kdc when its database cannot grow: failed pre-auth attempts
#      cannot be recorded, which it logs, and it keeps issuing tickets; the
#      database is intact after it stops.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/kdc.sh"

for t in tkadmin tkinit tklist tessera-kdc; do
    [ -x "$BIN/$t" ] || { echo "SKIP: needs $t"; exit 0; }
done

mkrealm
export TESSERA_RCACHE_DIR="$T"
echo alice-password | run_tool tkadmin addprinc --password-stdin alice >/dev/null || fail "addprinc alice"
run_tool tkadmin addprinc --randkey host/svc.example.org >/dev/null || fail "addprinc host"

# limited KIB cmd... : run cmd with writes past KIB KiB failing (EFBIG).
limited() {
    local kib=$1
    shift
    (
        trap '' XFSZ
        ulimit -S -f "$kib"
        exec "$@"
    )
}

no_temp_files() { # no *.tmpXXXXXX left next to $1
    local left
    left=$(find "$(dirname "$1")" -maxdepth 1 -name "$(basename "$1").tmp*" | head -n 3)
    [ -z "$left" ] || fail "temporary files left behind: $left"
}

# 1. The database cannot grow.
size_kib=$(($(stat -c %s "$T/db/data.mdb") / 1024))
added=0 full=""
for i in $(seq 1 2000); do
    if ! out=$(limited $((size_kib + 64)) "$BIN/tkadmin" addprinc --randkey "svc$i" 2>&1); then
        full=$out
        break
    fi
    added=$i
done
[ -n "$full" ] || fail "2000 principals fit in $((size_kib + 64)) KiB"
note "database limited to $((size_kib + 64)) KiB: full after $added principals: $full"
for want in 'file size limit reached' 'nothing was changed' 'ulimit -f' 'KRB_ERR_IO' "$T/db"; do
    printf '%s\n' "$full" | grep -qF -- "$want" || fail "disk full message lacks '$want': $full"
done
expect_fail run_tool tkadmin getprinc "svc$((added + 1))"
printf '%s\n' "$OUT" | grep -q 'does not exist' || fail "the failed principal exists: $OUT"
[ "$(run_tool tkadmin listprincs 'svc*' | wc -l)" -eq "$added" ] || fail "principals lost after the failed write"
run_tool tkadmin dump "$T/after.dump" >/dev/null || fail "dump after the failed write"
mkdir "$T/copy"
sed "s|^database = .*|database = $T/copy/db|" "$TESSERA_CONFIG" >"$T/copy.conf"
run_tool tkadmin -c "$T/copy.conf" load "$T/after.dump" >/dev/null || fail "load of the dump taken after the failure"
run_tool tkadmin addprinc --randkey "svc$((added + 1))" >/dev/null || fail "addprinc once the limit is lifted"

# 2. The credential cache cannot be written.
start_kdc
echo alice-password | run_tool tkinit --password-stdin alice >/dev/null || fail "tkinit"
cp "$TESSERA_CCNAME" "$T/cc.before"
expect_fail limited 0 "$BIN/tkinit" --password-stdin alice <<<alice-password
for want in 'credential cache' "$TESSERA_CCNAME" 'File too large'; do
    printf '%s\n' "$OUT" | grep -qF -- "$want" || fail "tkinit with a full disk lacks '$want': $OUT"
done
note "tkinit, cache not writable: $OUT"
cmp -s "$TESSERA_CCNAME" "$T/cc.before" || fail "the failed tkinit changed the credential cache"
no_temp_files "$TESSERA_CCNAME"
expect_output "krbtgt/$REALM@$REALM" run_tool tklist

# 3. The keytab cannot be written.
run_tool tkadmin ktadd -k "$T/svc.keytab" host/svc.example.org >/dev/null || fail "ktadd"
cp "$T/svc.keytab" "$T/kt.before"
expect_fail limited 0 "$BIN/tkadmin" ktadd --norandkey -k "$T/svc.keytab" host/svc.example.org
printf '%s\n' "$OUT" | grep -qF "cannot write keytab $T/svc.keytab: File too large" ||
    fail "ktadd with a full disk does not name the keytab: $OUT"
note "ktadd, keytab not writable: $OUT"
# without --norandkey the database write fails first, and nothing changes
expect_fail limited 0 "$BIN/tkadmin" ktadd -k "$T/svc.keytab" host/svc.example.org
printf '%s\n' "$OUT" | grep -q 'nothing was changed' || fail "ktadd with a full disk: $OUT"
cmp -s "$T/svc.keytab" "$T/kt.before" || fail "the failed ktadd changed the keytab"
no_temp_files "$T/svc.keytab"
# the failed ktadd rotated nothing: the old keytab still verifies a new ticket
if [ -x "$BIN/tkapreq" ]; then
    run_tool tkapreq get host/svc.example.org >"$T/req.b64" || fail "tkapreq get"
    [ "$(run_tool tkapreq verify -k "$T/svc.keytab" -s host/svc.example.org <"$T/req.b64")" = "alice@$REALM" ] ||
        fail "the keytab no longer matches the database after the failed ktadd"
fi

# ktadd that changed the key but could not write the keytab says how to
# recover without another key change, and that recovery works.
expect_fail run_tool tkadmin ktadd -k "$T/nodir/svc.keytab" host/svc.example.org
printf '%s\n' "$OUT" | grep -qF "ktadd --norandkey -k $T/nodir/svc.keytab" ||
    fail "ktadd with an unwritable keytab does not give the recovery: $OUT"
if [ -x "$BIN/tkapreq" ]; then
    run_tool tkadmin ktadd --norandkey -k "$T/svc.keytab" host/svc.example.org >/dev/null || fail "ktadd --norandkey"
    run_tool tkdestroy >/dev/null
    echo alice-password | run_tool tkinit --password-stdin alice >/dev/null || fail "tkinit"
    run_tool tkapreq get host/svc.example.org >"$T/req.b64" || fail "tkapreq get for the new key"
    [ "$(run_tool tkapreq verify -k "$T/svc.keytab" -s host/svc.example.org <"$T/req.b64")" = "alice@$REALM" ] ||
        fail "the keytab does not verify tickets under the new key after ktadd --norandkey"
fi

# 4. Dumps.
expect_fail sh -c '"$1" dump - >/dev/full' sh "$BIN/tkadmin"
printf '%s\n' "$OUT" | grep -q 'No space left on device' || fail "dump to a full device: $OUT"
mkfifo "$T/fifo"
expect_fail run_tool tkadmin dump "$T/fifo"
printf '%s\n' "$OUT" | grep -q "dump path $T/fifo is a FIFO, not a regular file" || fail "dump onto a FIFO: $OUT"
[ -p "$T/fifo" ] || fail "dump replaced the FIFO"
expect_fail run_tool tkadmin dump "$T/copy"
printf '%s\n' "$OUT" | grep -q "is a directory, not a regular file" || fail "dump onto a directory: $OUT"

# 5. The KDC cannot record failures. Its log goes through a pipe (pipes
# have no size limit), and it gets no pid file (that write would fail).
stop_kdc
run_tool tkadmin addpol --maxfailure 100 --failurecountinterval 1h counted >/dev/null || fail "addpol"
run_tool tkadmin modprinc --policy counted alice >/dev/null || fail "modprinc --policy"
(
    trap '' XFSZ
    ulimit -S -f 0
    exec "$BIN/tessera-kdc" -n -c "$TESSERA_CONFIG" -w 2
) 2> >(cat >>"$T/kdc-full.log") &
KPID=$!
track_pid "$KPID"
ok=0
for _ in $(seq 1 50); do
    if echo alice-password | "$BIN/tkinit" --password-stdin alice >/dev/null 2>&1; then
        ok=1
        break
    fi
    sleep 0.1
done
[ "$ok" = 1 ] || fail "tessera-kdc with a full disk does not answer: $(tail -n 5 "$T/kdc-full.log")"
for _ in 1 2 3; do
    echo wrong-password | "$BIN/tkinit" --password-stdin alice >/dev/null 2>&1 && fail "a wrong password was accepted"
done
for _ in $(seq 1 50); do
    grep -q 'cannot record pre-auth failure of alice@' "$T/kdc-full.log" && break
    sleep 0.1
done
grep 'cannot record pre-auth failure of alice@' "$T/kdc-full.log" | head -n 1 | grep -q 'file size limit reached' ||
    fail "the KDC did not log the failed write: $(tail -n 5 "$T/kdc-full.log")"
note "KDC log: $(grep -m1 'cannot record pre-auth' "$T/kdc-full.log")"
echo alice-password | run_tool tkinit --password-stdin alice >/dev/null || fail "tkinit after failed writes"
run_tool tkvno host/svc.example.org >/dev/null || fail "TGS after failed writes"
kill -TERM "$KPID"
rc=0
wait "$KPID" || rc=$?
[ "$rc" -eq 0 ] || fail "tessera-kdc exited with $rc after SIGTERM: $(tail -n 5 "$T/kdc-full.log")"
expect_output '^Failed password attempts: 0$' run_tool tkadmin getprinc alice
run_tool tkadmin dump >/dev/null || fail "dump after the KDC's failed writes"
echo "PASS: t_diskfull"
