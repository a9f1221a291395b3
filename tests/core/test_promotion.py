import pytest

from core.promotion import decide_promotion


def test_first_model_is_promoted_when_it_beats_naive():
    decision = decide_promotion(1.2, None, 1.5)
    assert decision.promote and "no champion yet" in decision.reason


def test_worse_than_naive_is_never_promoted():
    decision = decide_promotion(1.6, None, 1.5)
    assert not decision.promote and "seasonal naive" in decision.reason


def test_must_beat_the_champion():
    assert not decide_promotion(1.30, 1.25, 1.5).promote
    assert decide_promotion(1.20, 1.25, 1.5).promote


def test_margin_is_relative():
    assert not decide_promotion(1.24, 1.25, 1.5, margin=0.02).promote
    assert decide_promotion(1.22, 1.25, 1.5, margin=0.02).promote


def test_bad_margin_is_refused():
    with pytest.raises(ValueError, match="margin"):
        decide_promotion(1.0, 1.0, 1.0, margin=1.5)


def test_non_finite_challenger_is_refused():
    assert not decide_promotion(float("nan"), None, 1.5).promote
