#!/usr/bin/env bash
# Installs Debian's chromium for the web page's browser tests when it is missing.
# Idempotent: does nothing when the browser is already there. Test tools' own browser
# downloads cannot reach their servers from this machine, so the distribution package is used.
set -euo pipefail

BROWSER="${QUANTIS_CHROMIUM:-/usr/bin/chromium}"

if [[ -x "$BROWSER" ]]; then
  exit 0
fi
if [[ "$(id -u)" != "0" ]] && ! command -v sudo >/dev/null 2>&1; then
  echo "ensure_browser: $BROWSER is missing and installing it needs root (apt-get install chromium)" >&2
  exit 1
fi
SUDO=""
[[ "$(id -u)" == "0" ]] || SUDO="sudo"

echo "ensure_browser: installing chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
if [[ ! -x "$BROWSER" ]]; then
  echo "ensure_browser: apt-get finished but $BROWSER is still missing" >&2
  exit 1
fi
