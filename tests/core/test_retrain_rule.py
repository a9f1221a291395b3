"""The retrain rule the new-data sensor and `quantis up` share."""

from __future__ import annotations

from core.retrain_rule import ChampionData, retrain_decision

CHAMPION = ChampionData("3", "abc")


def test_more_new_data_than_the_threshold_retrains():
    decision = retrain_decision(new_row_share=0.25, min_new_share=0.1)
    assert decision.retrain and "25.0% is above 10%" in decision.reason


def test_the_threshold_itself_does_not_retrain():
    assert not retrain_decision(new_row_share=0.1, min_new_share=0.1).retrain


def test_the_champions_own_data_never_retrains_unless_forced():
    same = {"new_row_share": 1.0, "min_new_share": 0.1, "data_fingerprint": "abc"}
    decision = retrain_decision(**same, champion=CHAMPION)
    assert not decision.retrain and "champion version 3" in decision.reason
    assert retrain_decision(**same, champion=CHAMPION, forced=True).retrain


def test_other_data_than_the_champions_follows_the_share():
    other = {"data_fingerprint": "def", "champion": CHAMPION, "min_new_share": 0.1}
    assert retrain_decision(new_row_share=0.5, **other).retrain
    assert not retrain_decision(new_row_share=0.01, **other).retrain
