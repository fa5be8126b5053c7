#!/usr/bin/env bash
# Prints the path of a compose v2 binary (docker-compose 2.x) for the compose parity test,
# fetching it first when needed. Nothing is installed and /etc/apt is never touched: the
# binary is Debian's docker-compose package, fetched with a private apt configuration (its
# own sources.list, lists and cache) by `apt-get download` and unpacked with `dpkg-deb -x`
# under ~/.cache/stackcheck (scripts/engines.sh does the fetching for every engine of the
# test bed; this script is the parity test's one entry point).
#
#   STACKCHECK_COMPOSE_V2=/path/to/docker-compose   use that binary instead
#
# Exits non-zero (with the reason on stderr) when no compose v2 can be had: the parity test
# then fails rather than skips.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ -n "${STACKCHECK_COMPOSE_V2:-}" ]]; then
  bin=$STACKCHECK_COMPOSE_V2
else
  bin=$(bash "$here/engines.sh" compose | tail -n 1)
fi
[[ -x "$bin" ]] || { echo "ensure-compose-v2: no executable compose at $bin" >&2; exit 1; }
version=$("$bin" version --short 2>/dev/null || true)
[[ "$version" == 2.* || "$version" == v2.* ]] || {
  echo "ensure-compose-v2: $bin is not compose v2 (version: ${version:-unknown})" >&2
  exit 1
}
echo "$bin"
