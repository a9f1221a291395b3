"""The covariate check of a landing batch: covariate-only rows, bad rows with their reason
and the values as received, good values typed; file by file."""

from __future__ import annotations

import pandas as pd

from core.covariates import Covariate
from orchestration.defs.ingestion.covariates import COVARIATES_VALID, check_covariates
from orchestration.defs.ingestion.landing import LandingFile, parse_landing_file

DECLARED = (
    Covariate("price"),
    Covariate("promo", "boolean"),
    Covariate("region", "categorical", "static"),
)


def _batch(*files: tuple[str, str]) -> pd.DataFrame:
    frames = [parse_landing_file(LandingFile(key, text.encode()), DECLARED) for key, text in files]
    return pd.concat(frames, ignore_index=True)


def test_rows_without_y_carry_future_values_and_bad_values_say_why():
    batch = _batch(
        (
            "a.csv",
            "unique_id,ds,y,price,promo\n"
            "A,2024-01-01,1,2.5,true\n"  # an observation with its covariates
            "A,2024-01-02,2,abc,false\n"  # a bad price
            "A,2030-01-01,,3.0,1\n"  # a future row: covariates only
            "A,2030-01-02,,,\n"  # no y and no covariate: an observation lacking its value
            ",2030-01-03,,3.0,0\n"  # for every series
            ",2030-01-04,7,3.0,0\n",  # an observation without a series
        ),
        ("b.csv", "unique_id,ds,y\nB,2024-01-01,5\n"),  # a file without covariate columns
    )
    check = check_covariates(batch, DECLARED)
    assert check.covariate_only.tolist() == [False, False, True, False, True, False, False]
    assert set(check.reasons) == {1, 3, 5}
    assert check.reasons[1] == "covariates: price: not a number (price='abc', promo='false')"
    assert "price: missing value" in check.reasons[3]
    assert "an observation needs a series" in check.reasons[5]
    assert check.values.index.tolist() == [0, 2, 4]
    assert check.values[["price", "promo"]].to_numpy().tolist() == [
        [2.5, 1.0], [3.0, 1.0], [3.0, 0.0]
    ]  # fmt: skip
    assert check.values["unique_id"].tolist() == ["A", "A", None]
    assert check.values["ds"].tolist() == list(pd.to_datetime(["2024-01-01", "2030-01-01",
                                                                 "2030-01-03"]))  # fmt: skip
    outcome = check.outcome(len(batch))
    assert outcome.name == COVARIATES_VALID and not outcome.success
    assert outcome.failed_rows == {1, 3, 5} and outcome.row_reasons[1] == check.reasons[1]


def test_a_static_covariate_has_one_value_per_series():
    batch = _batch(
        ("a.csv", "unique_id,ds,y,region\nA,2024-01-01,1,north\nA,2024-01-02,2,south\n"),
        ("b.csv", "unique_id,ds,y,region\nB,2024-01-01,1,east\nB,2024-01-02,2,east\n"),
    )
    check = check_covariates(batch, DECLARED)
    assert set(check.reasons) == {0, 1}
    assert "several values for one series" in check.reasons[0]
    assert check.values["region"].tolist() == ["east", "east"]


def test_a_static_value_needs_a_series():
    batch = _batch(("a.csv", "unique_id,ds,y,price,region\n,2030-01-01,,2.0,north\n"))
    check = check_covariates(batch, DECLARED)
    assert "a static covariate (region) needs a series" in check.reasons[0]
    assert check.values.empty


def test_a_batch_without_covariate_columns_has_nothing_to_check():
    check = check_covariates(_batch(("b.csv", "unique_id,ds,y\nB,2024-01-01,5\n")), DECLARED)
    assert not check.covariate_only.any() and check.reasons == {} and check.values.empty
    assert check.outcome(1).success
