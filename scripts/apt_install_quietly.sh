#!/usr/bin/env bash
# apt-get install for the ensure_* scripts: as root (or through sudo), without recommends,
# waiting for another apt-get's lock instead of failing, and never starting a service a
# package ships (policy-rc.d answers 101 while it runs; a policy-rc.d already present is left).
# Usage: scripts/apt_install_quietly.sh <caller name> <package>...
set -euo pipefail

caller="$1"
shift
if [[ "$(id -u)" != "0" ]] && ! command -v sudo >/dev/null 2>&1; then
  echo "${caller}: missing $*; installing it needs root (apt-get)" >&2
  exit 1
fi
SUDO=""
[[ "$(id -u)" == "0" ]] || SUDO="sudo"
echo "${caller}: installing $* with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
made_policy=""
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
trap 'if [[ -n "$made_policy" ]]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi' EXIT
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
