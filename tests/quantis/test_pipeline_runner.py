"""What `run_pipeline` reports of a failed step: the error the asset raised, not Dagster's
wrapper that names only the op."""

from __future__ import annotations

import dagster as dg

from quantis.pipeline_runner import _root_cause


class BrokenStore(RuntimeError):
    pass


@dg.asset
def failing_asset() -> None:
    raise BrokenStore("Logged model with ID 'm-1' not found.")


def test_a_step_failure_reports_what_the_asset_raised():
    result = dg.materialize([failing_asset], raise_on_error=False)
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error = failure.event_specific_data.error
    assert "failing_asset" in error.message and "m-1" not in error.message  # the wrapper
    assert _root_cause(error) == (
        "tests.quantis.test_pipeline_runner.BrokenStore: Logged model with ID 'm-1' not found."
    )


def test_no_error_info_reads_failed():
    assert _root_cause(None) == "failed"
