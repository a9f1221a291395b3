#!/usr/bin/env bash
# Static analysis of terraform/ with checkov, offline.
#
# checkov pins its own boto3/botocore, which would break the project's .venv, so it lives in
# its own virtualenv (.venv-checkov), created on first use and reused while its version matches.
#
# Usage: scripts/checkov.sh [extra checkov args...]
#   e.g. scripts/checkov.sh --output json      (machine-readable, used by tests/terraform)
# Exit status: checkov's (non-zero when a check fails).
set -euo pipefail

CHECKOV_VERSION="3.3.30"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${CHECKOV_VENV:-${repo_root}/.venv-checkov}"
python="${PYTHON:-python3}"

installed_version() {
  "${venv}/bin/python" -c 'import importlib.metadata as m; print(m.version("checkov"))' 2>/dev/null || true
}

if [[ ! -x "${venv}/bin/checkov" || "$(installed_version)" != "${CHECKOV_VERSION}" ]]; then
  echo "checkov.sh: installing checkov==${CHECKOV_VERSION} into ${venv}" >&2
  "${python}" -m venv "${venv}"
  "${venv}/bin/pip" install --quiet --disable-pip-version-check "checkov==${CHECKOV_VERSION}" >&2
fi

cd "${repo_root}"
# BC_SKIP_MAPPING and --skip-download keep checkov from calling the Prisma/Bridgecrew API;
# the policy set is the one bundled in the package.
export BC_SKIP_MAPPING=TRUE
exec "${venv}/bin/checkov" --config-file .checkov.yaml --skip-download "$@"
