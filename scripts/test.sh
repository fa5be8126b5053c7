#!/usr/bin/env bash
# The one test command (README, .ci/run): engine, fixture images, types, lint, then every
# suite against the real engine. Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-docker.sh
bash scripts/ensure-compose.sh
bash scripts/ensure-chromium.sh
bash scripts/build-fixture-images.sh
# The test bed's second machine (a dockerd in a network namespace, reached over tcp, ssh and
# Podman's socket): started here unless it already runs, and then stopped at the end, so that
# the machine is left as found. Without root its tests report skipped, with the reason.
if [ "$(id -u)" -eq 0 ] && ! grep -q '^STACKCHECK_NODE2_TCP=' <<<"$(bash scripts/second-engine.sh env)"; then
  trap 'bash scripts/second-engine.sh stop --purge' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  echo "starting the second engine (scripts/second-engine.sh)" >&2
  # In CI a test bed that does not start, or starts without one of its transports (ssh, Podman),
  # is a failure, not a row of skipped tests.
  bed=$(bash scripts/second-engine.sh start) || [ -z "${CI:-}" ]
  if [ -n "${CI:-}" ] && grep '_ABSENT=' <<<"$bed" >&2; then
    echo "the test bed lacks a transport (above); CI tests every one" >&2
    exit 1
  fi
fi
echo "typecheck and lint" >&2
npx tsc --noEmit
npx eslint --max-warnings 0 .
npx prettier --check --log-level warn .
npx vitest run --reporter=default --reporter=./test/support/closing-line.ts "$@"
