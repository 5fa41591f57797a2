#!/usr/bin/env bash
# make test: lint, then the whole pytest suite against real PostgreSQL and real Kafka.
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
make --no-print-directory lint
deploy/local/with-services.sh .venv/bin/python -m pytest -q -p no:randomly "$@"
echo "make test wall time: $(( $(date +%s) - started ))s"
