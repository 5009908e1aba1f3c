# kdc.sh — run the real tessera-kdc in integration tests. Source it after
# lib.sh and mkrealm:
#
#   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/kdc.sh"
#   mkrealm
#   start_kdc            # foreground daemon on 127.0.0.1:$PORT, log in $KDC_LOG
#   ...
#   restart_kdc          # stop (must exit 0) and start again
#   stop_kdc             # SIGTERM; fails the test unless the exit status is 0
#
# Extra arguments to start_kdc go to tessera-kdc. KDC_WORKERS (default 2)
# sets -w. With TESSERA_VALGRIND=1 the daemon runs under valgrind and
# stop_kdc fails on any valgrind error (exit status 99) or definite leak.
KDC_PID=""
KDC_LOG=""
KDC_PIDFILE=""

start_kdc() {
    local waited=0 limit=100
    KDC_LOG="$T/kdc.log"
    KDC_PIDFILE="$T/kdc.pid"
    rm -f "$KDC_PIDFILE"
    if [ "${TESSERA_VALGRIND:-}" = 1 ]; then
        limit=600
        valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            "$BIN/tessera-kdc" -n -c "$TESSERA_CONFIG" -P "$KDC_PIDFILE" -w "${KDC_WORKERS:-2}" "$@" \
            >>"$KDC_LOG" 2>&1 &
    else
        "$BIN/tessera-kdc" -n -c "$TESSERA_CONFIG" -P "$KDC_PIDFILE" -w "${KDC_WORKERS:-2}" "$@" \
            >>"$KDC_LOG" 2>&1 &
    fi
    KDC_PID=$!
    track_pid "$KDC_PID"
    # the pid file appears once the database and every socket are open
    while [ ! -s "$KDC_PIDFILE" ]; do
        if ! kill -0 "$KDC_PID" 2>/dev/null; then
            wait "$KDC_PID" 2>/dev/null || true
            fail "tessera-kdc did not start: $(tail -n 5 "$KDC_LOG")"
        fi
        waited=$((waited + 1))
        [ "$waited" -lt "$limit" ] || fail "tessera-kdc did not write $KDC_PIDFILE in time: $(tail -n 5 "$KDC_LOG")"
        sleep 0.1
    done
}

# kdc_alive: 0 while the daemon runs.
kdc_alive() {
    [ -n "$KDC_PID" ] && kill -0 "$KDC_PID" 2>/dev/null
}

stop_kdc() {
    local rc=0
    [ -n "$KDC_PID" ] || return 0
    kill -TERM "$KDC_PID" 2>/dev/null || fail "tessera-kdc (pid $KDC_PID) is not running: $(tail -n 5 "$KDC_LOG")"
    wait "$KDC_PID" || rc=$?
    KDC_PID=""
    if [ "$rc" -eq 99 ]; then
        fail "valgrind reported errors in tessera-kdc: $(grep '^==' "$KDC_LOG" | head -n 40)"
    fi
    [ "$rc" -eq 0 ] || fail "tessera-kdc exited with status $rc after SIGTERM: $(tail -n 5 "$KDC_LOG")"
    [ ! -e "$KDC_PIDFILE" ] || fail "tessera-kdc left its pid file $KDC_PIDFILE behind"
}

restart_kdc() {
    stop_kdc
    start_kdc "$@"
}
