#!/usr/bin/env bash
# Installs Debian's Prometheus when missing: `promtool` checks and unit-tests the rules of
# deploy/monitoring/, and the real-Prometheus test starts `/usr/bin/prometheus` itself on a free
# loopback port. The package's own service is never started during the install (policy-rc.d
# answers 101), so nothing binds :9090 on this machine.
# Idempotent: a second run finds both commands and installs nothing.
set -euo pipefail

if command -v promtool >/dev/null 2>&1 && [[ -x /usr/bin/prometheus ]]; then
  exit 0
fi
"$(dirname "$0")/apt_install_quietly.sh" ensure_prometheus prometheus
if ! command -v promtool >/dev/null 2>&1 || [[ ! -x /usr/bin/prometheus ]]; then
  echo "ensure_prometheus: apt-get finished but promtool or /usr/bin/prometheus is missing" >&2
  exit 1
fi
