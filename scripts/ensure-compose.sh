#!/usr/bin/env bash
# Makes sure a compose CLI runs here, for the tests that deploy a stack the way users do
# (test/integration/attach.test.ts): `docker compose` (v2) or `docker-compose`. Where neither
# is present, on Debian or Ubuntu as root, it installs the distribution's docker-compose.
set -euo pipefail

log() { printf 'ensure-compose: %s\n' "$*" >&2; }

if docker compose version >/dev/null 2>&1 || docker-compose version >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  log "no compose CLI, and it cannot be installed here (needs root and apt); install docker compose"
  exit 2
fi
log "installing docker-compose from the distribution's packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq docker-compose >/dev/null
