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
if [[ "$(id -u)" != "0" ]] && ! command -v sudo >/dev/null 2>&1; then
  echo "ensure_prometheus: prometheus is missing; installing it needs root (apt-get)" >&2
  exit 1
fi
SUDO=""
[[ "$(id -u)" == "0" ]] || SUDO="sudo"
echo "ensure_prometheus: installing prometheus with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
made_policy=""
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
trap '[[ -n "$made_policy" ]] && $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
# Another apt-get may hold the lock (parallel CI steps): wait for it rather than fail.
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends prometheus \
  >/dev/null
if ! command -v promtool >/dev/null 2>&1 || [[ ! -x /usr/bin/prometheus ]]; then
  echo "ensure_prometheus: apt-get finished but promtool or /usr/bin/prometheus is missing" >&2
  exit 1
fi
