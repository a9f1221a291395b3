#!/usr/bin/env bash
# Build the web page (frontend/dist) for the local stack, when Node is available and the build
# is missing or older than its sources. The API serves frontend/dist at `/`.
set -euo pipefail
cd "$(dirname "$0")/../frontend"

if ! command -v npm >/dev/null 2>&1; then
  echo "build_frontend: npm not found; the API and pipeline run without the web page" >&2
  exit 0
fi
stamp=node_modules/.quantis-lock-sha256  # the same stamp tests/frontend/npm_project.py keeps
lock_sha=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$lock_sha" ]]; then
  echo "build_frontend: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sha" > "$stamp"
fi
newest_source=$(find src index.html vite.config.ts package.json -newer dist/index.html 2>/dev/null | head -n 1 || true)
if [[ ! -f dist/index.html || -n "$newest_source" ]]; then
  echo "build_frontend: npm run build" >&2
  npm run build --silent
fi
