#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, then runs every test
# with node's test runner against the real components (ffmpeg, model, SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh mosquitto mosquitto-clients python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
bash scripts/fetch-footage.sh
node --test --test-concurrency=1 dist/test/
