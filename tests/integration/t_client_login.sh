#!/usr/bin/env bash
# t_client_login.sh — the user tools against the real KDC on a throwaway
# realm: tkinit with the right and wrong password, unknown and locked users,
# lifetimes, the cache file, tklist output and -s status, renewal with -R,
# keytab login with -k, tklist -k, tkdestroy, usage errors.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if [ ! -x "$BIN/tkadmin" ] || [ ! -x "$BIN/tessera-kdc" ]; then
    echo "SKIP: needs tkadmin and tessera-kdc"
    exit 0
fi

mkrealm
A="run_tool tkadmin"
echo 'alice-password' | $A addprinc --password-stdin alice >/dev/null || fail "addprinc alice"
echo 'bob-password' | $A addprinc --password-stdin bob >/dev/null || fail "addprinc bob"
$A addprinc --randkey "host/batch.example.org" >/dev/null || fail "addprinc host"
$A ktadd -k "$T/host.keytab" "host/batch.example.org" >/dev/null || fail "ktadd"

# The KDC: kdc.sh's start_kdc when present, else started here.
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

tkinit_pw() { # tkinit_pw PASSWORD args...
    local pw=$1
    shift
    printf '%s\n' "$pw" | run_tool tkinit --password-stdin "$@"
}

# --- no cache yet
expect_fail run_tool tklist
[ "$OUT" = "tklist: No credentials cache found (ticket cache FILE:$T/ccache)" ] || fail "tklist without cache: $OUT"
rc=0
run_tool tklist -s >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "tklist -s without cache: exit $rc"

# --- right password
expect_output '^$' tkinit_pw alice-password alice
[ "$(stat -c %a "$T/ccache")" = 600 ] || fail "ccache mode $(stat -c %a "$T/ccache")"
run_tool tklist -s || fail "tklist -s after tkinit"
expect_output '^Ticket cache: FILE:' run_tool tklist
echo "$OUT" | sed -n 1p | grep -qx "Ticket cache: FILE:$T/ccache" || fail "tklist line 1: $OUT"
echo "$OUT" | sed -n 2p | grep -qx "Default principal: alice@EXAMPLE.ORG" || fail "tklist line 2: $OUT"
echo "$OUT" | sed -n 3p | grep -qx "" || fail "tklist line 3: $OUT"
echo "$OUT" | sed -n 4p | grep -Eqx "Valid starting +Expires +Service principal" || fail "tklist header: $OUT"
dt='[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}'
echo "$OUT" | sed -n 5p | grep -Eqx "$dt  $dt  krbtgt/EXAMPLE.ORG@EXAMPLE.ORG" || fail "tklist TGT line: $OUT"
[ "$(echo "$OUT" | wc -l)" = 5 ] || fail "tklist: unexpected extra lines: $OUT"
expect_output $'^\tFlags: IA$' run_tool tklist -f

# the default principal comes from the cache the second time
expect_output '^Using principal: alice@EXAMPLE.ORG$' tkinit_pw alice-password -V
echo "$OUT" | grep -qx "Using default cache: FILE:$T/ccache" || fail "tkinit -V cache line: $OUT"
echo "$OUT" | grep -qx "Authenticated to Tessera." || fail "tkinit -V: $OUT"

# --- wrong password: clear message, the existing cache is left alone
before=$(sha256sum <"$T/ccache")
expect_fail tkinit_pw wrong-password alice
[ "$OUT" = "tkinit: password incorrect for alice@EXAMPLE.ORG" ] || fail "wrong password: $OUT"
[ "$(sha256sum <"$T/ccache")" = "$before" ] || fail "a failed tkinit changed the cache"

# --- unknown user: hidden by default (looks like a wrong password)
expect_fail tkinit_pw whatever nobody
[ "$OUT" = "tkinit: password incorrect for nobody@EXAMPLE.ORG" ] || fail "hidden unknown user: $OUT"

# --- unknown user with hide_unknown_principals = false ([kdc] is the last section)
echo 'hide_unknown_principals = false' >>"$TESSERA_CONFIG"
stop_kdc
start_kdc
expect_fail tkinit_pw whatever nobody
[ "$OUT" = "tkinit: client nobody@EXAMPLE.ORG not found in Kerberos database" ] || fail "unknown user: $OUT"
run_tool tklist -s || fail "the TGT in the cache survives a KDC restart"

# --- locked user
$A modprinc --locked bob >/dev/null || fail "lock bob"
expect_fail tkinit_pw bob-password bob
[ "$OUT" = "tkinit: bob@EXAMPLE.ORG is locked out (too many failures or disabled): ask an administrator" ] ||
    fail "locked user: $OUT"
$A modprinc --unlocked bob >/dev/null || fail "unlock bob"
expect_output '^$' tkinit_pw bob-password -c "$T/bob.cc" bob
expect_output 'Default principal: bob@EXAMPLE.ORG' run_tool tklist -c "FILE:$T/bob.cc"

# --- requested lifetime: 1 hour
expect_output '^$' tkinit_pw alice-password -l 1h alice
start=$(run_tool tklist | sed -n 5p | cut -c1-19)
end=$(run_tool tklist | sed -n 5p | cut -c22-40)
life=$(($(date -d "$end" +%s) - $(date -d "$start" +%s)))
[ "$life" -ge 3590 ] && [ "$life" -le 3600 ] || fail "tkinit -l 1h gave a $life s ticket"

# --- renewal
expect_fail run_tool tkinit -R
[ "$OUT" = "tkinit: ticket-granting ticket for alice@EXAMPLE.ORG is not renewable: run tkinit -r" ] ||
    fail "renew a non-renewable TGT: $OUT"
expect_output '^$' tkinit_pw alice-password -l 1h -r 2d alice
expect_output $'^\trenew until ' run_tool tklist
expect_output $'^\trenew until .*, Flags: RIA$' run_tool tklist -f
sleep 1.1
expect_output '^$' run_tool tkinit -R
expect_output 'Renewed the ticket-granting ticket.' run_tool tkinit -R -V
expect_output $'^\trenew until .*, Flags: RIA?$' run_tool tklist -f
run_tool tklist -s || fail "tklist -s after renewal"

# --- an expired but renewable TGT: tklist -s and tkvno say so, -R revives it
expect_output '^$' tkinit_pw alice-password -l 1s -r 1h alice
sleep 1.5
rc=0
run_tool tklist -s || rc=$?
[ "$rc" = 1 ] || fail "tklist -s with an expired TGT: exit $rc"
expect_fail run_tool tkvno host/batch.example.org
echo "$OUT" | grep -q '^tkvno: ticket-granting ticket for alice@EXAMPLE.ORG expired at .*: run tkinit$' ||
    fail "tkvno with an expired TGT: $OUT"
expect_output '^$' run_tool tkinit -R
run_tool tklist -s || fail "tklist -s after renewing an expired TGT"

# --- keytab login
expect_output '^$' run_tool tkinit -k -t "$T/host.keytab" -c "$T/host.cc" host/batch.example.org
expect_output 'Default principal: host/batch.example.org@EXAMPLE.ORG' run_tool tklist -c "$T/host.cc"
expect_fail run_tool tkinit -k -t "$T/host.keytab" -c "$T/host.cc" alice
echo "$OUT" | grep -q '^tkinit: .*alice@EXAMPLE.ORG' || fail "keytab without alice: $OUT"
expect_output '^Keytab name: FILE:' run_tool tklist -k -t "$T/host.keytab"
echo "$OUT" | grep -Eq '^ +[0-9]+ host/batch.example.org@EXAMPLE.ORG$' || fail "tklist -k: $OUT"
echo "$OUT" | grep -qx 'KVNO Principal' || fail "tklist -k header: $OUT"
expect_fail run_tool tklist -k -t "$T/no-such.keytab"

# --- unsafe cache
cp "$T/ccache" "$T/loose.cc"
chmod 644 "$T/loose.cc"
expect_fail run_tool tklist -c "$T/loose.cc"
echo "$OUT" | grep -q 'accessible by group or others' || fail "group-readable cache: $OUT"
ln -s "$T/ccache" "$T/link.cc"
expect_fail run_tool tklist -c "$T/link.cc"
echo "$OUT" | grep -q 'symbolic link' || fail "symlinked cache: $OUT"

# --- tkdestroy
cp "$T/ccache" "$T/before-destroy"
expect_output '^$' run_tool tkdestroy
[ ! -e "$T/ccache" ] || fail "tkdestroy left the cache"
expect_fail run_tool tkdestroy
[ "$OUT" = "tkdestroy: No credentials cache found (ticket cache FILE:$T/ccache)" ] || fail "second tkdestroy: $OUT"
rc=0
run_tool tklist -s || rc=$?
[ "$rc" = 1 ] || fail "tklist -s after tkdestroy: exit $rc"

# --- usage errors exit 2
for cmd in "tkinit -Z" "tkinit -l forever alice" "tkinit a b" "tkinit -R -k" "tklist extra" "tklist -k -s" \
    "tkdestroy extra" "tkvno" "tkvno -Z x"; do
    rc=0
    # shellcheck disable=SC2086
    run_tool $cmd </dev/null >/dev/null 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "'$cmd' should exit 2, got $rc"
done

note "all login checks passed"
