"""What one app instance holds for its lifetime: settings, database, clients, limits, metrics."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.config import ApiOptions
from api.metrics import ApiMetrics
from api.model_server import ModelServerClient
from api.pipeline import DagsterClient
from api.rate_limit import RateLimiter
from core.datasets import DEFAULT_DATASET
from core.mlflow_names import registered_model_name
from core.registry import ModelRegistry
from core.settings import Settings

__all__ = ["ApiState"]

# `last_used_at` of a key is written at most this often, so reads do not all become writes.
KEY_TOUCH_INTERVAL_S = 60.0


@dataclass
class ApiState:
    settings: Settings
    options: ApiOptions
    engine: Engine
    sessions: sessionmaker[Session]
    model_server: ModelServerClient
    pipeline: DagsterClient
    rate_limiter: RateLimiter
    metrics: ApiMetrics
    _registries: dict[str, ModelRegistry] = field(default_factory=dict)
    _touched: dict[int, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def registry(self, dataset: str = DEFAULT_DATASET) -> ModelRegistry:
        """The MLflow registry of `dataset`'s registered model (created on first use: MLflow
        is slow to import and most requests never need it)."""
        with self._lock:
            if dataset not in self._registries:
                name = registered_model_name(self.settings.registered_model_name, dataset)
                self._registries[dataset] = ModelRegistry(self.settings.mlflow_tracking_uri, name)
            return self._registries[dataset]

    def key_touch_due(self, key_id: int) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._touched.get(key_id, -KEY_TOUCH_INTERVAL_S) < KEY_TOUCH_INTERVAL_S:
                return False
            self._touched[key_id] = now
            return True

    def close(self) -> None:
        self.model_server.close()
        self.pipeline.close()
        self.engine.dispose()
