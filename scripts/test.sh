#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test
# (Check unit suites + integration tests against the real daemon on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test
make -j"$(nproc)" all
make check
