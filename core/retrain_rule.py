"""When new data is worth a new model: the one rule behind the `retrain_on_new_data` sensor
and `quantis up`'s choice between retraining and rolling out the champion again."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ChampionData", "RetrainDecision", "retrain_decision"]


@dataclass(frozen=True)
class ChampionData:
    """The serving champion: its version and the fingerprint of the data it was trained on."""

    version: str
    fingerprint: str


@dataclass(frozen=True)
class RetrainDecision:
    retrain: bool
    reason: str


def retrain_decision(
    *,
    new_row_share: float,
    min_new_share: float,
    data_fingerprint: str | None = None,
    champion: ChampionData | None = None,
    forced: bool = False,
) -> RetrainDecision:
    """Retrain when forced, or when one ingestion added more than `min_new_share` of the
    panel's rows; never when the champion was trained on exactly this data. `champion` and
    `data_fingerprint` are given where they are known (`quantis up`), not by the sensor."""
    if forced:
        return RetrainDecision(True, "retraining was asked for")
    if champion is not None and data_fingerprint and data_fingerprint == champion.fingerprint:
        return RetrainDecision(
            False, f"no new data since champion version {champion.version} was trained on it"
        )
    if new_row_share > min_new_share:
        return RetrainDecision(
            True, f"new data share {new_row_share:.1%} is above {min_new_share:.0%}"
        )
    return RetrainDecision(
        False, f"new data share {new_row_share:.1%} is at most {min_new_share:.0%}"
    )
