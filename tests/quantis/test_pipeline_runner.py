"""What `run_pipeline` reports of a failed step (the error the asset raised, not Dagster's
wrapper that names only the op), and the signal dispositions it leaves behind."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg

from core.settings import REPO_ROOT
from quantis.pipeline_runner import _root_cause, failed_check


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


@dg.asset(
    check_specs=[
        dg.AssetCheckSpec("regular_frequency", asset="panel"),
        dg.AssetCheckSpec("enough_history", asset="panel"),
    ]
)
def panel():
    yield dg.Output(None)
    yield dg.AssetCheckResult(
        check_name="regular_frequency",
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"checked_series": 7, "failed_series": 1, "examples": "web-9", "detail": ""},
    )
    yield dg.AssetCheckResult(check_name="enough_history", passed=True)


def test_a_check_that_did_not_pass_says_what_it_excluded():
    """`quantis up` shows each check that did not pass with the series it excluded (a
    series left out of training was otherwise seen only in the Dagster UI)."""
    result = dg.materialize([panel])
    evaluations = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    assert [failed_check(e) for e in evaluations] == [
        "panel regular_frequency (WARN): failed series: 1; examples: web-9",
        None,
    ]


_BACKGROUND_RUN = """
import signal
import dagster as dg
from core.processes import sigterm_kept

@dg.asset
def quick() -> None:
    pass

def on_term(*_):
    pass

signal.signal(signal.SIGINT, signal.SIG_IGN)  # a background job of a script
for kept in (False, True):
    signal.signal(signal.SIGTERM, on_term)
    if kept:
        with sigterm_kept():
            dg.materialize([quick])
    else:
        dg.materialize([quick])
    print(kept, signal.getsignal(signal.SIGTERM) is on_term)
"""


def test_a_run_leaves_sigterm_as_it_found_it_though_dagster_changes_it():
    """Dagster sets SIGTERM to SIGINT's disposition (ignored in a background job) and leaves
    it so; `run_pipeline` puts it back, or `kill` would no longer stop `quantis up &`."""
    result = subprocess.run(
        [sys.executable, "-c", _BACKGROUND_RUN],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # Without the guard Dagster's change stays (the cause); with it SIGTERM is as before.
    assert result.stdout.splitlines() == ["False False", "True True"]
