"""Prometheus metrics of the model server, labelled with the dataset and the model name and
version served for it (one server serves many datasets).

BentoML serves `/metrics` from a multiprocess registry whose folder it sets in each worker
after importing the service module, so the metrics are created on first use, not at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["ServerMetrics", "server_metrics"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
_LABELS = ("dataset", "model_name", "model_version")


@dataclass(frozen=True)
class ServerMetrics:
    requests: Any  # Counter: forecast requests by outcome
    latency: Any  # Histogram: seconds per forecast request
    batch_requests: Any  # Histogram: requests predicted together in one model call
    batch_series: Any  # Histogram: series predicted together in one model call
    model_info: Any  # Gauge: 1 for each dataset's model this server serves


@lru_cache(maxsize=1)
def server_metrics() -> ServerMetrics:
    """The metric objects, created once per worker process."""
    from prometheus_client import Counter, Gauge, Histogram

    return ServerMetrics(
        requests=Counter(
            "quantis_model_forecast_requests",
            "Forecast requests answered by the model server, by outcome.",
            [*_LABELS, "outcome"],
        ),
        latency=Histogram(
            "quantis_model_forecast_latency_seconds",
            "Seconds from receiving a forecast request to its answer.",
            _LABELS,
            buckets=_LATENCY_BUCKETS,
        ),
        batch_requests=Histogram(
            "quantis_model_batch_requests",
            "Forecast requests predicted together in one model call (adaptive batching).",
            _LABELS,
            buckets=_BATCH_BUCKETS,
        ),
        batch_series=Histogram(
            "quantis_model_batch_series",
            "Series predicted together in one model call.",
            _LABELS,
            buckets=_BATCH_BUCKETS,
        ),
        model_info=Gauge(
            "quantis_model_info",
            "The model this server serves for the dataset (value 1).",
            _LABELS,
            multiprocess_mode="max",
        ),
    )
