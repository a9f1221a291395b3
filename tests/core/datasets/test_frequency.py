"""What a frequency implies: season length, default horizon, its grid."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from pandas.tseries.frequencies import to_offset

from core.datasets.frequency import (
    default_horizon,
    horizon_timestamps,
    normalized_frequency,
    off_grid_positions,
    season_length,
)
from models.validation import season_length_for


@pytest.mark.parametrize("frequency", ["h", "2h", "D", "W-SUN", "MS", "ME", "QS-OCT", "YS"])
def test_season_length_agrees_with_the_models(frequency):
    assert season_length(frequency) == season_length_for(frequency)


def test_aliases_are_normalized_and_unknown_ones_refused():
    assert normalized_frequency("QS") == "QS-JAN"
    assert normalized_frequency("Q") == "QE-DEC"
    assert normalized_frequency("W") == "W-SUN"
    assert normalized_frequency("D") == "D"
    with pytest.raises(ValueError, match="not a pandas offset alias"):
        normalized_frequency("fortnightly")


def test_default_horizon_follows_the_unit():
    assert default_horizon("D") == 14
    assert default_horizon("MS") == 18
    assert default_horizon("QS") == 8


def test_calendar_grid_refuses_days_in_a_quarterly_series():
    stamps = [
        datetime(2020, 1, 1),
        datetime(2020, 1, 2),
        datetime(2020, 4, 1, 3),
        datetime(2020, 7, 1),
    ]
    assert off_grid_positions(stamps, "QS") == [1, 2]


def test_fixed_steps_count_from_the_anchor():
    nine = [datetime(2020, 1, day, 9, tzinfo=UTC) for day in (1, 2, 3)]
    assert off_grid_positions(nine, "D") == []
    assert off_grid_positions(nine, "D", anchor=datetime(2019, 6, 1, tzinfo=UTC)) == [0, 1, 2]
    assert off_grid_positions([*nine, datetime(2020, 1, 4, 10)], "D") == [3]
    assert off_grid_positions([], "D") == []


@pytest.mark.parametrize("frequency", ["QS", "QS-OCT", "W-SUN", "B", "MS", "ME", "YS", "SMS"])
def test_calendar_grids_agree_with_pandas_per_stamp(frequency):
    stamps = list(pd.date_range("1999-12-01", periods=800, freq="D").to_pydatetime())
    offset = to_offset(frequency)
    expected = [i for i, stamp in enumerate(stamps) if not offset.is_on_offset(stamp)]
    assert off_grid_positions(stamps, frequency) == expected


def test_horizon_timestamps_follow_the_last_one_on_the_grid_in_naive_utc():
    last = datetime(2024, 12, 29, tzinfo=UTC)
    assert horizon_timestamps(last, "D", 3) == list(
        pd.date_range("2024-12-30", periods=3, freq="D")
    )
    assert horizon_timestamps(datetime(2024, 1, 31), "MS", 2) == [
        pd.Timestamp("2024-02-01"),
        pd.Timestamp("2024-03-01"),
    ]
