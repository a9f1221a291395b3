"""terraform/modules/compute: the EKS cluster and the node pools the orchestration relies on."""

from __future__ import annotations

import pytest
from tfconfig import ENVIRONMENTS, environment, module, module_input

from core.settings import load_settings

SUPPORTED_KUBERNETES_VERSION = "1.34"
# EKS API spelling of the Kubernetes effect the training pod tolerates (NoSchedule).
NO_SCHEDULE = "NO_SCHEDULE"


def _node_group(name: str) -> dict:
    return module("compute").resources("aws_eks_node_group")[name]


def _local(expression_text: str) -> object:
    """Resolve a `${local.x}` attribute of the compute module to its literal value."""
    assert expression_text.startswith("${local.") and expression_text.endswith("}")
    return module("compute").locals()[expression_text[len("${local.") : -1]]


def test_gpu_node_group_is_spot_with_several_gpu_instance_types() -> None:
    gpu = _node_group("gpu")
    assert gpu["capacity_type"] == "SPOT"
    assert "NVIDIA" in gpu["ami_type"]
    assert gpu["instance_types"] == "${var.gpu_node_group.instance_types}"
    for environment_name in ENVIRONMENTS:
        types = module_input(environment_name, "compute", "gpu_node_group")["instance_types"]
        assert len(types) >= 2, environment_name
        assert all(kind.split(".")[0] in {"g4dn", "g5", "g6", "g6e", "p4d", "p5"} for kind in types)


def test_gpu_nodes_carry_the_label_the_training_pod_selects() -> None:
    labels = _local(_node_group("gpu")["labels"])
    assert load_settings().train_node_selector.items() <= labels.items()


def test_gpu_nodes_carry_the_taint_the_training_pod_tolerates() -> None:
    [taint] = _node_group("gpu")["taint"]
    taint_local = module("compute").locals()["gpu_taint"]
    assert taint == {
        "key": "${local.gpu_taint.key}",
        "value": "${local.gpu_taint.value}",
        "effect": "${local.gpu_taint.effect}",
    }
    assert taint_local["key"] == load_settings().train_gpu_toleration_key
    assert taint_local == {"key": "nvidia.com/gpu", "value": "present", "effect": NO_SCHEDULE}


def test_general_nodes_are_on_demand_and_untainted_so_other_pods_never_land_on_gpus() -> None:
    general = _node_group("general")
    assert general["capacity_type"] == "ON_DEMAND"
    assert "taint" not in general
    general_labels = _local(general["labels"])
    assert not load_settings().train_node_selector.items() <= general_labels.items()


def test_autoscaler_can_discover_both_groups_and_scale_gpu_from_zero() -> None:
    tags = module("compute").locals()
    discovery = tags["autoscaler_discovery_tags"]
    assert discovery["k8s.io/cluster-autoscaler/enabled"] == "true"
    for name in ("general", "gpu"):
        assert "local.autoscaler_discovery_tags" in _node_group(name)["tags"]

    template = tags["gpu_node_template_tags"]
    selector_key, selector_value = next(iter(load_settings().train_node_selector.items()))
    assert template[f"k8s.io/cluster-autoscaler/node-template/label/{selector_key}"] == (
        '${local.gpu_pool_label["quantis.io/pool"]}'
    )
    assert module("compute").locals()["gpu_pool_label"][selector_key] == selector_value
    toleration_key = load_settings().train_gpu_toleration_key
    assert template[f"k8s.io/cluster-autoscaler/node-template/taint/{toleration_key}"] == (
        "${local.gpu_taint.value}:NoSchedule"
    )
    assert template["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"] == "1"
    tag_resource = module("compute").resources("aws_autoscaling_group_tag")["gpu_node_template"]
    assert tag_resource["for_each"] == "${local.gpu_node_template_tags}"


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
def test_gpu_pool_scales_to_zero_between_trainings(environment_name: str) -> None:
    gpu = module_input(environment_name, "compute", "gpu_node_group")
    assert gpu["min_size"] == 0
    assert gpu["max_size"] >= 1


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
def test_cluster_runs_the_supported_kubernetes_version(environment_name: str) -> None:
    assert module_input(environment_name, "compute", "kubernetes_version") == (
        SUPPORTED_KUBERNETES_VERSION
    )
    cluster = module("compute").resources("aws_eks_cluster")["this"]
    assert cluster["version"] == "${var.kubernetes_version}"


def test_irsa_oidc_provider_trusts_the_cluster_issuer_for_sts() -> None:
    provider = module("compute").resources("aws_iam_openid_connect_provider")["this"]
    assert provider["url"] == "${aws_eks_cluster.this.identity[0].oidc[0].issuer}"
    assert provider["client_id_list"] == ["sts.amazonaws.com"]


def test_cluster_encrypts_secrets_and_keeps_the_api_private() -> None:
    cluster = module("compute").resources("aws_eks_cluster")["this"]
    [encryption] = cluster["encryption_config"]
    assert encryption["resources"] == ["secrets"]
    [vpc] = cluster["vpc_config"]
    assert vpc["endpoint_private_access"] is True
    assert module("compute").variables()["endpoint_public_access"]["default"] is False
    for environment_name in ENVIRONMENTS:
        assert (
            "endpoint_public_access" not in environment(environment_name).module_calls()["compute"]
        )


def test_nodes_require_imdsv2_and_encrypted_volumes() -> None:
    template = module("compute").resources("aws_launch_template")["node"]
    [metadata] = template["metadata_options"]
    assert metadata["http_tokens"] == "required"
    assert metadata["http_put_response_hop_limit"] == 1
    [device] = template["block_device_mappings"]
    [ebs] = device["ebs"]
    assert ebs["encrypted"] is True
    for name in ("general", "gpu"):
        [launch_template] = _node_group(name)["launch_template"]
        assert f'aws_launch_template.node["{name}"]' in launch_template["id"]
