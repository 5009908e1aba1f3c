#!/usr/bin/env bash
# The shared library exports exactly the functions declared in include/krb.h
# (libkrb/libkrb.map), so service authors can only reach the public API.
set -euo pipefail
cd "$(dirname "$0")/../.."
lib=${B:-build}/lib/libkrb.so.0.1.0
want=$(grep -oE '\bkrb_[a-z0-9_]+\(' include/krb.h | tr -d '(' | sort -u)
have=$(nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sed 's/@.*//' | sort -u)
if [ "$want" != "$have" ]; then
    echo "t_exports: libkrb.so exports differ from include/krb.h (update libkrb/libkrb.map):"
    diff <(echo "$want") <(echo "$have") || true
    exit 1
fi
echo "t_exports: $(echo "$want" | wc -l) public functions exported, nothing else"
