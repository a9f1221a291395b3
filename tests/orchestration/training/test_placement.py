from orchestration.defs.training.placement import SPOT_RETRY_POLICY, training_op_tags


def test_gpu_training_pod_lands_on_the_spot_gpu_pool():
    tags = training_op_tags({"quantis.io/pool": "gpu-spot"}, "nvidia.com/gpu", 1)
    config = tags["dagster-k8s/config"]
    assert config["pod_spec_config"]["node_selector"] == {"quantis.io/pool": "gpu-spot"}
    assert config["pod_spec_config"]["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert config["container_config"]["resources"]["limits"] == {"nvidia.com/gpu": "1"}


def test_cpu_only_training_requests_no_gpu():
    config = training_op_tags({"pool": "cpu"}, "nvidia.com/gpu", 0)["dagster-k8s/config"]
    assert "limits" not in config["container_config"]["resources"]
    assert "tolerations" not in config["pod_spec_config"]


def test_spot_preemption_is_retried():
    assert SPOT_RETRY_POLICY.max_retries >= 2
