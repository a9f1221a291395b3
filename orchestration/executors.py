"""How Dagster runs the steps of a run, chosen once from the `executor` setting.

- `in_process`: every step in the orchestrating process (the default on one machine).
- `multiprocess`: a process per step; with `StepScratch` each works in its own folder.
- `k8s`: a pod per step (dagster-k8s `k8s_job_executor`); the training step's op tags put
  its pod on the spot GPU pool, and its retry policy re-runs it after a preemption.
"""

from __future__ import annotations

import dagster as dg

from core.settings import Settings

__all__ = ["executor_for"]


def executor_for(settings: Settings) -> dg.ExecutorDefinition:
    if settings.executor == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor.configured(
            {"max_concurrent": settings.executor_max_concurrent}, name="k8s"
        )
    if settings.executor == "multiprocess":
        return dg.multiprocess_executor.configured(
            {"max_concurrent": settings.executor_max_concurrent}, name="multiprocess"
        )
    return dg.in_process_executor
