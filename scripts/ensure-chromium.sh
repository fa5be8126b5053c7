#!/usr/bin/env bash
# Makes sure the browser that opens the HTML report in its test is here: Debian's chromium at
# /usr/bin/chromium (STACKCHECK_CHROMIUM names another). Where it is, it does nothing;
# otherwise, as root on Debian or Ubuntu, it installs the distribution's package.
set -euo pipefail

log() { printf 'ensure-chromium: %s\n' "$*" >&2; }
browser=${STACKCHECK_CHROMIUM:-/usr/bin/chromium}

if [ -x "$browser" ]; then
  log "$browser is here; nothing to do"
  exit 0
fi
if [ -n "${STACKCHECK_CHROMIUM:-}" ]; then
  log "STACKCHECK_CHROMIUM=$browser is not an executable"
  exit 2
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  log "no $browser, and installing it needs root on Debian/Ubuntu: apt-get install chromium, or set STACKCHECK_CHROMIUM"
  exit 2
fi
log "installing chromium from the distribution's packages"
export DEBIAN_FRONTEND=noninteractive
# A package list that is old or absent names no chromium: refresh it once, then install.
apt-get install -y -qq chromium >/dev/null 2>&1 || {
  apt-get update -qq >/dev/null
  apt-get install -y -qq chromium >/dev/null
}
"$browser" --version >&2
