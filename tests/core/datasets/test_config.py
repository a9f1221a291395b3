"""A dataset's configuration: validation, defaults from the frequency, refused changes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.datasets import DatasetConfig, changes_refused, default_dataset_config
from core.settings import load_settings


def test_defaults_follow_the_frequency_unless_declared():
    monthly = DatasetConfig(name="revenue", frequency="MS")
    assert (monthly.effective_season_length, monthly.effective_horizon) == (12, 18)
    declared = DatasetConfig(name="revenue", frequency="MS", season_length=6, horizon=3)
    assert (declared.effective_season_length, declared.effective_horizon) == (6, 3)
    unknown = DatasetConfig(name="later")
    assert unknown.effective_season_length is None
    assert unknown.effective_horizon == 14


def test_the_stored_document_keeps_what_follows_the_frequency_unset():
    monthly = DatasetConfig(name="revenue", frequency="MS")
    document = monthly.settings_document()
    assert document["horizon"] is None and document["season_length"] is None
    assert "name" not in document and "frequency" not in document
    assert DatasetConfig.from_stored("revenue", "MS", document) == monthly
    # fixing the frequency later moves what follows it
    assert DatasetConfig.from_stored("revenue", "QS", document).effective_horizon == 8


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "Has Spaces"}, "pattern"),
        ({"name": "-lead"}, "pattern"),
        ({"frequency": "fortnightly"}, "not a pandas offset alias"),
        ({"horizon": 0}, "greater than or equal to 1"),
        ({"levels": [80, 100]}, r"in \(0, 100\)"),
        ({"levels": [80, 80]}, "repeat"),
        ({"max_bad_row_share": 1.5}, "less than or equal to 1"),
        ({"value_min": 5, "value_max": 1}, "above value_max"),
        ({"model_overrides": {"horizon": 3}}, "may not set"),
        ({"model_overrides": {"Bad-Name": 3}}, "identifiers"),
        ({"colour": "blue"}, "Extra inputs"),
    ],
)
def test_invalid_configurations_say_what_is_wrong(fields, message):
    with pytest.raises(ValidationError, match=message):
        DatasetConfig(**{"name": "ok", **fields})


def test_levels_are_sorted():
    assert DatasetConfig(name="ok", levels=[95, 50]).levels == (50.0, 95.0)


def test_live_changes_refuse_a_new_name_and_a_fixed_frequency():
    current = DatasetConfig(name="traffic", frequency="W")
    assert changes_refused(current, current.model_copy(update={"horizon": 4})) == {}
    refused = changes_refused(current, DatasetConfig(name="other", frequency="D"))
    assert set(refused) == {"name", "frequency"}
    assert "fixed at 'W-SUN'" in refused["frequency"]
    unfixed = DatasetConfig(name="traffic")
    assert changes_refused(unfixed, DatasetConfig(name="traffic", frequency="D")) == {}


def test_the_default_dataset_takes_the_global_settings():
    settings = load_settings(
        forecast_default_horizon=9, max_bad_row_share=0.2, min_history=30, value_min=0.0,
        retrain_new_data_share=0.3,
    )  # fmt: skip
    default = default_dataset_config(settings)
    assert default.name == "default" and default.frequency is None
    assert (default.horizon, default.max_bad_row_share, default.min_history) == (9, 0.2, 30)
    assert (default.value_min, default.retrain_new_data_share) == (0.0, 0.3)
    assert default.batch_forecasts_after_rollout is True


# -- covariates ---------------------------------------------------------------------------------
PRICE = {"name": "price", "type": "numeric", "kind": "known_in_advance"}
STORE = {"name": "store", "type": "categorical", "kind": "static", "categories": ["a", "b"]}


def test_declared_covariates_are_stored_and_read_back():
    config = DatasetConfig(name="retail", frequency="D", covariates=[PRICE, STORE])
    assert [c.name for c in config.covariates] == ["price", "store"]
    assert config.covariates[1].categories == ("a", "b")
    document = config.settings_document()
    assert document["covariates"][0] == {
        **PRICE,
        "country": None,
        "subdivision": None,
        "categories": [],
    }
    assert DatasetConfig.from_stored("retail", "D", document) == config
    # a document stored before covariates existed reads as none declared
    del document["covariates"]
    assert DatasetConfig.from_stored("retail", "D", document).covariates == ()


@pytest.mark.parametrize(
    ("covariates", "message"),
    [
        ([PRICE, PRICE], "declared twice"),
        ([{**PRICE, "name": "Price"}], "lowercase"),
        ([{**PRICE, "name": "series_id"}], "taken by the series"),
        ([{**PRICE, "name": "value"}], "taken by the series"),
        ([{**PRICE, "name": "y"}], "reserved"),
        ([{**PRICE, "kind": "sometimes"}], "kind must be one of"),
        ([{**PRICE, "type": "text"}], "type must be one of"),
        ([{"name": "holiday", "type": "boolean", "kind": "calendar"}], "needs a country"),
        ([{**PRICE, "colour": "red"}], "Unexpected keyword"),
    ],
)
def test_invalid_covariates_say_what_is_wrong(covariates, message):
    with pytest.raises(ValidationError, match=message):
        DatasetConfig(name="retail", covariates=covariates)


def test_a_live_dataset_takes_new_covariates_but_keeps_the_declared_ones():
    current = DatasetConfig(name="retail", frequency="D", covariates=[PRICE, STORE])
    more = {**STORE, "categories": ["a", "b", "c"]}
    added = current.model_copy(
        update={
            "covariates": DatasetConfig(
                name="x", covariates=[PRICE, more, {"name": "promo", "type": "boolean"}]
            ).covariates
        }
    )
    assert changes_refused(current, added) == {}

    def refused(*covariates):
        wanted = DatasetConfig(name="retail", frequency="D", covariates=covariates)
        return changes_refused(current, wanted).get("covariates", "")

    assert "cannot change its kind" in refused({**PRICE, "kind": "static"}, STORE)
    assert "cannot change its type" in refused({**PRICE, "type": "boolean"}, STORE)
    assert "cannot be removed" in refused(PRICE)
    assert "cannot drop categories ['b']" in refused(PRICE, {**STORE, "categories": ["a"]})
