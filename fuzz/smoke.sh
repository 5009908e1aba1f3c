#!/usr/bin/env bash
# fuzz/smoke.sh N — run every built libFuzzer target in build-fuzz/fuzz/ for
# N seconds, each on a temporary copy of its seed corpus fuzz/corpus/<target>/
# (the committed seeds are never modified). Fails on any crash, leak,
# timeout or sanitizer report; prints executions per target.
set -euo pipefail

secs=${1:-30}
dir=${FUZZ_BUILD_DIR:-build-fuzz/fuzz}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

shopt -s nullglob
targets=("$dir"/fuzz_*)
if [ ${#targets[@]} -eq 0 ]; then
    echo "fuzz/smoke.sh: no targets in $dir (run 'make fuzz' first)" >&2
    exit 1
fi

failed=()
for t in "${targets[@]}"; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    corpus="$work/$name"
    mkdir -p "$corpus"
    if [ -d "$here/corpus/$name" ]; then
        cp -R "$here/corpus/$name/." "$corpus/"
    fi
    log="$work/$name.log"
    # -rss_limit_mb and -timeout turn a runaway input into a failure too.
    if (cd "$work" && "$OLDPWD/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$work/$name-" "$corpus" </dev/null >"$log" 2>&1); then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
        printf 'PASS: %-22s %10s execs in %ss (cov %s)\n' "$name" "${execs:-?}" "$secs" "${cov:-?}"
    else
        failed+=("$name")
        echo "FAIL: $name"
        grep -E 'ERROR|SUMMARY|==[0-9]+==|runtime error|Test unit written' "$log" | head -n 20 | sed 's/^/    /'
        tail -n 30 "$log" | sed 's/^/    /'
        for a in "$work/$name-"*; do
            [ -f "$a" ] || continue
            echo "    crashing input (hex): $(od -An -tx1 -v "$a" | tr -d ' \n' | cut -c1-400)"
        done
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz smoke: ${#failed[@]} failed: ${failed[*]}"
    exit 1
fi
echo "fuzz smoke: ${#targets[@]} targets passed"
