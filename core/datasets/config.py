"""A dataset's configuration: one forecasting problem, as typed, validated data.

What a person declared is kept apart from what follows from it: `declared()` is what is
stored, and the season length and horizon left unset follow the frequency (also when the
frequency is only inferred later, at the first ingest). `changes_refused` says which edits a
live dataset refuses, and why.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.covariates import Covariate
from core.datasets.columns import RESERVED_COLUMN_NAMES
from core.datasets.frequency import default_horizon, normalized_frequency, season_length

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = [
    "DEFAULT_DATASET",
    "DEFAULT_LEVELS",
    "FALLBACK_HORIZON",
    "IMMUTABLE_FIELDS",
    "NAME_PATTERN",
    "DatasetChangeRefused",
    "DatasetConfig",
    "ModelOverrides",
    "changes_refused",
    "default_dataset_config",
]

DEFAULT_DATASET = "default"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
DEFAULT_LEVELS = (80.0, 95.0)
# Steps forecast before a frequency is known (the global default of `forecast_default_horizon`).
FALLBACK_HORIZON = 14
MAX_LEVELS = 10
MAX_COVARIATES = 100
# The model configuration fields a dataset decides itself; overrides may not name them.
_DATASET_DECIDES = frozenset({"freq", "season_length", "horizon"})
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
# Field -> why it cannot change once the dataset exists (frequency: once it is fixed).
IMMUTABLE_FIELDS = {
    "name": "a dataset's name is its key: its landing prefix, partition and registered model; "
    "create a new dataset instead",
    "frequency": "the stored observations and the trained models are on this frequency's grid; "
    "create a new dataset for another frequency",
}

ModelOverrides = dict[str, Any]


class DatasetChangeRefused(ValueError):
    """An edit a live dataset refuses; `.refused` maps each field to the reason."""

    def __init__(self, name: str, refused: dict[str, str]):
        self.refused = refused
        reasons = "; ".join(f"{field}: {why}" for field, why in refused.items())
        super().__init__(f"dataset {name!r} refuses the change: {reasons}")


class DatasetConfig(BaseModel):
    """One forecasting problem: its series share a frequency, horizon, levels and rules."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    name: str = Field(
        pattern=NAME_PATTERN,
        description="Slug naming the dataset: lowercase letters, digits, `-` and `_`, "
        "at most 63 characters, starting with a letter or digit.",
    )
    frequency: str | None = Field(
        None,
        description="Pandas offset alias (D, W-SUN, MS, QS, h...); unset = inferred from the "
        "first ingest, then fixed.",
    )
    season_length: int | None = Field(
        None, ge=1, le=10_000, description="Periods in a seasonal cycle; unset = from frequency."
    )
    horizon: int | None = Field(
        None, ge=1, le=10_000, description="Steps forecast ahead; unset = from frequency."
    )
    levels: tuple[float, ...] = Field(
        DEFAULT_LEVELS,
        max_length=MAX_LEVELS,
        description="Prediction interval levels in percent, each in (0, 100).",
    )
    max_bad_row_share: float = Field(
        0.05, ge=0.0, le=1.0, description="Share of bad rows above which a run stops."
    )
    min_history: int = Field(
        0,
        ge=0,
        description="Fewest observations a series needs to be trained on; 0 = two seasons "
        "plus one point.",
    )
    value_min: float | None = Field(
        None, allow_inf_nan=False, description="Lowest plausible value (unset = no bound)."
    )
    value_max: float | None = Field(
        None, allow_inf_nan=False, description="Highest plausible value (unset = no bound)."
    )
    retrain_new_data_share: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="Share of new rows in one ingestion (of the whole panel) that triggers "
        "retraining.",
    )
    model_overrides: ModelOverrides = Field(
        default_factory=dict,
        description="Forecaster configuration fields to override (models.config."
        "ForecasterConfig, e.g. num_boost_round); checked by the model when it trains.",
    )
    batch_forecasts_after_rollout: bool = Field(
        True, description="Forecast every series of the dataset after each roll-out."
    )
    covariates: tuple[Covariate, ...] = Field(
        (),
        max_length=MAX_COVARIATES,
        description="Declared covariates (core.covariates.Covariate): each a lowercase name "
        "unique in the dataset, a type (numeric, boolean, categorical) and a kind (static, "
        "known_in_advance, calendar). Covariates can be added to a live dataset; a declared "
        "one keeps its kind and type and its categories (more may be added).",
    )

    @field_validator("frequency")
    @classmethod
    def _known_frequency(cls, value: str | None) -> str | None:
        return None if value is None else normalized_frequency(value.strip())

    @field_validator("levels")
    @classmethod
    def _levels_in_range(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        bad = [level for level in value if not 0 < level < 100]
        if bad:
            raise ValueError(f"interval levels must be in (0, 100), got {bad}")
        if len(set(value)) != len(value):
            raise ValueError(f"interval levels repeat: {list(value)}")
        return tuple(sorted(value))

    @field_validator("model_overrides")
    @classmethod
    def _overrides_named_well(cls, value: ModelOverrides) -> ModelOverrides:
        bad = sorted(key for key in value if not _IDENTIFIER.match(str(key)))
        if bad:
            raise ValueError(f"model override names must be identifiers, got {bad}")
        decided = sorted(_DATASET_DECIDES & value.keys())
        if decided:
            raise ValueError(
                f"model overrides may not set {decided}: set the dataset's frequency, "
                "season_length or horizon instead"
            )
        return value

    @field_validator("covariates")
    @classmethod
    def _covariates_named_well(cls, value: tuple[Covariate, ...]) -> tuple[Covariate, ...]:
        names = [c.name for c in value]
        problems = []
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            problems.append(f"covariates declared twice: {repeated}")
        not_lowercase = sorted(n for n in names if not _IDENTIFIER.match(n))
        if not_lowercase:
            problems.append(
                f"covariate names must be lowercase identifiers (a-z, 0-9, _), got {not_lowercase}"
            )
        clashing = sorted(set(names) & RESERVED_COLUMN_NAMES)
        if clashing:
            problems.append(
                f"covariate names {clashing} are taken by the series, timestamp and value "
                f"columns (reserved: {sorted(RESERVED_COLUMN_NAMES)})"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @model_validator(mode="after")
    def _bounds_in_order(self) -> DatasetConfig:
        if None not in (self.value_min, self.value_max) and self.value_min > self.value_max:
            raise ValueError(
                f"value_min ({self.value_min}) is above value_max ({self.value_max}): no value "
                "could pass; swap them or unset one"
            )
        return self

    @property
    def effective_season_length(self) -> int | None:
        """The declared season length, else the frequency's; None while neither is known."""
        if self.season_length is not None:
            return self.season_length
        return season_length(self.frequency) if self.frequency else None

    @property
    def effective_horizon(self) -> int:
        """The declared horizon, else the frequency's default, else `FALLBACK_HORIZON`."""
        if self.horizon is not None:
            return self.horizon
        return default_horizon(self.frequency) if self.frequency else FALLBACK_HORIZON

    def settings_document(self) -> dict[str, Any]:
        """What the database stores beside the name and frequency columns: every other field
        as declared (unset season length and horizon stay unset and follow the frequency)."""
        return self.model_dump(mode="json", exclude={"name", "frequency"})

    @classmethod
    def from_stored(
        cls, name: str, frequency: str | None, document: dict[str, Any]
    ) -> DatasetConfig:
        return cls(name=name, frequency=frequency, **document)


def _covariate_changes_refused(
    current: tuple[Covariate, ...], wanted: tuple[Covariate, ...]
) -> list[str]:
    """Why each change to already declared covariates is refused: stored values and trained
    models refer to a covariate by its name, kind, type and categories. Adding covariates,
    adding categories and a calendar's country are fine."""
    kept = {c.name: c for c in wanted}
    problems = []
    for before in current:
        after = kept.get(before.name)
        if after is None:
            problems.append(
                f"{before.name!r} cannot be removed: its stored values and the models trained "
                "with it refer to it"
            )
            continue
        for field in ("kind", "type"):
            if getattr(after, field) != getattr(before, field):
                problems.append(
                    f"{before.name!r} cannot change its {field} from "
                    f"{getattr(before, field)!r} to {getattr(after, field)!r}: stored values "
                    "and trained models hold the old one; declare a covariate of another name"
                )
        dropped = [c for c in before.categories if c not in after.categories]
        if dropped:
            problems.append(
                f"{before.name!r} cannot drop categories {dropped}: stored values may hold "
                "them (adding categories is fine)"
            )
    return problems


def changes_refused(current: DatasetConfig, wanted: DatasetConfig) -> dict[str, str]:
    """Field -> reason for each change from `current` to `wanted` a live dataset refuses: a
    new name, a new frequency once one is fixed (fixing an unset one is allowed), or a change
    to a declared covariate other than adding categories (adding covariates is allowed)."""
    refused = {}
    if wanted.name != current.name:
        refused["name"] = IMMUTABLE_FIELDS["name"]
    if current.frequency is not None and wanted.frequency != current.frequency:
        refused["frequency"] = (
            f"it is fixed at {current.frequency!r}: " + IMMUTABLE_FIELDS["frequency"]
        )
    covariates = _covariate_changes_refused(current.covariates, wanted.covariates)
    if covariates:
        refused["covariates"] = "; ".join(covariates)
    return refused


def default_dataset_config(settings: Settings) -> DatasetConfig:
    """The `default` dataset as the global settings describe it: what an installation from
    before datasets ran with (its horizon, thresholds and retrain rule)."""
    return DatasetConfig(
        name=DEFAULT_DATASET,
        horizon=settings.forecast_default_horizon,
        max_bad_row_share=settings.max_bad_row_share,
        min_history=settings.min_history,
        value_min=settings.value_min,
        value_max=settings.value_max,
        retrain_new_data_share=settings.retrain_new_data_share,
    )
