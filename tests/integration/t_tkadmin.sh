#!/usr/bin/env bash
# t_tkadmin.sh — the admin tool end to end on a throwaway realm: principals,
# keys, keytabs, policies, dump/load into a fresh realm, errors.
. "$(dirname "$0")/lib.sh"

mkrealm
A="run_tool tkadmin"

# init made the TGS principal with a random key; a second init is refused
expect_output '^krbtgt/EXAMPLE.ORG@EXAMPLE.ORG$' $A listprincs
expect_output 'Key: kvno 1, suite 1 \(xchacha20-poly1305\), random' $A getprinc krbtgt/EXAMPLE.ORG
expect_fail $A init
echo "$OUT" | grep -q "already exists" || fail "second init: $OUT"
[ "$(stat -c %a "$T/stash")" = 600 ] || fail "stash mode $(stat -c %a "$T/stash")"

# addprinc with a password on stdin; getprinc shows no key material
echo 'alice pass 1' | $A addprinc --password-stdin alice >/dev/null || fail "addprinc alice"
expect_output '^Principal: alice@EXAMPLE.ORG$' $A getprinc alice
for line in 'Flags: REQUIRES_PREAUTH$' 'Policy: \(none\)' 'Expiration date: never' 'Failed password attempts: 0' \
    'Locked: no' 'Number of keys: 1' 'Key: kvno 1, suite 1 \(xchacha20-poly1305\), password \(Argon2id ops 1, memory 8192 KiB\)' \
    'Last successful authentication: never'; do
    echo "$OUT" | grep -Eq "$line" || fail "getprinc alice lacks /$line/: $OUT"
done
expect_fail bash -c "echo x | $BIN/tkadmin addprinc --password-stdin alice"
echo "$OUT" | grep -q "tkadmin: principal alice@EXAMPLE.ORG already exists (use cpw to change its password)" ||
    fail "existing principal: $OUT"
expect_fail $A addprinc alice2 </dev/null
echo "$OUT" | grep -q -- "--password-stdin" || fail "no password source: $OUT"

# modprinc
$A modprinc --maxlife 10h --maxrenewlife 7d --expire 2030-01-02 --pwexpire "2029-12-31 12:00:00" \
    --disallow-svr --no-requires-preauth alice >/dev/null || fail "modprinc"
expect_output 'Maximum ticket life: 10h' $A getprinc alice
echo "$OUT" | grep -q 'Maximum renewable life: 7d' || fail "maxrenewlife: $OUT"
echo "$OUT" | grep -q 'Expiration date: 2030-01-02 00:00:00 UTC' || fail "expire: $OUT"
echo "$OUT" | grep -q 'Password expiration date: 2029-12-31 12:00:00 UTC' || fail "pwexpire: $OUT"
echo "$OUT" | grep -q 'Flags: DISALLOW_SVR$' || fail "flags: $OUT"
$A modprinc --locked --requires-preauth --allow-svr --expire never alice >/dev/null || fail "modprinc 2"
expect_output 'Flags: REQUIRES_PREAUTH LOCKED$' $A getprinc alice
echo "$OUT" | grep -q 'Locked: yes' || fail "locked: $OUT"
echo "$OUT" | grep -q 'Expiration date: never' || fail "expire never: $OUT"
$A modprinc --unlocked --unlock alice >/dev/null || fail "unlock"
expect_output 'Locked: no' $A getprinc alice
expect_fail $A modprinc --maxlife soon alice
expect_fail $A modprinc --expire 2030-13-45 alice
rc=0
$A modprinc alice >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "modprinc without changes should be a usage error (2), got $rc"

# cpw bumps the kvno; randkey too
echo 'alice pass 2' | $A cpw --password-stdin alice >/dev/null || fail "cpw"
expect_output 'Key: kvno 2, .*password' $A getprinc alice
echo "$OUT" | grep -q 'Number of keys: 1' || fail "cpw without policy keeps old keys: $OUT"
$A addprinc --randkey http/web1 >/dev/null || fail "addprinc --randkey"
$A randkey http/web1 >/dev/null || fail "randkey"
expect_output 'Key: kvno 2, suite 1 \(xchacha20-poly1305\), random' $A getprinc http/web1

# ktadd: new kvno, keytab 0600; --norandkey exports the current key
kt="$T/http.keytab"
expect_output 'kvno 3 added to keytab' $A ktadd -k "$kt" http/web1
[ "$(stat -c %a "$kt")" = 600 ] || fail "keytab mode $(stat -c %a "$kt")"
expect_output 'kvno 3 added to keytab' $A ktadd -k "$kt" --norandkey http/web1
expect_output 'kvno 4 added' $A ktadd -k "$kt" http/web1
expect_output 'Removed 1 entry' $A ktremove -k "$kt" http/web1 old
expect_output 'Removed 1 entry' $A ktremove -k "$kt" http/web1 4
expect_fail $A ktremove -k "$kt" http/web1 all
echo "$OUT" | grep -q KRB_ERR_KT_NOTFOUND || fail "ktremove of a missing entry: $OUT"
expect_output 'added to keytab '"$T"'/keytab' $A ktadd --norandkey http/web1  # TESSERA_KTNAME
chmod 644 "$kt"
expect_fail $A ktadd -k "$kt" --norandkey http/web1
echo "$OUT" | grep -q "chmod 600" || fail "group-readable keytab: $OUT"
expect_fail $A ktadd -k "$kt" nobody

# listprincs with a glob (realm added when the pattern has none)
$A addprinc --randkey host/web1 >/dev/null
$A addprinc --randkey host/web2 >/dev/null
expect_output '^host/web1@EXAMPLE.ORG$' $A listprincs 'host/*'
[ "$(echo "$OUT" | wc -l)" = 2 ] || fail "listprincs host/*: $OUT"
expect_output '^http/web1@EXAMPLE.ORG$' $A listprincs '*/web1'
[ "$(echo "$OUT" | wc -l)" = 2 ] || fail "listprincs */web1: $OUT"

# policies: a weak password is refused, lockout settings shown
$A addpol --minlength 10 --minclasses 3 --history 2 --maxfailure 5 --lockoutduration 10m \
    --failurecountinterval 1h strict >/dev/null || fail "addpol"
expect_output 'Minimum password length: 10' $A getpol strict
echo "$OUT" | grep -q 'Lockout duration: 10m' || fail "getpol: $OUT"
expect_fail $A addpol strict
expect_fail bash -c "echo weakpass | $BIN/tkadmin addprinc --password-stdin --policy strict bob"
echo "$OUT" | grep -q "password for bob@EXAMPLE.ORG rejected: password has 8 characters, policy strict requires at least 10" ||
    fail "weak password: $OUT"
expect_fail $A getprinc bob
echo 'Strong-Pass-99' | $A addprinc --password-stdin --policy strict bob >/dev/null || fail "strong password"
expect_fail bash -c "echo 'alllowercaseletters' | $BIN/tkadmin cpw --password-stdin bob"
echo "$OUT" | grep -q "character classes" || fail "classes: $OUT"
echo 'Strong-Pass-100' | $A cpw --password-stdin bob >/dev/null || fail "cpw bob"
expect_output 'Number of keys: 2' $A getprinc bob   # history 2 keeps the old key
$A modpol --minlength 12 strict >/dev/null || fail "modpol"
expect_output 'Minimum password length: 12' $A getpol strict
echo "$OUT" | grep -q 'Minimum character classes: 3' || fail "modpol kept the other fields: $OUT"
$A addpol temp >/dev/null
expect_output '^temp$' $A listpols
expect_fail $A delpol strict
echo "$OUT" | grep -q "in use by bob@EXAMPLE.ORG" || fail "delpol in use: $OUT"
$A delpol temp >/dev/null || fail "delpol"
expect_fail $A modprinc --policy nosuch bob
echo "$OUT" | grep -q "policy nosuch does not exist" || fail "unknown policy: $OUT"

# dump, load into a fresh realm directory that reuses the stash, dump again
$A dump "$T/dump1" || fail "dump"
[ "$(stat -c %a "$T/dump1")" = 600 ] || fail "dump mode"
head -1 "$T/dump1" | grep -qx 'tessera-dump 1' || fail "dump header"
mkdir "$T/r2"
sed -e "s|$T/db|$T/r2/db|" "$T/tessera.conf" >"$T/r2/tessera.conf"
# 7: krbtgt and kadmin/changepw (from init) and the dumped principals
expect_output 'now holds 7 principals and 1 policies' run_tool tkadmin -c "$T/r2/tessera.conf" load "$T/dump1"
run_tool tkadmin -c "$T/r2/tessera.conf" dump >"$T/dump2" || fail "dump 2"
cmp -s "$T/dump1" "$T/dump2" || fail "dump after load differs: $(diff "$T/dump1" "$T/dump2" | head)"
expect_output 'Key: kvno 2' run_tool tkadmin -c "$T/r2/tessera.conf" getprinc alice
expect_fail run_tool tkadmin -c "$T/r2/tessera.conf" load "$T/dump1"
echo "$OUT" | grep -q -- "--update" || fail "load into non-empty: $OUT"
run_tool tkadmin -c "$T/r2/tessera.conf" load --update "$T/dump1" >/dev/null || fail "load --update"
# a damaged dump names file and line, and loads nothing
sed -e '6s/^princ/prince/' "$T/dump1" >"$T/bad.dump"
mkdir "$T/r3"
sed -e "s|$T/db|$T/r3/db|" "$T/tessera.conf" >"$T/r3/tessera.conf"
expect_fail run_tool tkadmin -c "$T/r3/tessera.conf" load "$T/bad.dump"
echo "$OUT" | grep -q "$T/bad.dump:6: unknown line type" || fail "bad dump: $OUT"
head -n 5 "$T/dump1" >"$T/short.dump"
rm -rf "$T/r3/db"
expect_fail run_tool tkadmin -c "$T/r3/tessera.conf" load "$T/short.dump"
echo "$OUT" | grep -q "truncated" || fail "truncated dump: $OUT"

# backup
$A backup "$T/backup" >/dev/null || fail "backup"
[ -f "$T/backup/data.mdb" ] || fail "backup has no data.mdb"

# delprinc
expect_fail $A delprinc host/web2 </dev/null
echo "$OUT" | grep -q -- "--force" || fail "delprinc without confirmation: $OUT"
$A delprinc --force host/web2 >/dev/null || fail "delprinc --force"
expect_fail $A getprinc host/web2
echo "$OUT" | grep -q "tkadmin: principal host/web2@EXAMPLE.ORG does not exist" || fail "deleted: $OUT"
expect_fail $A delprinc --force host/web2

# errors: unknown principal, bad name, wrong stash, group-readable stash, usage
expect_fail $A getprinc nobody
echo "$OUT" | grep -q "^tkadmin: principal nobody@EXAMPLE.ORG does not exist" || fail "unknown: $OUT"
expect_fail $A getprinc 'bad@'
rc=0
$A frobnicate >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "unknown command should exit 2, got $rc"
cp "$T/stash" "$T/stash.good"
mkdir "$T/other"
sed -e "s|$T/db|$T/other/db|" -e "s|$T/stash|$T/other/stash|" "$T/tessera.conf" >"$T/other/tessera.conf"
run_tool tkadmin -c "$T/other/tessera.conf" init >/dev/null || fail "init other"
cp "$T/other/stash" "$T/stash"
expect_fail $A listprincs
echo "$OUT" | grep -q "does not match" || fail "wrong stash: $OUT"
echo "$OUT" | grep -q KRB_ERR_MKEY || fail "wrong stash code: $OUT"
cp "$T/stash.good" "$T/stash"
chmod 640 "$T/stash"
expect_fail $A listprincs
echo "$OUT" | grep -q "chmod 600" || fail "group-readable stash: $OUT"
chmod 600 "$T/stash"
expect_output '^alice@EXAMPLE.ORG$' $A listprincs
echo "PASS: t_tkadmin"
