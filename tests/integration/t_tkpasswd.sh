#!/usr/bin/env bash
# t_tkpasswd.sh — tkpasswd against the real KDC on a throwaway realm: a
# password change (old password then refused, new one accepted by tkinit),
# a wrong old password, a weak password under a policy, mismatched and
# empty input, and kadmin/changepw refused through the TGS.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if [ ! -x "$BIN/tkadmin" ] || [ ! -x "$BIN/tessera-kdc" ] || [ ! -x "$BIN/tkpasswd" ]; then
    echo "SKIP: needs tkadmin, tessera-kdc and tkpasswd"
    exit 0
fi

mkrealm
A="run_tool tkadmin"
expect_output 'Principal: kadmin/changepw@EXAMPLE.ORG' $A getprinc kadmin/changepw
echo 'alice-password' | $A addprinc --password-stdin alice >/dev/null || fail "addprinc alice"
$A addpol --minlength 12 strict >/dev/null || fail "addpol"
echo 'Bob-Strong-Pass-1' | $A addprinc --password-stdin --policy strict bob >/dev/null || fail "addprinc bob"
$A addprinc --randkey "host/batch.example.org" >/dev/null || fail "addprinc host"

. "$here/kdc.sh"
start_kdc

tkinit_pw() { # tkinit_pw PASSWORD args...
    local pw=$1
    shift
    printf '%s\n' "$pw" | run_tool tkinit --password-stdin "$@"
}
tkpasswd_pw() { # tkpasswd_pw OLD NEW args...
    local old=$1 new=$2
    shift 2
    printf '%s\n%s\n' "$old" "$new" | run_tool tkpasswd --password-stdin "$@"
}

# --- a password change
expect_output '^Password changed\.$' tkpasswd_pw alice-password alice-new-password alice
expect_fail tkinit_pw alice-password alice
[ "$OUT" = "tkinit: password incorrect for alice@EXAMPLE.ORG" ] || fail "old password after change: $OUT"
expect_output '^$' tkinit_pw alice-new-password alice
expect_output 'alice@EXAMPLE.ORG' run_tool tklist
# the cache was not touched by tkpasswd: only the TGT, no kadmin/changepw ticket
if echo "$OUT" | grep -q 'kadmin/changepw'; then
    fail "kadmin/changepw ticket in the cache: $OUT"
fi

# --- a wrong old password
expect_fail tkpasswd_pw wrong-password whatever-new-one alice
[ "$OUT" = "tkpasswd: password incorrect for alice@EXAMPLE.ORG" ] || fail "wrong old password: $OUT"
expect_output '^$' tkinit_pw alice-new-password alice

# --- a weak password under a policy: refused, the old one still works
expect_fail tkpasswd_pw Bob-Strong-Pass-1 short bob
echo "$OUT" | grep -q '^tkpasswd: password has 5 characters, policy strict requires at least 12' ||
    fail "weak password: $OUT"
expect_output '^$' tkinit_pw Bob-Strong-Pass-1 bob
expect_output '^Password changed\.$' tkpasswd_pw Bob-Strong-Pass-1 Bob-Stronger-Pass-2 bob
expect_output '^$' tkinit_pw Bob-Stronger-Pass-2 bob

# --- kadmin/changepw cannot be had from the TGS
expect_output '^$' tkinit_pw alice-new-password alice
expect_fail run_tool tkvno kadmin/changepw
echo "$OUT" | grep -qi 'policy' || fail "tkvno kadmin/changepw: $OUT"
grep -q 'tickets for kadmin/changepw@EXAMPLE.ORG come from the AS only' "$T/kdc.log" ||
    fail "KDC log does not say why: $(tail -3 "$T/kdc.log")"

# --- input errors
expect_fail bash -c "printf 'alice-new-password\n' | $BIN/tkpasswd --password-stdin alice"
echo "$OUT" | grep -q 'cannot read the old and new passwords' || fail "one line only: $OUT"
expect_fail bash -c "printf 'alice-new-password\n\n' | $BIN/tkpasswd --password-stdin alice"
echo "$OUT" | grep -q 'the new password is empty' || fail "empty new password: $OUT"
rc=0
run_tool tkpasswd a b </dev/null >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "two principals should exit 2, got $rc"

note "all tkpasswd checks passed"
