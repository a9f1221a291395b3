"""The NetworkPolicy evaluator on the cases the API reference spells out, so that the
manifest tests built on it (kubernetes/test_network_policies.py) rest on the real semantics."""

from network_policy import Endpoint, PolicySet, selector_matches

WEB = Endpoint("web", "shop", {"app": "web"}, ports={"http": (8080, "TCP")})
DB = Endpoint("db", "shop", {"app": "db"}, ports={"5432": (5432, "TCP")})
SCRAPER = Endpoint("scraper", "monitoring", {"app": "prometheus"})
STRANGER = Endpoint("stranger", "other", {"app": "prometheus"})
SITE = Endpoint("site", ip="93.184.216.34", ports={"443": (443, "TCP")})
METADATA = Endpoint("metadata", ip="169.254.169.254", ports={"80": (80, "TCP")})
NAMESPACES = {"shop": {}, "monitoring": {"team": "sre"}, "other": {}}


def _policy(name, spec, namespace="shop"):
    return {"metadata": {"name": name, "namespace": namespace}, "spec": spec}


def _set(*policies):
    return PolicySet(list(policies), {k: dict(v) for k, v in NAMESPACES.items()})


DENY_ALL = _policy("deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})


def test_without_policies_everything_is_allowed():
    assert _set().allows(WEB, DB, 5432) and _set().allows(STRANGER, WEB, 8080)


def test_default_deny_blocks_both_directions_but_not_other_namespaces():
    policies = _set(DENY_ALL)
    assert not policies.allows(WEB, DB, 5432)
    assert not policies.allows(STRANGER, WEB, 8080)
    assert policies.allows(SCRAPER, STRANGER, 9090)  # namespaces without policies: no rules
    assert not policies.allows(WEB, SITE, 443)


def test_a_rule_opens_one_path_and_the_other_side_must_agree():
    egress = _policy("web-out", {
        "podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "db"}}}],
                    "ports": [{"port": 5432}]}],
    })  # fmt: skip
    ingress = _policy("db-in", {
        "podSelector": {"matchLabels": {"app": "db"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
    })  # fmt: skip
    assert not _set(DENY_ALL, egress).allows(WEB, DB, 5432)  # db still isolated
    assert _set(DENY_ALL, egress, ingress).allows(WEB, DB, 5432)
    assert not _set(DENY_ALL, egress, ingress).allows(WEB, DB, 5433)
    assert not _set(DENY_ALL, egress, ingress).allows(DB, WEB, 8080)


def test_namespace_and_pod_selectors_in_one_peer_are_anded_and_peers_ored():
    anded = _policy("and", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"from": [
        {"namespaceSelector": {"matchLabels": {"team": "sre"}},
         "podSelector": {"matchLabels": {"app": "prometheus"}}}]}]})  # fmt: skip
    ored = _policy("or", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"from": [
        {"namespaceSelector": {"matchLabels": {"team": "sre"}}},
        {"podSelector": {"matchLabels": {"app": "prometheus"}}}]}]})  # fmt: skip
    assert _set(anded).allows(SCRAPER, WEB, 8080)
    assert not _set(anded).allows(STRANGER, WEB, 8080)  # right pod label, wrong namespace
    assert _set(ored).allows(SCRAPER, WEB, 8080)
    # A bare podSelector peer means pods of the policy's own namespace only.
    assert not _set(ored).allows(STRANGER, WEB, 8080)


def test_named_ports_resolve_against_the_destination_pod():
    named = _policy("named", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
        {"ports": [{"port": "http"}]}]})  # fmt: skip
    assert _set(named).allows(SCRAPER, WEB, 8080)
    assert not _set(named).allows(SCRAPER, WEB, 8081)


def test_ip_blocks_with_exceptions_and_protocols():
    out = _policy("out", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}}],
         "ports": [{"port": 443}, {"port": 80}]},
        {"ports": [{"protocol": "UDP", "port": 53}]}]})  # fmt: skip
    policies = _set(out)
    assert policies.allows(WEB, SITE, 443)
    assert not policies.allows(WEB, METADATA, 80)
    assert not policies.allows(WEB, DB, 443)  # pods never match an ipBlock here
    assert policies.allows(WEB, DB, 53, "UDP") and not policies.allows(WEB, DB, 53, "TCP")


def test_policy_types_default_from_the_rules_present():
    ingress_only = _policy("in", {"podSelector": {}, "ingress": []})
    assert not _set(ingress_only).allows(WEB, DB, 5432)
    assert _set(ingress_only).allows(WEB, SITE, 443)  # egress not isolated


def test_selector_expressions():
    labels = {"tier": "api", "env": "prod"}
    assert selector_matches({"matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["api", "web"]},
        {"key": "env", "operator": "NotIn", "values": ["dev"]},
        {"key": "env", "operator": "Exists"},
        {"key": "legacy", "operator": "DoesNotExist"}]}, labels)  # fmt: skip
    assert not selector_matches({"matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["web"]}]}, labels)  # fmt: skip
    assert selector_matches({}, labels) and selector_matches(None, {})


def test_reachable_lists_every_open_port():
    assert _set(DENY_ALL).reachable([WEB, DB], [WEB, DB, SITE]) == set()
    assert ("web", "db", 5432, "TCP") in _set().reachable([WEB], [DB])
