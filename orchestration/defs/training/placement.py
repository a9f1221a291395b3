"""Where the training step runs on Kubernetes: the spot GPU node pool.

The `dagster-k8s/config` tag is read by the k8s_job_executor / K8sRunLauncher; on one
machine (in-process executor) it is ignored and the same step runs on the CPU. The label and
taint must match the GPU node group in `terraform/modules/compute`.
"""

from __future__ import annotations

import dagster as dg

from orchestration.compute import spot_pool_placement

__all__ = ["SPOT_RETRY_POLICY", "training_op_tags"]

# A spot preemption kills the step's pod; the step is retried on a fresh node instead of
# failing the run. Exponential backoff gives the autoscaler time to bring up capacity.
SPOT_RETRY_POLICY = dg.RetryPolicy(
    max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def training_op_tags(
    node_selector: dict[str, str], gpu_toleration_key: str, gpu_limit: int
) -> dict[str, object]:
    """Op tags that put the training pod on the GPU node pool with `gpu_limit` GPUs."""
    placement = spot_pool_placement(node_selector, gpu_toleration_key, gpu_limit)
    resources: dict[str, dict[str, str]] = {"requests": {"cpu": "2", "memory": "8Gi"}}
    pod_spec: dict[str, object] = {"node_selector": placement["node_selector"]}
    if placement["gpu_limits"]:
        resources["limits"] = placement["gpu_limits"]
        pod_spec["tolerations"] = placement["tolerations"]
    return {
        "dagster-k8s/config": {
            "container_config": {"resources": resources},
            "pod_spec_config": pod_spec,
        }
    }
