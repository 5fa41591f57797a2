#!/usr/bin/env bash
# Run a command with real PostgreSQL and Kafka available: start whichever is not already
# running, and stop (only) what this invocation started, whatever the command's outcome.
# Services that were up before (`make services-up`, a developer's own) are left running.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export SSJ_PG_PORT="${SSJ_PG_PORT:-55432}" SSJ_KAFKA_PORT="${SSJ_KAFKA_PORT:-9092}"
export SSJ_TEST_PG="postgresql://postgres@127.0.0.1:${SSJ_PG_PORT}"
export SSJ_TEST_KAFKA="127.0.0.1:${SSJ_KAFKA_PORT}"

listening() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
started=()
cleanup() {
  local service
  for service in ${started[@]+"${started[@]}"}; do
    "$here/$service.sh" stop || true
  done
}
trap cleanup EXIT
if ! listening "$SSJ_PG_PORT"; then
  started+=(postgres)
fi
"$here/postgres.sh" start
if ! listening "$SSJ_KAFKA_PORT"; then
  started=(kafka ${started[@]+"${started[@]}"})  # stopped first, as before
fi
"$here/kafka.sh" start
"$@"
