"""terraform/modules/network: zones, NAT, flow logs and who may talk to whom."""

from __future__ import annotations

import pytest
from tfconfig import ENVIRONMENTS, environment, module, module_input

EXPECTED_SINGLE_NAT = {"dev": True, "staging": True, "prod": False}


def test_subnets_span_exactly_three_availability_zones() -> None:
    network = module("network")
    [validation] = network.variables()["availability_zones"]["validation"]
    assert "length(var.availability_zones) == 3" in validation["condition"]
    for kind in ("public", "private"):
        assert network.resources("aws_subnet")[kind]["count"] == "${local.zone_count}"
    for environment_name in ENVIRONMENTS:
        zones = environment(environment_name).variables()["availability_zones"]["default"]
        assert len(set(zones)) == 3


@pytest.mark.parametrize("environment_name", ENVIRONMENTS)
def test_prod_has_a_nat_gateway_per_zone_and_the_others_share_one(environment_name: str) -> None:
    assert (
        module_input(environment_name, "network", "single_nat_gateway")
        is (EXPECTED_SINGLE_NAT[environment_name])
    )
    network = module("network")
    assert network.locals()["nat_count"] == "${var.single_nat_gateway ? 1 : local.zone_count}"
    assert network.resources("aws_nat_gateway")["this"]["count"] == "${local.nat_count}"


def test_flow_logs_capture_all_traffic_into_an_encrypted_log_group() -> None:
    network = module("network")
    flow_log = network.resources("aws_flow_log")["this"]
    assert flow_log["traffic_type"] == "ALL"
    assert flow_log["vpc_id"] == "${aws_vpc.this.id}"
    assert flow_log["log_destination"] == "${aws_cloudwatch_log_group.flow_logs.arn}"
    log_group = network.resources("aws_cloudwatch_log_group")["flow_logs"]
    assert log_group["kms_key_id"] == "${var.logs_kms_key_arn}"


def test_database_accepts_postgres_from_the_cluster_only() -> None:
    database = module("network").resources("aws_security_group")["database"]
    [ingress] = database["ingress"]
    assert (ingress["from_port"], ingress["to_port"], ingress["protocol"]) == (5432, 5432, "tcp")
    assert ingress["security_groups"] == ["${aws_security_group.cluster.id}"]
    assert "cidr_blocks" not in ingress
    assert "egress" not in database


def test_only_the_load_balancer_is_open_to_the_internet_and_only_on_https() -> None:
    network = module("network")
    open_ingress = []
    for name, group in network.resources("aws_security_group").items():
        for rule in group.get("ingress", []):
            if "cidr_blocks" in rule:
                open_ingress.append((name, rule["from_port"], rule["to_port"]))
    for name, rule in network.resources("aws_security_group_rule").items():
        if rule["type"] == "ingress" and "cidr_blocks" in rule:
            open_ingress.append((name, rule["from_port"], rule["to_port"]))
    assert open_ingress == [("load_balancer", 443, 443)]


def test_default_security_group_is_stripped() -> None:
    default = module("network").resources("aws_default_security_group")["this"]
    assert "ingress" not in default
    assert "egress" not in default
