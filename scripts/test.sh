#!/usr/bin/env bash
# The one test command (README, .ci/run): engine, fixture images, types, lint, then every
# suite against the real engine. Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-docker.sh
bash scripts/build-fixture-images.sh
echo "typecheck and lint" >&2
npx tsc --noEmit
npx eslint --max-warnings 0 .
npx prettier --check --log-level warn .
exec npx vitest run --reporter=default --reporter=./test/support/closing-line.ts "$@"
