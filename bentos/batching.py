"""Adaptive batching: concurrent forecast requests are predicted together in one model call.

BentoML's own batching takes a single argument per API, while `/forecast` takes a batch of
series plus a horizon and levels; this batcher is the equivalent for that shape. A request
never waits for a timer: when the model is idle the first request runs at once, and every
request that arrives while a prediction runs joins the next one (up to `max_series` series).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bentos.inference import ForecastInputError, forecast_jobs
from bentos.schemas import SeriesForecast, SeriesHistory

__all__ = ["ForecastBatcher", "ForecastJob"]

logger = logging.getLogger(__name__)


@dataclass
class ForecastJob:
    """One request's series, horizon and levels, and the future its answer goes to."""

    series: Sequence[SeriesHistory]
    horizon: int
    levels: tuple[int, ...]
    result: asyncio.Future[list[SeriesForecast]] = field(repr=False)


class ForecastBatcher:
    """Queue of forecast jobs drained by one task that predicts each drained group at once."""

    def __init__(
        self,
        model: Any,
        *,
        max_series: int,
        on_batch: Callable[[int, int], None] | None = None,
    ) -> None:
        self.model = model
        self.max_series = max_series
        self.on_batch = on_batch  # called with (requests, series) of every model call
        self._queue: asyncio.Queue[ForecastJob | None] | None = None
        self._worker: asyncio.Task[None] | None = None
        # The model is used by one call at a time (mlforecast refits its target transforms
        # on the history each call is given): batched forecasts and `exclusive` calls.
        self._model_lock = threading.Lock()

    def exclusive(self, call: Callable[..., Any], *args: Any) -> Any:
        """Run `call(self.model, *args)` with the model to itself (from a worker thread)."""
        with self._model_lock:
            return call(self.model, *args)

    async def submit(
        self, series: Sequence[SeriesHistory], horizon: int, levels: Sequence[int]
    ) -> list[SeriesForecast]:
        """Forecast one request's series; raises `ForecastInputError` for its bad input."""
        if self._worker is None or self._worker.done():
            # Created lazily: the queue and task must live in the serving event loop.
            self._queue = asyncio.Queue()
            self._worker = asyncio.get_running_loop().create_task(self._drain())
        assert self._queue is not None
        future = asyncio.get_running_loop().create_future()
        await self._queue.put(ForecastJob(series, horizon, tuple(levels), future))
        return await future

    def retire(self) -> None:
        """Stop the drain task once the requests already queued are answered, so a model
        swapped out (`bentos.served_models`) is freed. Call it from the serving event loop."""
        if self._queue is not None and self._worker is not None and not self._worker.done():
            self._queue.put_nowait(None)  # the stop mark

    def _take_batch(self, first: ForecastJob) -> list[ForecastJob]:
        assert self._queue is not None
        batch, size = [first], len(first.series)
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if job is None:  # retired: answer what came before, then stop
                self._queue.put_nowait(None)
                break
            batch.append(job)
            size += len(job.series)
            if size >= self.max_series:
                break
        return batch

    async def _drain(self) -> None:
        assert self._queue is not None
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch = self._take_batch(first)
            groups: dict[tuple[int, tuple[int, ...]], list[ForecastJob]] = {}
            for job in batch:
                groups.setdefault((job.horizon, job.levels), []).append(job)
            for jobs in groups.values():
                await self._predict_group(jobs)

    async def _predict_group(self, jobs: list[ForecastJob]) -> None:
        horizon, levels = jobs[0].horizon, jobs[0].levels
        if self.on_batch is not None:
            self.on_batch(len(jobs), sum(len(job.series) for job in jobs))
        try:
            answers = await asyncio.to_thread(
                self.exclusive, forecast_jobs, [job.series for job in jobs], horizon, levels
            )
        except ForecastInputError as error:
            if len(jobs) == 1:
                _settle(jobs[0], error=error)
                return
            # One request's bad history must not fail the others: retry them one by one.
            for job in jobs:
                await self._predict_group([job])
            return
        except Exception as error:  # surfaced to each waiting request as a server error
            logger.exception("prediction of a batch of %d requests failed", len(jobs))
            for job in jobs:
                _settle(job, error=error)
            return
        for job, answer in zip(jobs, answers, strict=True):
            _settle(job, answer=answer)


def _settle(
    job: ForecastJob,
    *,
    answer: list[SeriesForecast] | None = None,
    error: BaseException | None = None,
) -> None:
    if job.result.done():  # the client went away and its request was cancelled
        return
    if error is not None:
        job.result.set_exception(error)
    else:
        job.result.set_result(answer or [])
