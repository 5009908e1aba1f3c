#!/usr/bin/env bash
# Run unit test binaries and integration scripts; print "N passed, N failed".
# With TESSERA_VALGRIND=1, unit binaries run under valgrind and integration
# scripts run the daemon and tools under valgrind (see tests/integration/lib.sh).
set -u
pass=0
fail=0
failed=()
for t in "$@"; do
    name=$(basename "$t")
    log=$(mktemp)
    case "$t" in
    *.sh) cmd=(bash "$t") ;;
    *)
        if [ "${TESSERA_VALGRIND:-}" = 1 ]; then
            cmd=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$t")
        else
            cmd=("$t")
        fi
        ;;
    esac
    # A hung test fails after TEST_TIMEOUT seconds instead of stalling CI.
    if CK_FORK=no timeout -k 10 "${TEST_TIMEOUT:-900}" "${cmd[@]}" >"$log" 2>&1; then
        pass=$((pass + 1))
        echo "PASS: $name $(grep -E '^[0-9]+%: Checks' "$log" | tail -n 1)"
    else
        fail=$((fail + 1))
        failed+=("$name")
        echo "FAIL: $name"
        sed 's/^/    /' "$log" | tail -n 60
    fi
    rm -f "$log"
done
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
