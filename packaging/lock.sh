#!/usr/bin/env bash
# Write packaging/requirements.lock: every dependency (runtime, test, bench, package and the
# build backend) pinned with hashes, for every supported Python and platform.
#
#   pip install uv && packaging/lock.sh            (add --upgrade to move to today's newest)
#
# CI, the README's install and packaging/build.sh install from the lock, so a release never
# changes under its users. bench/drift.py tries today's newest versions without it.
set -euo pipefail
cd "$(dirname "$0")/.."
exec uv pip compile pyproject.toml packaging/lock.in \
    --extra test --extra bench --extra package \
    --universal --python-version 3.11 --generate-hashes \
    --no-header --annotation-style line \
    --output-file packaging/requirements.lock "$@"
