#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, then runs every test
# with node's test runner against the real components (ffmpeg, model, SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/fetch-footage.sh
node --test --test-concurrency=1 dist/test/
