#!/usr/bin/env bash
# The one test command (README, .ci/run): engine, fixture images, types, lint, then every
# suite against the machine's engine, then the engine-facing suites against each engine of
# the test bed that users run (scripts/engines.sh: Docker 28, Docker 26, Podman 5, each in a
# network namespace of its own). Extra arguments go to vitest, and then only the main pass runs.
#
#   STACKCHECK_TEST_ENGINES  the engines of the extra passes (default: "docker28 docker26 podman5";
#                            empty: none)
#   STACKCHECK_ENGINE_PASS   "full": every engine runs the whole engine-facing set (about 7 min
#                            each), not the short one that keeps `npm test` near 20 minutes
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-docker.sh
bash scripts/ensure-compose.sh
bash scripts/ensure-chromium.sh
bash scripts/build-fixture-images.sh

# What this script started is stopped at the end, newest first, so that the machine is left
# as found.
cleanup=()
on_exit() {
  local i
  for ((i = ${#cleanup[@]} - 1; i >= 0; i--)); do eval "${cleanup[i]}" || true; done
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The test bed's second machine (a dockerd in a network namespace, reached over tcp, ssh and
# Podman's socket): started here unless it already runs. Without root its tests report
# skipped, with the reason.
if [ "$(id -u)" -eq 0 ] && ! grep -q '^STACKCHECK_NODE2_TCP=' <<<"$(bash scripts/second-engine.sh env)"; then
  cleanup+=('bash scripts/second-engine.sh stop --purge')
  echo "starting the second engine (scripts/second-engine.sh)" >&2
  # In CI a test bed that does not start, or starts without one of its transports (ssh, Podman),
  # is a failure, not a row of skipped tests.
  bed=$(bash scripts/second-engine.sh start) || [ -z "${CI:-}" ]
  if [ -n "${CI:-}" ] && grep '_ABSENT=' <<<"$bed" >&2; then
    echo "the test bed lacks a transport (above); CI tests every one" >&2
    exit 1
  fi
fi

# The engines users run, for the extra passes (and the conformance suite, which reaches every
# engine that answers). In CI an engine that cannot be set up is a failure; elsewhere the
# passes it would have run are left out, and the end of the run says so.
read -r -a engines <<<"${STACKCHECK_TEST_ENGINES-docker28 docker26 podman5}"
[ $# -eq 0 ] || engines=()
engine_env=
if [ "${#engines[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "the engines of the extra passes (${engines[*]}) need root: left out" >&2
    [ -z "${CI:-}" ] || exit 1
    engines=()
  else
    running=$(bash scripts/engines.sh env)
    for e in "${engines[@]}"; do
      grep -q "^STACKCHECK_ENGINE_${e^^}=" <<<"$running" || cleanup+=("bash scripts/engines.sh stop --purge $e")
    done
    echo "starting the engines ${engines[*]} (scripts/engines.sh)" >&2
    if ! engine_env=$(bash scripts/engines.sh start "${engines[@]}"); then
      echo "the engines ${engines[*]} could not be set up (above)" >&2
      [ -z "${CI:-}" ] || exit 1
      engines=()
    fi
  fi
fi

echo "typecheck and lint" >&2
npx tsc --noEmit
npx eslint --max-warnings 0 .
npx prettier --check --log-level warn .

status=0
echo "main pass: every suite on the machine's engine" >&2
npx vitest run --reporter=default --reporter=./test/support/closing-line.ts "$@" || status=1

# The suites that meet the engine: examples, transports (through the second machine), bring-up
# and teardown. Timed on Docker 28 here (2 CPUs, a busy machine): examples-seeds 3.6 min,
# attach 0.8, seed-000 0.7, checks-network 0.4, spine 0.45, two-machines 0.45, transports 0.3,
# failover 0.2, in-container 0.15; the full set about 7 min an engine. The short sets keep
# `npm test` near 20 minutes (main pass about 13): the seeds' examples, bring-up, the
# in-container job and every transport on Docker 28, the current Docker (about 4.5 min); on the
# others, bring-up, the network-checks example, the in-container job and the transports (about
# 1.7 min each). STACKCHECK_ENGINE_PASS=full runs the full set everywhere.
I=test/integration
FULL=("$I/examples-seeds.test.ts" "$I/spine.test.ts" "$I/attach.test.ts" "$I/checks-network.test.ts"
  "$I/failover.test.ts" "$I/in-container.test.ts" "$I/transports.test.ts" "$I/two-machines.test.ts"
  "$I/seed-000.test.ts")
engine_files() {
  if [ "${STACKCHECK_ENGINE_PASS:-}" = full ]; then
    echo "${FULL[@]}"
    return
  fi
  case $1 in
    docker28) echo "$I/examples-seeds.test.ts $I/spine.test.ts $I/in-container.test.ts $I/transports.test.ts" ;;
    *) echo "$I/spine.test.ts $I/checks-network.test.ts $I/in-container.test.ts $I/transports.test.ts" ;;
  esac
}
var() { sed -n "s/^STACKCHECK_ENGINE_$1=//p" <<<"$engine_env"; }
# The short passes share nothing but the second machine (each its own engine, namespace and
# suite names), so they run side by side; each one's output is kept and shown whole when it
# ends. The full set holds tests that take the second machine for themselves (two-machines
# removes images there to see them carried), so its passes run one after another.
logs=$(mktemp -d)
cleanup+=("rm -rf '$logs'")
pids=()
for e in "${engines[@]}"; do
  name=${e^^}
  ns=$(var "${name}_NETNS")
  read -r -a files <<<"$(engine_files "$e")"
  echo "engine pass: $e ($(var "$name"), namespace $ns): ${files[*]#"$I/"}" >&2
  # In the engine's namespace, where the ports it publishes are bound; the second machine
  # reaches the runner's engine at the namespace's address.
  (ip netns exec "$ns" env DOCKER_HOST="$(var "$name")" STACKCHECK_NODE2_PEER="$(var "${name}_ADDRESS")" \
    npx vitest run --project integration --reporter=default --reporter=./test/support/closing-line.ts \
    "${files[@]}" >"$logs/$e.log" 2>&1 && touch "$logs/$e.passed") &
  pids+=("$!")
  if [ "${STACKCHECK_ENGINE_PASS:-}" = full ]; then wait "$!" || true; fi
done
wait "${pids[@]}" 2>/dev/null || true
for e in "${engines[@]}"; do
  if [ -e "$logs/$e.passed" ]; then result=passed; else result=FAILED status=1; fi
  echo "===== engine pass $e: $result" >&2
  cat "$logs/$e.log" >&2
done
exit "$status"
