"""Adaptive batching: concurrent requests share model calls; a bad one fails alone."""

from __future__ import annotations

import asyncio

from test_inference import history

from bentos.batching import ForecastBatcher
from bentos.inference import ForecastInputError, forecast_histories


def _run_concurrently(batcher: ForecastBatcher, jobs):
    async def main():
        return await asyncio.gather(
            *(batcher.submit(series, 3, [80]) for series in jobs), return_exceptions=True
        )

    return asyncio.run(main())


def test_concurrent_requests_are_predicted_in_fewer_calls(tiny_model):
    calls: list[tuple[int, int]] = []
    batcher = ForecastBatcher(
        tiny_model, max_series=100, on_batch=lambda r, s: calls.append((r, s))
    )
    jobs = [[history(f"r{i}", f"s{i % 6:05d}")] for i in range(8)]
    answers = _run_concurrently(batcher, jobs)
    assert sum(requests for requests, _ in calls) == 8
    assert len(calls) < 8, calls  # the requests queued behind the first one share a call
    for job, answer in zip(jobs, answers, strict=True):
        assert answer == forecast_histories(tiny_model, job, 3, [80])


def test_one_bad_request_does_not_fail_the_others_in_its_batch(tiny_model):
    batcher = ForecastBatcher(tiny_model, max_series=100)
    jobs = [[history("ok-1")], [history("bad", drop=40)], [history("ok-2", "s00003")]]
    answers = _run_concurrently(batcher, jobs)
    assert isinstance(answers[1], ForecastInputError)
    assert answers[0][0].id == "ok-1" and answers[2][0].id == "ok-2"


def test_batches_stop_growing_at_max_series(tiny_model):
    calls: list[tuple[int, int]] = []
    batcher = ForecastBatcher(tiny_model, max_series=2, on_batch=lambda r, s: calls.append((r, s)))
    _run_concurrently(batcher, [[history(f"r{i}")] for i in range(6)])
    assert max(series for _, series in calls) <= 2


def test_errors_that_are_not_the_inputs_fault_reach_every_waiting_request():
    class Broken:
        class config:
            freq = "D"

        def predict(self, *args, **kwargs):
            raise RuntimeError("model exploded")

    answers = _run_concurrently(ForecastBatcher(Broken(), max_series=10), [[history("a")]] * 2)
    assert [str(a) for a in answers] == ["model exploded", "model exploded"]
