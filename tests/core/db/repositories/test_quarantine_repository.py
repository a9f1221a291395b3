"""Quarantine keeps every rejected row with its reason."""

from __future__ import annotations

import pandas as pd
import pytest

from core.db.repositories import quarantine
from core.db.repositories.quarantine import RejectedRow


def test_rows_are_stored_counted_and_listed(session):
    stored = quarantine.quarantine_rows(
        session,
        [
            RejectedRow(source="landing/a.csv", reason="value not numeric", value_raw="abc"),
            RejectedRow(source="landing/a.csv", reason="missing ts", run_id="run-1"),
            RejectedRow(source="api", reason="negative", run_id="run-1", series_name="s"),
        ],
    )
    assert stored == 3
    assert quarantine.count_quarantined(session) == 3
    assert quarantine.count_quarantined(session, run_id="run-1") == 2
    assert quarantine.count_quarantined(session, source="landing/a.csv") == 2
    listed = quarantine.list_quarantined(session, run_id="run-1")
    assert [row.reason for row in listed.items] == ["missing ts", "negative"]
    assert listed.items[0].created_at is not None


def test_frame_of_bad_rows_keeps_raw_text(session):
    frame = pd.DataFrame(
        {
            "unique_id": ["s1", None],
            "ds": ["2024-13-45", "2024-01-01"],
            "y": ["1,5", float("nan")],
            "reason": ["unparsable timestamp", "missing series"],
        }
    )
    assert quarantine.quarantine_frame(session, frame, source="f.csv", run_id="r") == 2
    first, second = quarantine.list_quarantined(session).items
    assert (first.series_name, first.ts_raw, first.value_raw) == ("s1", "2024-13-45", "1,5")
    assert (second.series_name, second.value_raw) == (None, None)
    assert first.expectation is None


def test_reason_is_required(session):
    with pytest.raises(ValueError, match="reason"):
        quarantine.quarantine_frame(session, pd.DataFrame({"y": [1]}), source="f.csv")
    with pytest.raises(ValueError, match="source and a reason"):
        quarantine.quarantine_rows(session, [RejectedRow(source="x", reason="")])
