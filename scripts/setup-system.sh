#!/usr/bin/env bash
# System packages and services the platform needs, installed only when missing (Debian).
# Idempotent; safe to run on every `make setup`.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv python3-pip)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v rabbitmq-server >/dev/null 2>&1 || command -v rabbitmq-plugins >/dev/null 2>&1 || missing+=(rabbitmq-server)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# GNU gettext's msgfmt compiles the console's translations (locale/*.po) at set-up.
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
# The browser tests drive Debian's Chromium through Playwright (no browser download).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# ... with a Chinese font, or the console's Chinese pages (and their screenshots) show empty boxes.
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then missing+=(fonts-wqy-microhei); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# RabbitMQ must be running (it is the box contract), with the management API,
# which provisions each box's user, queue and permissions.
if ! $SUDO rabbitmqctl -q status >/dev/null 2>&1; then
  echo "setup: starting RabbitMQ"
  if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
    $SUDO systemctl start rabbitmq-server
  else
    $SUDO rabbitmq-server -detached
  fi
  $SUDO rabbitmqctl -q wait --timeout 60 "/var/lib/rabbitmq/mnesia/rabbit@$(hostname -s).pid" >/dev/null 2>&1 \
    || $SUDO rabbitmqctl -q await_startup >/dev/null 2>&1 || true
fi
if ! $SUDO rabbitmq-plugins -q list -e rabbitmq_management 2>/dev/null | grep -q rabbitmq_management; then
  echo "setup: enabling RabbitMQ management plugin"
  $SUDO rabbitmq-plugins -q enable rabbitmq_management
fi
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null http://localhost:15672/api/overview -u guest:guest 2>/dev/null && exit 0
  curl -fsS -o /dev/null http://localhost:15672/ 2>/dev/null && exit 0
  sleep 1
done
echo "setup: RabbitMQ management API did not come up on :15672" >&2
exit 1
