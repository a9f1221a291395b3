#!/usr/bin/env bash
# Roll a release (the images CI pushed, tagged with the git sha) out to one environment:
#   1. `kustomize edit set image` of every Quantis image in the environment's overlay,
#   2. `kubectl apply -k` of that overlay,
#   3. `kubectl rollout status` of every Deployment; on a failure `kubectl rollout undo` of
#      each Deployment this run changed, and exit non-zero,
#   4. the Dagster code location through the official chart (`helm upgrade --atomic`, which
#      rolls itself back on failure), when deploy/helm/dagster-values.yaml exists.
# `--promote-only` instead copies the release's images from SOURCE_REGISTRY to REGISTRY by
# digest (`docker buildx imagetools create`), so production runs what staging tested.
#
# Environment: REGISTRY (<ecr registry>/<repository prefix>), RELEASE (the image tag);
# ENVIRONMENT_DIR (the kustomize overlay) and CLUSTER (EKS cluster name, empty = the current
# kubectl context) to roll out; SOURCE_REGISTRY to promote. KUBERNETES_NAMESPACE (default
# quantis), ROLLOUT_TIMEOUT (default 600s), DAGSTER_CHART_VERSION for the chart.
set -euo pipefail

IMAGES=(quantis/api quantis/frontend quantis/model-server quantis/dagster quantis/mlflow)
# Deployment names of the Kubernetes manifests (deploy/kubernetes/base).
DEPLOYMENTS=(backend-deployment frontend-deployment model-deployment)
NAMESPACE="${KUBERNETES_NAMESPACE:-quantis}"
TIMEOUT="${ROLLOUT_TIMEOUT:-600s}"
: "${REGISTRY:?set REGISTRY to <ecr registry>/<repository prefix>}"
: "${RELEASE:?set RELEASE to the image tag (the git sha)}"

if [[ "${1:-}" == "--promote-only" ]]; then
  : "${SOURCE_REGISTRY:?set SOURCE_REGISTRY to the registry/prefix to promote from}"
  for image in "${IMAGES[@]}"; do
    for suffix in "" $([[ "$image" == quantis/model-server ]] && echo "-gpu"); do
      docker buildx imagetools create \
        --tag "$REGISTRY/$image:$RELEASE$suffix" "$SOURCE_REGISTRY/$image:$RELEASE$suffix"
    done
  done
  exit 0
fi

: "${ENVIRONMENT_DIR:?set ENVIRONMENT_DIR to the kustomize overlay to apply}"
if [[ -n "${CLUSTER:-}" ]]; then
  aws eks update-kubeconfig --name "$CLUSTER" >/dev/null
fi

(
  cd "$ENVIRONMENT_DIR"
  for image in "${IMAGES[@]}"; do
    kustomize edit set image "$image=$REGISTRY/$image:$RELEASE"
  done
)

# What each Deployment ran before, so a failed rollout is undone only where this run changed it.
declare -A before=()
for deployment in "${DEPLOYMENTS[@]}"; do
  before[$deployment]="$(kubectl -n "$NAMESPACE" get deployment "$deployment" \
    -o jsonpath='{.metadata.generation}' 2>/dev/null || echo none)"
done

kubectl apply -k "$ENVIRONMENT_DIR"

failed=()
for deployment in "${DEPLOYMENTS[@]}"; do
  if ! kubectl -n "$NAMESPACE" rollout status "deployment/$deployment" --timeout="$TIMEOUT"; then
    failed+=("$deployment")
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "deploy: rollout failed for ${failed[*]}; undoing this release" >&2
  for deployment in "${DEPLOYMENTS[@]}"; do
    now="$(kubectl -n "$NAMESPACE" get deployment "$deployment" -o jsonpath='{.metadata.generation}')"
    if [[ "${before[$deployment]}" != "none" && "$now" != "${before[$deployment]}" ]]; then
      kubectl -n "$NAMESPACE" rollout undo "deployment/$deployment"
      kubectl -n "$NAMESPACE" rollout status "deployment/$deployment" --timeout="$TIMEOUT" || true
    fi
  done
  exit 1
fi

values="deploy/helm/dagster-values.yaml"
if [[ -f "$values" ]]; then
  helm repo add dagster https://dagster-io.github.io/helm >/dev/null
  helm upgrade --install quantis-dagster dagster/dagster \
    --namespace "$NAMESPACE" --version "${DAGSTER_CHART_VERSION:?set DAGSTER_CHART_VERSION}" \
    --values "$values" \
    --set-string "dagster-user-deployments.deployments[0].image.repository=$REGISTRY/quantis/dagster" \
    --set-string "dagster-user-deployments.deployments[0].image.tag=$RELEASE" \
    --atomic --timeout "$TIMEOUT"
fi
echo "deploy: release $RELEASE rolled out to $NAMESPACE"
