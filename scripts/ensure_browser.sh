#!/usr/bin/env bash
# Installs Debian's chromium for the web page's browser tests when it is missing.
# Idempotent: does nothing when the browser is already there. Test tools' own browser
# downloads cannot reach their servers from this machine, so the distribution package is used.
set -euo pipefail

BROWSER="${QUANTIS_CHROMIUM:-/usr/bin/chromium}"

if [[ -x "$BROWSER" ]]; then
  exit 0
fi
"$(dirname "$0")/apt_install_quietly.sh" ensure_browser chromium fonts-dejavu-core
if [[ ! -x "$BROWSER" ]]; then
  echo "ensure_browser: apt-get finished but $BROWSER is still missing" >&2
  exit 1
fi
