# lib.sh — shared helpers for the integration tests (source it first).
#
#   . "$(dirname "$0")/lib.sh"
#   mkrealm                       # throwaway realm in $T, tkadmin init done
#   run_tool tkadmin addprinc --randkey http/web1
#   expect_output '^Principal: ' run_tool tkadmin getprinc http/web1
#   expect_fail run_tool tkadmin getprinc nobody
#
# Provides: BIN (absolute path of the built tools), T (the realm's temporary
# directory), PORT (a free 127.0.0.1 port for the KDC), REALM, and exports
# TESSERA_CONFIG, TESSERA_CCNAME, TESSERA_KTNAME. Background daemons started
# by a test are registered with track_pid and killed on exit; $T is removed
# (unless TESSERA_KEEP=1). The KDC itself is started by kdc.sh (start_kdc).
# With TESSERA_VALGRIND=1, run_tool runs the tool under valgrind.
set -euo pipefail

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LIB_DIR/../.." && pwd)
B="${B:-build}"
case "$B" in
/*) BIN="$B/bin" ;;
*) BIN="$ROOT/$B/bin" ;;
esac
export BIN
REALM=EXAMPLE.ORG
T=""
PORT=""
OUT=""
LIB_PIDS=()

# Print a failure and stop the test (the EXIT trap cleans up).
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

note() {
    echo "# $*"
}

# Remember a background process to kill when the test ends.
track_pid() {
    LIB_PIDS+=("$1")
}

lib_cleanup() {
    local rc=$? pid
    for pid in "${LIB_PIDS[@]+"${LIB_PIDS[@]}"}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${LIB_PIDS[@]+"${LIB_PIDS[@]}"}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "$T" ] && [ -d "$T" ]; then
        if [ "${TESSERA_KEEP:-}" = 1 ]; then
            echo "# kept $T" >&2
        else
            rm -rf "$T"
        fi
    fi
    return "$rc"
}
trap lib_cleanup EXIT

# A free TCP+UDP port on 127.0.0.1 (nothing else is ever contacted).
free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 - <<'PY'
import socket
for _ in range(50):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close()
        continue
    u.close()
    t.close()
    print(port)
    break
PY
        return
    fi
    local p
    for _ in $(seq 1 100); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    fail "no free port found on 127.0.0.1"
}

# run_tool NAME|PATH args... : a built tool, under valgrind when asked.
run_tool() {
    local tool=$1
    shift
    case "$tool" in
    */*) ;;
    *) tool="$BIN/$tool" ;;
    esac
    if [ "${TESSERA_VALGRIND:-}" = 1 ]; then
        valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$tool" "$@"
    else
        "$tool" "$@"
    fi
}

# expect_fail cmd... : cmd must exit non-zero (but not 99: a valgrind
# error) ; its combined output is left in $OUT.
expect_fail() {
    local rc=0
    OUT=$("$@" 2>&1) || rc=$?
    if [ "$rc" -eq 0 ]; then
        fail "expected failure, but it succeeded: $* -> $OUT"
    fi
    if [ "$rc" -eq 99 ]; then
        fail "valgrind reported errors: $* -> $OUT"
    fi
    return 0
}

# expect_output PATTERN cmd... : cmd must succeed and its combined output
# match the extended regular expression PATTERN; output left in $OUT.
expect_output() {
    local pattern=$1 rc=0
    shift
    OUT=$("$@" 2>&1) || rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "exit $rc: $* -> $OUT"
    fi
    if ! printf '%s\n' "$OUT" | grep -Eq -- "$pattern"; then
        fail "output of '$*' does not match /$pattern/: $OUT"
    fi
    return 0
}

# write_conf DIR PORT : a realm configuration for DIR.
write_conf() {
    local dir=$1 port=$2
    cat >"$dir/tessera.conf" <<CONF
[libdefaults]
default_realm = $REALM
clock_skew = 300s
ccache = $dir/ccache
keytab = $dir/keytab

[realm $REALM]
kdc = 127.0.0.1:$port

[kdc]
realm = $REALM
listen = 127.0.0.1:$port
database = $dir/db
stash = $dir/stash
pwhash_ops = 1
pwhash_mem = 8M
CONF
}

# mkrealm : a new realm in a fresh $T with tkadmin init run.
mkrealm() {
    T=$(mktemp -d "${TMPDIR:-/tmp}/tessera-test.XXXXXX")
    PORT=$(free_port)
    write_conf "$T" "$PORT"
    export TESSERA_CONFIG="$T/tessera.conf"
    export TESSERA_CCNAME="$T/ccache"
    export TESSERA_KTNAME="$T/keytab"
    if ! run_tool tkadmin init >"$T/init.log" 2>&1; then
        fail "tkadmin init: $(cat "$T/init.log")"
    fi
}
