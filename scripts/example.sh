#!/usr/bin/env bash
# The README's first command: on a fresh machine, get an engine, the fixture images and the
# CLI, then run the quickstart example end to end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
bash scripts/ensure-docker.sh
bash scripts/build-fixture-images.sh
[ -f dist/cli.js ] || npm run -s build
exec node dist/cli.js run "${1:-examples/quickstart/stackcheck.yml}"
