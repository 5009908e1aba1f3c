#!/usr/bin/env bash
# Install what Tessera needs to build and test on Debian (12+).
# As root it runs apt-get; otherwise it uses sudo when available, or prints
# the exact command to run. Does nothing when everything is present.
set -euo pipefail
pkgs=(build-essential pkg-config libsodium-dev liblmdb-dev lmdb-utils check python3)
if [ "${1:-}" = "--test" ]; then
    pkgs+=(clang libclang-rt-14-dev valgrind cppcheck)
fi
missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
if [ "$(id -u)" -eq 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    "${cmd[@]}"
elif command -v sudo >/dev/null 2>&1; then
    sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo env DEBIAN_FRONTEND=noninteractive "${cmd[@]}"
else
    echo "deps: missing packages: ${missing[*]}" >&2
    echo "deps: run as root: apt-get update && ${cmd[*]}" >&2
    exit 1
fi
