"""The MLflow model registry as Quantis uses it: aliases `champion` and `challenger`.

The registry is the source of truth for which model version serves. Promotion and rollback
live here so that the pipeline, the `quantis model` command and the REST API share one code
path. Every promotion stores the previous champion on the promoted version, so a rollback
restores exactly the version that served before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "ModelRegistry",
    "ModelVersionView",
    "RegistryError",
]

from core.mlflow_names import (
    CHALLENGER,
    CHAMPION,
    TAG_DECISION,
    TAG_PREVIOUS_CHAMPION,
    TAG_PROMOTED_AT,
    TAG_PROMOTED_BY,
    TAG_ROLLED_BACK_AT,
)


class RegistryError(RuntimeError):
    """A registry operation that cannot be done (unknown version, nothing to roll back to)."""


@dataclass(frozen=True)
class ModelVersionView:
    """One registered model version, with what a person needs to judge it."""

    name: str
    version: str
    aliases: tuple[str, ...]
    run_id: str | None
    source: str
    created_at: datetime
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def decision(self) -> dict[str, object] | None:
        raw = self.tags.get(TAG_DECISION)
        return json.loads(raw) if raw else None


class ModelRegistry:
    """Registry operations for one registered model name."""

    def __init__(self, tracking_uri: str, model_name: str, registry_uri: str | None = None):
        from mlflow.tracking import MlflowClient

        self.model_name = model_name
        self.tracking_uri = tracking_uri
        self.registry_uri = registry_uri or tracking_uri
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=self.registry_uri)

    # -- reading ---------------------------------------------------------------------------
    def _view(self, mv, with_metrics: bool = True) -> ModelVersionView:
        metrics: dict[str, float] = {}
        if with_metrics and mv.run_id:
            try:
                metrics = dict(self.client.get_run(mv.run_id).data.metrics)
            except Exception:  # the run may have been deleted; the version still stands
                metrics = {}
        return ModelVersionView(
            name=mv.name,
            version=str(mv.version),
            aliases=tuple(sorted(getattr(mv, "aliases", []) or [])),
            run_id=mv.run_id,
            source=mv.source,
            created_at=datetime.fromtimestamp(mv.creation_timestamp / 1000, tz=UTC),
            tags=dict(mv.tags or {}),
            metrics=metrics,
        )

    def exists(self) -> bool:
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(self.model_name)
        except MlflowException:
            return False
        return True

    def delete(self) -> bool:
        """Delete the registered model with its versions and aliases (their runs and
        artifacts stay in the experiment); False when there was none."""
        if not self.exists():
            return False
        self.client.delete_registered_model(self.model_name)
        return True

    def version(self, version: str | int) -> ModelVersionView:
        from mlflow.exceptions import MlflowException

        try:
            mv = self.client.get_model_version(self.model_name, str(version))
        except MlflowException as exc:
            raise RegistryError(
                f"model {self.model_name!r} has no version {version!r}: {exc.message}"
            ) from exc
        return self._view(mv)

    def by_alias(self, alias: str) -> ModelVersionView | None:
        from mlflow.exceptions import MlflowException

        try:
            mv = self.client.get_model_version_by_alias(self.model_name, alias)
        except MlflowException:
            return None
        return self._view(mv)

    def champion(self) -> ModelVersionView | None:
        return self.by_alias(CHAMPION)

    def versions(self) -> list[ModelVersionView]:
        if not self.exists():
            return []
        found = self.client.search_model_versions(f"name = '{self.model_name}'")
        # Search results carry no aliases; reading each version does.
        views = [self._view(self.client.get_model_version(mv.name, mv.version)) for mv in found]
        return sorted(views, key=lambda v: int(v.version), reverse=True)

    # -- writing ---------------------------------------------------------------------------
    def register(
        self, model_uri: str, tags: dict[str, str] | None = None, run_id: str | None = None
    ) -> ModelVersionView:
        """Register a logged model (`models:/<model_id>` or `runs:/...`) as a new version and
        give it the `challenger` alias, in this registry's store whatever MLflow's
        process-wide tracking URI is."""
        if not self.exists():
            self.client.create_registered_model(self.model_name)
        model_id = None
        if model_uri.startswith("models:/m-"):
            model_id = model_uri.removeprefix("models:/").split("/", 1)[0]
            run_id = run_id or self.client.get_logged_model(model_id).source_run_id
        with _process_tracking_uri(self.tracking_uri):
            mv = self.client.create_model_version(
                self.model_name,
                source=model_uri,
                run_id=run_id,
                tags=tags or {},
                await_creation_for=0,
                model_id=model_id,
            )
        self.client.set_registered_model_alias(self.model_name, CHALLENGER, mv.version)
        return self.version(mv.version)

    def record_decision(self, version: str, decision: dict[str, object]) -> None:
        self.client.set_model_version_tag(
            self.model_name, version, TAG_DECISION, json.dumps(decision, default=str)
        )

    def promote(self, version: str | int, *, by: str = "pipeline") -> ModelVersionView:
        """Make `version` the champion, remembering the champion it replaces."""
        target = self.version(version)
        current = self.champion()
        if current is not None and current.version == target.version:
            return target
        if current is not None:
            self.client.set_model_version_tag(
                self.model_name, target.version, TAG_PREVIOUS_CHAMPION, current.version
            )
        self.client.set_model_version_tag(
            self.model_name, target.version, TAG_PROMOTED_AT, datetime.now(UTC).isoformat()
        )
        self.client.set_model_version_tag(self.model_name, target.version, TAG_PROMOTED_BY, by)
        self.client.set_registered_model_alias(self.model_name, CHAMPION, target.version)
        return self.version(target.version)

    def rollback(self, *, by: str = "cli") -> ModelVersionView:
        """Restore the champion that the current champion replaced."""
        current = self.champion()
        if current is None:
            raise RegistryError(f"model {self.model_name!r} has no champion to roll back")
        previous = current.tags.get(TAG_PREVIOUS_CHAMPION)
        if not previous:
            raise RegistryError(
                f"champion version {current.version} of {self.model_name!r} replaced no "
                "earlier champion; there is nothing to roll back to"
            )
        self.version(previous)  # fails clearly if it was deleted
        self.client.set_model_version_tag(
            self.model_name, current.version, TAG_ROLLED_BACK_AT, datetime.now(UTC).isoformat()
        )
        self.client.set_registered_model_alias(self.model_name, CHAMPION, previous)
        self.client.set_model_version_tag(self.model_name, previous, TAG_PROMOTED_BY, by)
        return self.version(previous)


@contextmanager
def _process_tracking_uri(tracking_uri: str) -> Iterator[None]:
    """MLflow's SQL registry store looks a `models:/m-...` source up through the process-wide
    tracking URI, not the client's: a fresh process (a step of the multiprocess or k8s
    executor) would search MLflow's default `./mlflow.db` and find no such model. Point the
    process at our store for the call, then put back what was there."""
    import mlflow

    previous = mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None
    mlflow.set_tracking_uri(tracking_uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous)  # None unsets it (and MLFLOW_TRACKING_URI)
