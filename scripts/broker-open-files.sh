#!/usr/bin/env bash
# Restart the local RabbitMQ with room for a fleet: every box holds two connections (its
# command queue and its upload vhost), and a broker started by hand under `su` gets 1 024
# open files, about 830 sockets: past ~400 boxes new connections hang (bench/fleet.py found
# it at 1 000). Under systemd, Debian's unit sets LimitNOFILE=65536 and this is not needed.
# Usage: scripts/broker-open-files.sh [open files, default 20000 or the hard limit if lower]
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
wanted="${1:-20000}"
hard="$(ulimit -Hn)"
if [ "$hard" != "unlimited" ] && [ "$hard" -lt "$wanted" ]; then wanted="$hard"; fi

if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
  echo "RabbitMQ runs under systemd: set LimitNOFILE=$wanted in a drop-in for rabbitmq-server.service" >&2
  exit 1
fi
$SUDO rabbitmqctl -q stop || true
# Not `su` (PAM resets the limit); rabbitmq-server as its own user, with the limit raised.
$SUDO setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env HOME=/var/lib/rabbitmq \
  sh -c "ulimit -n $wanted && cd /var/lib/rabbitmq && exec /usr/lib/rabbitmq/bin/rabbitmq-server -detached"
$SUDO rabbitmqctl -q await_startup --timeout 120
$SUDO rabbitmqctl status | grep -A2 "File Descriptors" | tail -2
