from models.config import default_config
from orchestration.defs.training.assets import _overrides, default_horizon
from orchestration.defs.training.config import TrainingConfig


def test_launchpad_fields_override_only_what_was_set():
    base = default_config("QS", 4, 8).lgb_params
    overrides = _overrides(TrainingConfig(learning_rate=0.1, num_boost_round=50), "cpu", base)
    assert overrides["num_boost_round"] == 50 and overrides["device"] == "cpu"
    assert overrides["lgb_params"] == {**base, "learning_rate": 0.1}
    assert _overrides(TrainingConfig(), "auto", base) == {"device": "auto"}


def test_default_horizon_is_two_seasons():
    assert (default_horizon(12), default_horizon(4), default_horizon(1)) == (24, 8, 4)
