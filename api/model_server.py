"""HTTP client of the model server, found through the active deployment record.

The pipeline records each rollout in `model_deployments`; the active one's `endpoint_url` is
where the champion serves. Without an active deployment the settings' `model_server_url` is
used. The lookup is cached for a few seconds so a forecast costs no extra query.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine

from api.logging import REQUEST_ID_HEADER
from core.datasets import DEFAULT_DATASET
from core.db.engine import session_scope
from core.db.repositories.deployments import get_active_deployment
from core.settings import Settings

__all__ = [
    "DatasetNotServedError",
    "ModelForecast",
    "ModelServerClient",
    "ModelServerRejectedError",
    "ModelServerUnavailableError",
]


class ModelServerUnavailableError(RuntimeError):
    """The model server cannot be reached, timed out or failed (the API answers 503)."""


class DatasetNotServedError(LookupError):
    """The model server serves no model for the dataset asked for (the API answers 503)."""


class ModelServerRejectedError(ValueError):
    """The model server refused the request's data (the API answers 422 with its reason)."""


@dataclass(frozen=True)
class ModelForecast:
    """The model server's answer: which model made it, and one entry per series."""

    model_name: str
    model_version: str
    series: list[dict[str, Any]]


def _rejection_message(response: httpx.Response) -> str:
    """BentoML answers `[{"error": msg}]` for our rejections and `{"error", "detail"}` for
    schema errors; both become one readable line."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if not isinstance(body, dict):
        return str(body)[:500]
    message = str(body.get("error", "rejected"))
    details = body.get("detail")
    if isinstance(details, list):
        parts = [f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}" for d in details]
        message = f"{message}: {'; '.join(parts[:5])}"
    return message


class ModelServerClient:
    """Forecasts, model identity and readiness from the model server, over pooled HTTP."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        cache_s: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.cache_s = cache_s
        self._http = httpx.Client(timeout=settings.model_server_timeout_s, transport=transport)
        self._lock = threading.Lock()
        self._cached: tuple[float, str] | None = None

    def base_url(self) -> str:
        """The active deployment's endpoint, else the configured URL (cached `cache_s`)."""
        now = time.monotonic()
        with self._lock:
            if self._cached is not None and now - self._cached[0] < self.cache_s:
                return self._cached[1]
        with session_scope(self.engine) as session:
            active = get_active_deployment(session, self.settings.deploy_target)
            url = (active.endpoint_url if active else None) or self.settings.model_server_url
        url = url.rstrip("/")
        with self._lock:
            self._cached = (now, url)
        return url

    def _post(self, route: str, body: dict[str, Any], request_id: str | None) -> httpx.Response:
        url = f"{self.base_url()}{route}"
        headers = {REQUEST_ID_HEADER: request_id} if request_id else {}
        try:
            response = self._http.post(url, json=body, headers=headers)
        except httpx.TimeoutException as error:
            raise ModelServerUnavailableError(
                f"the model server at {url} did not answer within "
                f"{self.settings.model_server_timeout_s:g}s"
            ) from error
        except httpx.HTTPError as error:
            raise ModelServerUnavailableError(
                f"the model server at {url} cannot be reached ({type(error).__name__})"
            ) from error
        if response.status_code in (400, 422):
            raise ModelServerRejectedError(_rejection_message(response))
        if response.status_code == 404 and route in ("/forecast", "/explain", "/model_info"):
            raise DatasetNotServedError(_rejection_message(response))
        if response.status_code >= 300:
            raise ModelServerUnavailableError(
                f"the model server at {url} answered HTTP {response.status_code}"
            )
        return response

    def forecast(
        self,
        series: Sequence[dict[str, Any]],
        horizon: int,
        levels: Sequence[int],
        request_id: str | None = None,
        dataset: str = DEFAULT_DATASET,
    ) -> ModelForecast:
        """Forecast each `{"id", "timestamps", "values"}` history `horizon` steps ahead with
        `dataset`'s champion (one server serves every dataset's: `bentos.served_models`). A
        history may carry its covariates (`covariates`, `static`, `future`:
        `bentos.schemas.SeriesHistory`); `api.forecast_covariates` adds them."""
        body = {"series": list(series), "horizon": horizon, "levels": list(levels)}
        if dataset != DEFAULT_DATASET:  # a server from before datasets knows no `dataset`
            body["dataset"] = dataset
        response = self._post("/forecast", body, request_id)
        name = response.headers.get("X-Quantis-Model-Name")
        version = response.headers.get("X-Quantis-Model-Version")
        if name is None or version is None:  # an older server: ask it who it is
            info = self.info(request_id, dataset)
            name, version = info["name"], info["version"]
        return ModelForecast(model_name=name, model_version=version, series=response.json())

    def explain(
        self,
        series: Sequence[dict[str, Any]],
        horizon: int,
        request_id: str | None = None,
        dataset: str = DEFAULT_DATASET,
    ) -> ModelForecast:
        """Each history's forecast by `dataset`'s champion's LightGBM member, taken apart by
        feature group (the model server's `/explain`; `series` entries hold its points)."""
        body = {"series": list(series), "horizon": horizon, "dataset": dataset}
        response = self._post("/explain", body, request_id)
        return ModelForecast(
            model_name=response.headers.get("X-Quantis-Model-Name", ""),
            model_version=response.headers.get("X-Quantis-Model-Version", ""),
            series=response.json(),
        )

    def info(self, request_id: str | None = None, dataset: str = DEFAULT_DATASET) -> dict[str, Any]:
        """The model server's `/model_info` for `dataset`: name, version, source, limits."""
        body = {} if dataset == DEFAULT_DATASET else {"dataset": dataset}
        return self._post("/model_info", body, request_id).json()

    def check_ready(self) -> tuple[bool, str]:
        """(ready, explanation) from the model server's `/readyz`."""
        try:
            url = f"{self.base_url()}/readyz"
        except Exception as error:  # the deployment lookup itself failed
            return False, f"cannot look up the model server: {type(error).__name__}"
        try:
            response = self._http.get(url, timeout=min(2.0, self.settings.model_server_timeout_s))
        except httpx.HTTPError as error:
            return False, f"model server at {url} cannot be reached ({type(error).__name__})"
        if response.status_code != 200:
            return False, f"model server at {url} is not ready (HTTP {response.status_code})"
        return True, f"model server at {url} is ready"

    def served_model(self) -> dict[str, str] | None:
        """`{"name", "version"}` of the model being served, from `/model_info`; None when the
        model server cannot say (down, slow or answering something else)."""
        try:
            url = f"{self.base_url()}/model_info"
            response = self._http.post(
                url, json={}, timeout=min(2.0, self.settings.model_server_timeout_s)
            )
            info = response.json() if response.status_code == 200 else {}
        except Exception:  # the lookup, the connection or the JSON: all mean "unknown"
            return None
        if not isinstance(info, dict) or info.get("name") is None or info.get("version") is None:
            return None
        return {"name": str(info["name"]), "version": str(info["version"])}

    def close(self) -> None:
        self._http.close()
