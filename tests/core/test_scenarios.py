"""What-if scenarios, the pure part: a spec checked against the declarations, the changes
applied to a future frame, the two forecasts compared."""

from __future__ import annotations

import pandas as pd
import pytest

from core.covariates import Covariate
from core.scenarios import (
    ScenarioError,
    apply_changes,
    changed_covariates,
    check_within_horizon,
    compare_forecasts,
    parse_scenario,
)

DECLARED = (
    Covariate("price"),
    Covariate("promo", "boolean"),
    Covariate("event", "categorical", categories=("none", "fair")),
    Covariate("region", "categorical", "static"),
    Covariate.calendar("holiday", "US"),
)


def _spec(*changes, **extra):
    return {"name": "what if", "series": [1, 2], "changes": list(changes), **extra}


def _change(covariate="price", op="set", value=2.0, start="2030-01-02", end="2030-01-03"):
    return {"covariate": covariate, "op": op, "value": value, "start": start, "end": end}


def _future() -> pd.DataFrame:
    ds = pd.date_range("2030-01-01", periods=4, freq="D")
    return pd.DataFrame(
        {
            "unique_id": ["a"] * 4 + ["b"] * 4,
            "ds": list(ds) * 2,
            "price": [10.0, 10.0, 10.0, 10.0, 20.0, 20.0, 20.0, 20.0],
            "promo": [0.0] * 8,
            "event": ["none"] * 8,
        }
    )


def test_a_spec_is_parsed_with_whole_days_and_typed_values():
    spec = parse_scenario(
        _spec(_change("promo", value=True), _change(op="scale", value=0.9), horizon=4), DECLARED
    )
    assert spec.series == (1, 2) and spec.horizon == 4
    promo, price = spec.changes
    assert promo.value == 1.0 and price.value == 0.9 and price.op == "scale"
    assert promo.start == pd.Timestamp("2030-01-02")
    assert promo.end == pd.Timestamp("2030-01-03 23:59:59.999999")  # a date covers its day
    utc = parse_scenario(_spec(_change(end="2030-01-03T05:00:00+02:00")), DECLARED)
    assert utc.changes[0].end == pd.Timestamp("2030-01-03 03:00")
    assert changed_covariates(spec.changes) == ["promo", "price"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (_spec(_change("colour")), r"changes\[0\].covariate: 'colour' is not a declared"),
        (_spec(_change("region", value="n")), "is a static covariate"),
        (_spec(_change("holiday", value=True)), "is a calendar covariate"),
        (_spec(_change(op="double")), r"'double' is not one of \['set', 'scale', 'add'\]"),
        (_spec(_change("promo", op="scale", value=2)), "only a numeric covariate can be changed"),
        (_spec(_change("promo", value=1)), "give true or false"),
        (_spec(_change("event", value="parade")), "'parade' is not a category of 'event'"),
        (_spec(_change(value=float("inf"))), "not a finite number"),
        (_spec(_change(value=True)), "True is not a finite number"),
        (_spec(_change(start="2030-01-05", end="2030-01-01")), "is after end"),
        (_spec(_change(start="soon")), r"changes\[0\].start: 'soon' is not a date"),
        (_spec(), "changes: a scenario changes at least one covariate"),
        (_spec(_change(), series=[]), "series: name at least one series"),
        (_spec(_change(), series=[1, 1]), "names a series twice"),
        (_spec(_change(), horizon=0), "horizon: 0 is not a positive number"),
        (_spec(_change(), name=" "), "name: a scenario needs a name"),
    ],
)
def test_a_bad_spec_is_refused_naming_the_part(spec, message):
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(spec, DECLARED)


def test_changes_apply_in_order_on_their_dates_only():
    spec = parse_scenario(
        _spec(
            _change("promo", value=True),
            _change(op="scale", value=0.5, start="2030-01-01", end="2030-01-02"),
            _change(op="add", value=1.0, start="2030-01-02", end="2030-01-02"),
            _change("event", value="fair", start="2030-01-04", end="2030-01-04"),
        ),
        DECLARED,
    )
    future = _future()
    changed = apply_changes(future, spec.changes, DECLARED)
    assert changed["promo"].tolist() == [0.0, 1.0, 1.0, 0.0] * 2
    assert changed["price"].tolist() == [5.0, 6.0, 10.0, 10.0, 10.0, 11.0, 20.0, 20.0]
    assert changed["event"].tolist() == ["none", "none", "none", "fair"] * 2
    pd.testing.assert_frame_equal(future, _future())  # the input is left as it was


def test_nothing_missing_is_scaled_and_changes_stay_in_the_horizon():
    future = _future()
    future.loc[2, "price"] = float("nan")
    spec = parse_scenario(_spec(_change(op="scale", value=2.0)), DECLARED)
    with pytest.raises(ScenarioError, match="no 'price' value stored to scale \\(a at 2030-01-03"):
        apply_changes(future, spec.changes, DECLARED)
    check_within_horizon(spec.changes, future["ds"])
    for start, end in [("2029-12-31", "2030-01-02"), ("2030-01-04", "2030-01-05")]:
        late = parse_scenario(_spec(_change(start=start, end=end)), DECLARED)
        with pytest.raises(ScenarioError, match="is not within the horizon"):
            check_within_horizon(late.changes, future["ds"])


def test_the_forecasts_are_compared_point_by_point_and_in_total():
    def point(ds, yhat):
        return {"ds": ds, "yhat": yhat, "lower": {"80": yhat - 1}, "upper": {"80": yhat + 1}}

    baseline = [point("2030-01-01", 10.0), point("2030-01-02", 12.0)]
    scenario = [point("2030-01-01", 10.5), point("2030-01-02", 15.0)]
    points, total = compare_forecasts(baseline, scenario)
    assert [p["difference"] for p in points] == [0.5, 3.0] and total == 3.5
    assert points[1]["baseline"] == {"yhat": 12.0, "lower": {"80": 11.0}, "upper": {"80": 13.0}}
    assert points[1]["scenario"]["upper"] == {"80": 16.0}
    with pytest.raises(ValueError, match="different dates"):
        compare_forecasts(baseline, scenario[:1])
