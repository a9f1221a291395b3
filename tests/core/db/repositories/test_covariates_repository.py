"""Covariate values: upserts and reads per dataset on both backends (the `session` fixture
runs on SQLite and, marked `postgres`, on PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy.exc import IntegrityError

from core.covariates import Covariate
from core.datasets import DatasetConfig
from core.db.errors import RecordNotFoundError
from core.db.repositories import covariates as store
from core.db.repositories.datasets import create_dataset
from core.db.repositories.series import create_series, delete_series, series_ids_by_name
from core.db.repositories.upserts import UpsertResult
from core.db.tables import CovariateValue

PRICE = Covariate("price")
PROMO = Covariate("promo", "boolean")
EVENT = Covariate("event", "categorical")
REGION = Covariate("region", "categorical", "static")
SIZE = Covariate("size", kind="static")
DECLARED = (PRICE, PROMO, EVENT, REGION, SIZE)


def _dynamic(names, days, price=1.0) -> pd.DataFrame:
    ds = pd.date_range("2026-01-01", periods=days, freq="D")
    rows = [(n, d, price + i, float(i % 2), f"e{i}") for n in names for i, d in enumerate(ds)]
    return pd.DataFrame(rows, columns=["unique_id", "ds", "price", "promo", "event"])


def test_time_varying_values_upsert_and_read_back_by_series_and_range(session):
    retail = create_dataset(session, DatasetConfig(name="retail", frequency="D")).id
    first = store.upsert_covariate_values(
        session, _dynamic(["a", "b"], 3), DECLARED, dataset_id=retail, create_missing_series=True
    )
    assert first == UpsertResult(inserted=18, updated=0)  # 2 series x 3 days x 3 covariates
    again = store.upsert_covariate_values(
        session, _dynamic(["a"], 5, price=10.0), DECLARED, dataset_id=retail
    )
    assert again == UpsertResult(inserted=6, updated=9)
    session.commit()
    read = store.read_covariate_values(
        session, DECLARED, dataset_id=retail, series_names=["a"],
        start=datetime(2026, 1, 2), end=datetime(2026, 1, 5),
    )  # fmt: skip
    assert list(read.columns) == ["unique_id", "ds", "price", "promo", "event"]
    assert read["ds"].tolist() == list(pd.date_range("2026-01-02", periods=4, freq="D"))
    assert read["price"].tolist() == [11.0, 12.0, 13.0, 14.0]
    assert read["promo"].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert read["event"].tolist() == ["e1", "e2", "e3", "e4"]
    every = store.read_covariate_values(session, DECLARED, dataset_id=retail)
    assert every.groupby("unique_id").size().to_dict() == {"a": 5, "b": 3}
    assert every.loc[every["unique_id"] == "b", "price"].tolist() == [1.0, 2.0, 3.0]


def test_static_values_are_one_per_series_and_update_in_place(session):
    retail = create_dataset(session, DatasetConfig(name="retail")).id
    frame = pd.DataFrame(
        {"unique_id": ["a", "a", "b"], "region": ["north", "north", "south"],
         "size": [3.0, 3.0, 5.0]}
    )  # fmt: skip
    stored = store.store_covariates(
        session, frame, DECLARED, dataset_id=retail, create_missing_series=True
    )
    assert stored.static == UpsertResult(inserted=4, updated=0)
    assert stored.values == UpsertResult(0, 0)
    changed = frame.iloc[[2]].assign(region="east")
    assert store.upsert_static_covariates(session, changed, DECLARED, dataset_id=retail) == (
        UpsertResult(inserted=0, updated=2)
    )
    read = store.read_static_covariates(session, DECLARED, dataset_id=retail)
    assert read.to_dict("records") == [
        {"unique_id": "a", "region": "north", "size": 3.0},
        {"unique_id": "b", "region": "east", "size": 5.0},
    ]
    with pytest.raises(ValueError, match="several values for series 'a'"):
        store.upsert_static_covariates(
            session, frame.assign(size=[3.0, 4.0, 5.0]), DECLARED, dataset_id=retail
        )


def test_datasets_keep_their_own_values(session):
    one = create_dataset(session, DatasetConfig(name="one")).id
    two = create_dataset(session, DatasetConfig(name="two")).id
    store.upsert_covariate_values(
        session, _dynamic(["a"], 2), DECLARED, dataset_id=one, create_missing_series=True
    )
    store.upsert_covariate_values(
        session, _dynamic(["a"], 2, price=50.0), DECLARED, dataset_id=two,
        create_missing_series=True,
    )  # fmt: skip
    assert store.read_covariate_values(session, DECLARED, dataset_id=one)["price"].tolist() == [
        1.0, 2.0,
    ]  # fmt: skip
    assert store.read_covariate_values(session, DECLARED, dataset_id=two)["price"].tolist() == [
        50.0, 51.0,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (_dynamic(["a"], 2).assign(price=[1.0, float("inf")]), "not a finite number"),
        (_dynamic(["a"], 2).assign(event=["x", None]), "missing value"),
        (pd.concat([_dynamic(["a"], 2)] * 2), "repeated key"),
        (_dynamic(["a"], 2).assign(colour="red"), r"undeclared covariates \['colour'\]"),
    ],
)
def test_bad_values_are_refused_before_anything_is_written(session, frame, message):
    create_series(session, "a")
    with pytest.raises(ValueError, match=message):
        store.upsert_covariate_values(session, frame, DECLARED)
    assert session.query(CovariateValue).count() == 0


def test_unknown_series_raise_unless_created(session):
    with pytest.raises(RecordNotFoundError, match="unknown series: a"):
        store.upsert_covariate_values(session, _dynamic(["a"], 1), DECLARED)
    with pytest.raises(RecordNotFoundError):
        store.read_static_covariates(session, DECLARED, series_names=["nowhere"])


def test_a_value_is_a_number_or_a_category_never_both(session):
    series = create_series(session, "a")
    session.add(
        CovariateValue(series_id=series.id, ts=datetime(2026, 1, 1), name="price", value=1.0,
                       category="x")
    )  # fmt: skip
    with pytest.raises(IntegrityError):
        session.flush()


def test_values_go_with_their_series(session):
    store.upsert_covariate_values(session, _dynamic(["a"], 2), DECLARED, create_missing_series=True)
    store.upsert_static_covariates(
        session, pd.DataFrame({"unique_id": ["a"], "size": [1.0]}), DECLARED
    )
    session.commit()
    delete_series(session, series_ids_by_name(session, ["a"])["a"])
    session.commit()
    assert store.read_covariate_values(session, DECLARED).empty
    assert store.read_static_covariates(session, DECLARED).empty


def test_a_history_gets_its_stored_values_joined_on(session):
    retail = create_dataset(session, DatasetConfig(name="retail", frequency="D")).id
    store.upsert_covariate_values(
        session, _dynamic(["a", "b"], 3), DECLARED, dataset_id=retail, create_missing_series=True
    )
    static = pd.DataFrame({"unique_id": ["a"], "region": ["north"], "size": [3.0]})
    store.upsert_static_covariates(session, static, DECLARED, dataset_id=retail)
    session.commit()
    panel = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b"],
            "ds": pd.to_datetime(["2026-01-02", "2026-01-04", "2026-01-01"]),
            "y": [1.0, 2.0, 3.0],
        }
    )
    joined = store.with_stored_covariates(session, panel, DECLARED, dataset_id=retail)
    assert joined["price"].tolist()[0] == 2.0 and joined["price"].tolist()[2] == 1.0
    assert pd.isna(joined["price"].iloc[1])  # nothing stored for a on the 4th
    assert joined["region"].tolist()[:2] == ["north", "north"] and pd.isna(joined["region"][2])
    assert joined["event"].tolist()[0] == "e1"
    pd.testing.assert_frame_equal(joined[["unique_id", "ds", "y"]], panel)
    assert store.with_stored_covariates(session, panel, (), dataset_id=retail) is panel


def test_values_for_every_series_are_stored_per_dataset_and_read_after_the_series(session):
    retail = create_dataset(session, DatasetConfig(name="retail", frequency="D")).id
    other = create_dataset(session, DatasetConfig(name="other", frequency="D")).id
    everyone = _dynamic([None], 3, price=5.0)
    first = store.upsert_covariate_values(session, everyone, DECLARED, dataset_id=retail)
    assert first == UpsertResult(inserted=9, updated=0)  # 3 days x 3 covariates, no series
    again = store.upsert_covariate_values(
        session, everyone.drop(columns="unique_id").assign(price=7.0), DECLARED, dataset_id=retail
    )
    assert again == UpsertResult(inserted=0, updated=9)
    store.upsert_covariate_values(
        session, _dynamic(["a"], 1), DECLARED, dataset_id=retail, create_missing_series=True
    )
    session.commit()
    assert session.query(CovariateValue).count() == 3  # only the series' own row
    read = store.read_covariate_values(session, DECLARED, dataset_id=retail, series_names=["a"])
    assert read["unique_id"].tolist() == ["a", None, None, None]
    assert read["price"].tolist() == [1.0, 7.0, 7.0, 7.0]
    assert read["event"].tolist() == ["e0", "e0", "e1", "e2"]
    ranged = store.read_covariate_values(
        session, DECLARED, dataset_id=retail, start=datetime(2026, 1, 2), own=False
    )
    assert ranged["ds"].tolist() == list(pd.date_range("2026-01-02", periods=2, freq="D"))
    own = store.read_covariate_values(session, DECLARED, dataset_id=retail, shared=False)
    assert own["unique_id"].tolist() == ["a"]
    assert store.read_covariate_values(session, DECLARED, dataset_id=other).empty
    panel = pd.DataFrame(
        {"unique_id": ["a", "a", "b"], "ds": pd.to_datetime(["2026-01-01", "2026-01-02",
         "2026-01-03"]), "y": [1.0, 2.0, 3.0]}
    )  # fmt: skip
    create_series(session, "b", dataset_id=retail)
    joined = store.with_stored_covariates(session, panel, DECLARED, dataset_id=retail)
    assert joined["price"].tolist() == [1.0, 7.0, 7.0]  # a series' own value wins
    with pytest.raises(ValueError, match="static covariate row must name its series"):
        store.upsert_static_covariates(
            session, pd.DataFrame({"unique_id": [None], "size": [1.0]}), DECLARED
        )
