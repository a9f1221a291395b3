"""A small evaluator of Kubernetes NetworkPolicies (networking.k8s.io/v1), for tests.

It answers "may `source` open a connection to `destination` on `port`?" the way the API
reference defines it: a pod is isolated in a direction once any policy of its namespace
selects it for that direction, and then only the union of those policies' rules lets
traffic through; a connection needs the source's egress and the destination's ingress.
Peers: `podSelector` alone means pods of the policy's namespace, `namespaceSelector` alone
every pod of the matching namespaces, both together the matching pods of the matching
namespaces (an AND within one peer, an OR between peers); `ipBlock` matches addresses
outside the cluster (the reference leaves pod addresses to the implementation; this model
treats pods as never matching an ipBlock). Named ports resolve against the destination
pod's container ports. What it does not model: SCTP, traffic a node itself originates.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Endpoint", "PolicySet", "selector_matches"]


@dataclass(frozen=True)
class Endpoint:
    """A pod (namespace set) or an address outside the cluster (namespace None)."""

    name: str
    namespace: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    ip: str = "10.244.0.1"
    # Container ports: name -> (port, protocol); unnamed ones under their number.
    ports: Mapping[str, tuple[int, str]] = field(default_factory=dict)

    def listening(self) -> set[tuple[int, str]]:
        return set(self.ports.values())


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A LabelSelector against labels; an empty selector matches everything."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = set(expression.get("values") or [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ValueError(f"unknown selector operator {operator!r}")
    return True


def _in_block(block: Mapping[str, Any], ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    if address not in ipaddress.ip_network(block["cidr"]):
        return False
    return not any(address in ipaddress.ip_network(cidr) for cidr in block.get("except") or [])


def _port_matches(rules: list[dict] | None, port: int, protocol: str, target: Endpoint) -> bool:
    if not rules:
        return True  # no ports: every port
    for rule in rules:
        if rule.get("protocol", "TCP") != protocol:
            continue
        wanted = rule.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            named = target.ports.get(wanted)
            if named is not None and named == (port, protocol):
                return True
            continue
        if wanted == port or (rule.get("endPort") and wanted <= port <= rule["endPort"]):
            return True
    return False


@dataclass
class PolicySet:
    """NetworkPolicies of some namespaces plus every namespace's labels."""

    policies: list[dict[str, Any]]
    namespace_labels: dict[str, dict[str, str]]

    def __post_init__(self) -> None:
        for name, labels in self.namespace_labels.items():
            labels.setdefault("kubernetes.io/metadata.name", name)

    def _peer_matches(self, peer: Mapping[str, Any], home: str, endpoint: Endpoint) -> bool:
        if "ipBlock" in peer:
            return endpoint.namespace is None and _in_block(peer["ipBlock"], endpoint.ip)
        if endpoint.namespace is None:
            return False
        if "namespaceSelector" in peer:
            namespace = self.namespace_labels[endpoint.namespace]
            if not selector_matches(peer["namespaceSelector"], namespace):
                return False
        elif endpoint.namespace != home:
            return False
        return "podSelector" not in peer or selector_matches(peer["podSelector"], endpoint.labels)

    def _selecting(self, endpoint: Endpoint, direction: str) -> list[dict[str, Any]]:
        chosen = []
        for policy in self.policies:
            spec = policy["spec"]
            types = spec.get("policyTypes") or (
                ["Ingress", "Egress"] if "egress" in spec else ["Ingress"]
            )
            if (
                policy["metadata"]["namespace"] == endpoint.namespace
                and direction in types
                and selector_matches(spec.get("podSelector"), endpoint.labels)
            ):
                chosen.append(policy)
        return chosen

    def _direction_allows(
        self, direction: str, subject: Endpoint, other: Endpoint, target: Endpoint,
        port: int, protocol: str,
    ) -> bool:  # fmt: skip
        """Whether the policies selecting `subject` in `direction` admit `other`."""
        if subject.namespace is None:
            return True  # nothing outside the cluster is policed here
        selecting = self._selecting(subject, direction)
        if not selecting:
            return True  # not isolated in this direction
        rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        for policy in selecting:
            home = policy["metadata"]["namespace"]
            for rule in policy["spec"].get(rules_key) or []:
                peers = rule.get(peers_key)
                peer_ok = not peers or any(self._peer_matches(p, home, other) for p in peers)
                if peer_ok and _port_matches(rule.get("ports"), port, protocol, target):
                    return True
        return False

    def allows(self, source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP"):
        """True when a connection from `source` to `destination`:`port` is let through."""
        return self._direction_allows(
            "Egress", source, destination, destination, port, protocol
        ) and self._direction_allows("Ingress", destination, source, destination, port, protocol)

    def reachable(
        self, sources: Iterable[Endpoint], destinations: Iterable[Endpoint]
    ) -> set[tuple[str, str, int, str]]:
        """Every (source, destination, port, protocol) allowed to a port the destination
        listens on."""
        destinations = list(destinations)
        return {
            (source.name, destination.name, port, protocol)
            for source in sources
            for destination in destinations
            if source.name != destination.name
            for port, protocol in destination.listening()
            if self.allows(source, destination, port, protocol)
        }
