#!/usr/bin/env bash
# Sets a gateway up: Debian packages, a dedicated system user, the agent under
# /opt/edge-agent, config in /etc/edge-agent (from the example, never
# overwritten), state in /var/lib/edge-agent, and the systemd unit.
# Usage (as root, from a clone): bash scripts/install.sh [--prefix /opt/edge-agent] [--no-start]
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=/opt/edge-agent
START=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX="$2"; shift 2 ;;
    --no-start) START=0; shift ;;
    *) echo "install: unknown option $1 (use --prefix DIR, --no-start)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "install: run as root (sudo bash scripts/install.sh)" >&2; exit 1; }
command -v node >/dev/null || { echo "install: Node.js 20+ is needed (apt-get install nodejs)" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "install: Node.js $major found, 20+ needed" >&2; exit 1; }

echo "install: Debian packages" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg systemd >&2

echo "install: user and folders" >&2
id edge-agent >/dev/null 2>&1 || useradd --system --home-dir /var/lib/edge-agent --shell /usr/sbin/nologin edge-agent
install -d -m 0755 "$PREFIX"
install -d -m 0750 -o root -g edge-agent /etc/edge-agent
install -d -m 0750 -o edge-agent -g edge-agent /var/lib/edge-agent

echo "install: the agent into $PREFIX" >&2
tar --exclude=./node_modules --exclude=./.cache --exclude=./.git --exclude=./dist -cf - . | tar -xf - -C "$PREFIX"
(cd "$PREFIX" && npm ci --no-audit --no-fund --loglevel=error && npx --no-install tsc -p . && npm prune --omit=dev --no-audit --no-fund --loglevel=error)

if [ ! -f /etc/edge-agent/config.yaml ]; then
  cat > /etc/edge-agent/config.yaml <<'YAML'
# edge-agent gateway config. Every key and its default: /opt/edge-agent/config/example.yaml
device: {}
cameras:
  - name: camera-1
    input: rtsp://user:password@192.0.2.10:554/stream2   # change me
storage:
  db: /var/lib/edge-agent/events.db
  snapshots: /var/lib/edge-agent/snapshots
# mqtt:
#   url: mqtts://broker.example.net:8883
#   username: gateway-01
#   passwordFile: /etc/edge-agent/mqtt.password
YAML
  chown root:edge-agent /etc/edge-agent/config.yaml
  chmod 0640 /etc/edge-agent/config.yaml
  echo "install: wrote /etc/edge-agent/config.yaml: set the camera URL" >&2
fi

sed "s#/opt/edge-agent#$PREFIX#g" systemd/edge-agent.service > /etc/systemd/system/edge-agent.service
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable edge-agent.service
  [ "$START" -eq 1 ] && systemctl restart edge-agent.service
  echo "install: done; status: systemctl status edge-agent; logs: journalctl -u edge-agent -f" >&2
else
  echo "install: done (systemd is not running here; the unit is in /etc/systemd/system)" >&2
fi
