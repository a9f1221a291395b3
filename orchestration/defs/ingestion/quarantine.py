"""Split a validated batch into good rows and quarantined rows, with a reason for each."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from orchestration.defs.ingestion.expectations import ExpectationOutcome

__all__ = ["split_batch"]


def split_batch(
    batch: pd.DataFrame, outcomes: list[ExpectationOutcome]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(good, bad): `bad` carries `expectation` (first failed) and `reason` (all failed; an
    outcome's reason for the row where it gives one)."""
    failed: dict[int, list[ExpectationOutcome]] = defaultdict(list)
    for outcome in outcomes:
        for row in outcome.failed_rows:
            failed[row].append(outcome)
    bad_index = sorted(failed)
    bad = batch.loc[bad_index].copy()
    bad["expectation"] = [failed[i][0].name for i in bad_index]
    bad["reason"] = [
        "; ".join(o.row_reasons.get(i) or f"{o.name}: expected {o.description}" for o in failed[i])
        for i in bad_index
    ]
    good = batch.drop(index=bad_index)
    return good, bad
