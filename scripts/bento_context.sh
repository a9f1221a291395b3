#!/usr/bin/env bash
# Usage: scripts/bento_context.sh BENTO_TAG OUT_DIR
# Exports a built Bento, its models included, into OUT_DIR: the build context of
# deploy/docker/model-server/Dockerfile. (The Bento store keeps models apart from the Bento;
# `bentoml export` puts them back together.) Honours BENTOML_HOME like bentoml itself.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 BENTO_TAG OUT_DIR" >&2; exit 2; }
tag="$1" out="$2"
bentoml="${BENTOML:-$(command -v bentoml || echo "$(dirname "$0")/../.venv/bin/bentoml")}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
BENTOML_DO_NOT_TRACK=true "$bentoml" export "$tag" "$scratch/bento.tar" >/dev/null
rm -rf "$out"
mkdir -p "$out"
tar -C "$out" -xf "$scratch/bento.tar"
echo "$out"
