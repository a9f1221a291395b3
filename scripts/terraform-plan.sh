#!/usr/bin/env bash
# terraform init + validate + plan for one environment (the Makefile's `make plan ENV=dev`).
#
# Usage: scripts/terraform-plan.sh dev|staging|prod
# Needs network access (the Terraform registry for the AWS provider), AWS credentials that can
# read the S3 state bucket and DynamoDB lock table, and a terraform >= 1.10 binary on PATH
# (or TERRAFORM=/path/to/terraform). Values come from environments/<env>/<env>.tfvars when
# present, else example.tfvars. The plan is saved as environments/<env>/tfplan for `apply`.
set -euo pipefail

environments=(dev staging prod)
env_name="${1:-}"
if [[ ! " ${environments[*]} " =~ " ${env_name} " ]] || [[ -z "${env_name}" ]]; then
  echo "terraform-plan.sh: unknown environment '${env_name}'; expected one of: ${environments[*]}" >&2
  echo "usage: scripts/terraform-plan.sh dev|staging|prod   (make plan ENV=dev)" >&2
  exit 2
fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
env_dir="${repo_root}/terraform/environments/${env_name}"
terraform_bin="${TERRAFORM:-terraform}"
if ! command -v "${terraform_bin}" >/dev/null 2>&1; then
  echo "terraform-plan.sh: '${terraform_bin}' not found; install Terraform >= 1.10 or set TERRAFORM" >&2
  exit 127
fi

var_file="${env_dir}/${env_name}.tfvars"
if [[ ! -f "${var_file}" ]]; then
  var_file="${env_dir}/example.tfvars"
  echo "terraform-plan.sh: ${env_name}.tfvars not found, planning with example.tfvars" >&2
fi

export TF_IN_AUTOMATION=1
init_log="$(mktemp)"
trap 'rm -f "${init_log}"' EXIT

echo "== terraform init (${env_name})"
if ! "${terraform_bin}" -chdir="${env_dir}" init -input=false -no-color >"${init_log}" 2>&1; then
  cat "${init_log}" >&2
  if grep -qiE "registry\.terraform\.io|failed to (query|install|download)|could not connect|no such host|dial tcp|i/o timeout|connection refused" "${init_log}"; then
    echo "terraform-plan.sh: cannot reach the Terraform registry (provider download) or the AWS" \
      "state backend. This step needs network access; offline, run the checks that need none:" \
      "pytest tests/terraform and scripts/checkov.sh." >&2
  elif grep -qiE "credential|NoCredentialProviders|AccessDenied|ExpiredToken" "${init_log}"; then
    echo "terraform-plan.sh: the S3 state backend refused the AWS credentials; set AWS_PROFILE" \
      "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for the ${env_name} account." >&2
  fi
  exit 1
fi
cat "${init_log}"

echo "== terraform validate (${env_name})"
"${terraform_bin}" -chdir="${env_dir}" validate

echo "== terraform plan (${env_name})"
"${terraform_bin}" -chdir="${env_dir}" plan -input=false -var-file="${var_file}" -out=tfplan
