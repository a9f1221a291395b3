"""Prometheus metrics of the API, kept in a registry of their own per app instance.

A registry per app (not the global one) lets tests build many apps in one process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.registry import Collector

__all__ = ["ApiMetrics"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class ApiMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "quantis_api_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "quantis_api_request_latency_seconds",
            "Seconds to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.model_server_calls = Counter(
            "quantis_api_model_server_calls",
            "Calls to the model server, by outcome (ok, rejected, unavailable).",
            ["outcome"],
            registry=self.registry,
        )
        self.forecasts = Counter(
            "quantis_api_forecasts",
            "Series forecasts served and stored, by dataset and model version.",
            ["dataset", "model_version"],
            registry=self.registry,
        )

    def watch(self, collector: Collector) -> None:
        """Add a collector read at every scrape (once: a second call is ignored)."""
        if getattr(self, "_watched", None) is None:
            self.registry.register(collector)
            self._watched = collector

    def render(self) -> bytes:
        return generate_latest(self.registry)
