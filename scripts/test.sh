#!/usr/bin/env bash
# The README's test command: install what is missing, then lint and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/ensure_browser.sh  # Debian's chromium for the browser tests, when missing
scripts/ensure_container_tools.sh  # podman, docker-compose, debootstrap, nginx (tests/deploy)
scripts/ensure_prometheus.sh  # promtool and Prometheus for deploy/monitoring (tests/deploy/monitoring)

export DAGSTER_DISABLE_TELEMETRY=1 MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true OMP_WAIT_POLICY=PASSIVE \
  BENTOML_DO_NOT_TRACK=true GX_ANALYTICS_ENABLED=false

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "test: pytest collected no tests — treating that as a failure" >&2
  exit 1
fi
exit "$status"
