#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine. Where one already answers
# (DOCKER_HOST or the default socket), it does nothing. Otherwise, on Debian or Ubuntu,
# it installs the distribution's engine and starts dockerd in the background.
set -euo pipefail

log() { printf 'ensure-docker: %s\n' "$*" >&2; }

if docker info >/dev/null 2>&1; then
  log "an engine already answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown)); nothing to do"
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST#unix://}" = "$DOCKER_HOST" ]; then
  log "DOCKER_HOST=$DOCKER_HOST does not answer, and a remote engine cannot be installed from here."
  log "Start that engine, or unset DOCKER_HOST to use a local one."
  exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
  log "no engine answers and installing one needs root; run this script with sudo, or start your engine"
  exit 2
fi

need_install=()
command -v dockerd >/dev/null 2>&1 || need_install+=(docker.io)
command -v iptables >/dev/null 2>&1 || need_install+=(iptables)
command -v nsenter >/dev/null 2>&1 || need_install+=(util-linux)
if [ "${#need_install[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    log "no engine answers and this is not a Debian/Ubuntu machine; install Docker or Podman and start it"
    exit 2
  fi
  log "installing ${need_install[*]} from the distribution's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need_install[@]}" >/dev/null
fi

logfile=/var/log/stackcheck-dockerd.log
log "starting dockerd (log: $logfile)"
setsid dockerd >"$logfile" 2>&1 < /dev/null &

for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then
    log "engine ready ($(docker version --format '{{.Server.Version}}'))"
    exit 0
  fi
  sleep 0.5
done
log "dockerd did not answer within 60 s; the end of its log:"
tail -n 20 "$logfile" >&2 || true
exit 1
