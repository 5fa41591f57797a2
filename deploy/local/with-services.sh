#!/usr/bin/env bash
# Run a command with real PostgreSQL and Kafka available: start whichever is not already
# running, and stop (only) what this script started, whatever the command's outcome.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export SSJ_PG_PORT="${SSJ_PG_PORT:-55432}" SSJ_KAFKA_PORT="${SSJ_KAFKA_PORT:-9092}"
export SSJ_TEST_PG="postgresql://postgres@127.0.0.1:${SSJ_PG_PORT}"
export SSJ_TEST_KAFKA="127.0.0.1:${SSJ_KAFKA_PORT}"

cleanup() {
  "$here/kafka.sh" stop || true
  "$here/postgres.sh" stop || true
}
trap cleanup EXIT
"$here/postgres.sh" start
"$here/kafka.sh" start
"$@"
