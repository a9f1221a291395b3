"""Ingestion assets: landing files -> validated staged batch -> operational DB + panel snapshot."""

import dataclasses
import io

import dagster as dg
import pandas as pd

from core.db.repositories.covariates import with_stored_covariates
from core.db.repositories.landing_files import mark_files_loaded
from core.db.repositories.observations import first_observation_times, read_panel, upsert_panel
from core.db.repositories.quarantine import quarantine_frame
from core.db.repositories.series import record_inferred_frequency
from orchestration.contracts import PanelSnapshot, StagedBatch
from orchestration.datasets import dataset_names, dataset_partitions, dataset_scope
from orchestration.defs.ingestion.covariates import (
    COVARIATES_VALID,
    check_covariates,
    store_landed_covariates,
)
from orchestration.defs.ingestion.expectations import (
    FREQUENCY_GRID,
    ExpectationOutcome,
    frequency_grid_outcome,
    run_observation_suite,
)
from orchestration.defs.ingestion.panel import (
    PANEL_CHECKS,
    panel_fingerprint,
    screen_series,
    write_panel_snapshot,
)
from orchestration.defs.ingestion.pickup import pick_up_new_files
from orchestration.defs.ingestion.quarantine import split_batch
from orchestration.resources import (
    LandingArea,
    ObjectStorage,
    OperationalDatabase,
    PipelinePolicy,
    StepScratch,
)

__all__ = ["observations", "staged_observations"]

BATCH_CHECKS = {
    "schema": "The batch has the unique_id, ds and y columns.",
    "series_id_not_null": "Every row names its series.",
    "timestamp_valid": "Every timestamp parses.",
    "value_numeric": "Every value is a number.",
    "value_in_bounds": "Every value is finite and within the configured bounds.",
    "no_duplicate_timestamps": "No (series, timestamp) appears twice in the batch.",
    FREQUENCY_GRID: "Every timestamp is on the dataset's frequency grid.",
    COVARIATES_VALID: "Every declared covariate value is present, typed, finite and known; "
    "no undeclared column.",
}


def _on_batch_rows(outcome: ExpectationOutcome, rows: pd.Index) -> ExpectationOutcome:
    """An outcome over a part of the batch (its rows at positions 0..n-1) on the batch's rows."""
    return dataclasses.replace(
        outcome, failed_rows=frozenset(int(rows[i]) for i in outcome.failed_rows)
    )


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


@dg.asset(
    group_name="ingestion",
    description="The dataset's new landing files (`<landing>/<dataset>/`; the landing root for "
    "`default`), parsed and validated with Great Expectations and the dataset's frequency "
    "grid; bad rows quarantined, good rows staged in object storage.",
    dagster_type=StagedBatch,
    partitions_def=dataset_partitions,
    check_specs=[
        dg.AssetCheckSpec(name, asset="staged_observations", blocking=True, description=text)
        for name, text in BATCH_CHECKS.items()
    ],
)
def staged_observations(
    context: dg.AssetExecutionContext,
    database: OperationalDatabase,
    landing: LandingArea,
    storage: ObjectStorage,
    policy: PipelinePolicy,
    scratch: StepScratch,  # the step works in a folder of its own (see StepScratch)
):
    run_id = context.run.run_id
    dataset = dataset_scope(context, database)
    rules = dataset.config
    known = dataset_names(database)
    with database.session() as session:
        picked = pick_up_new_files(session, landing.open(), dataset.name, known, rules.covariates)
    batch = picked.batch
    for key, reason in picked.quarantined_files:
        context.log.warning("Quarantined unreadable file %s: %s", key, reason)
    if batch.empty:
        good = pd.DataFrame({"unique_id": [], "ds": pd.to_datetime([]), "y": []})
        bad = good.assign(source_file=[], expectation=[], reason=[])
        outcomes, covariate_values = [], pd.DataFrame()
    else:
        covariates = check_covariates(batch, rules.covariates)
        observed = batch[~covariates.covariate_only]  # rows without y: covariate values only
        outcomes = [
            _on_batch_rows(outcome, observed.index)
            for outcome in (
                run_observation_suite(
                    observed.reset_index(drop=True),
                    value_min=rules.value_min,
                    value_max=rules.value_max,
                )
                if len(observed)
                else []
            )
        ]
        with database.session() as session:
            anchors = first_observation_times(session, dataset.id)
        outcomes.append(frequency_grid_outcome(batch, rules.frequency, anchors))
        outcomes.append(covariates.outcome(len(batch)))
        good, bad = split_batch(batch, outcomes)
        values = covariates.values
        covariate_values = values[values.index.isin(good.index)] if len(values) else values
        good = good[~covariates.covariate_only[good.index]]
    with database.session() as session:
        for source, rows in bad.groupby("source_file", sort=False):
            quarantine_frame(
                session,
                rows.assign(ds=rows["ds_raw"], y=rows["y_raw"]),
                source=str(source),
                run_id=run_id,
                dataset_id=dataset.id,
            )
    staging_key = f"staging/{dataset.name}/{run_id}.parquet"
    storage.open().put_bytes(staging_key, _parquet_bytes(good[["unique_id", "ds", "y"]]))
    covariates_key = None
    if len(covariate_values):
        covariates_key = f"staging/{dataset.name}/{run_id}.covariates.parquet"
        storage.open().put_bytes(covariates_key, _parquet_bytes(covariate_values))
    share = len(bad) / len(batch) if len(batch) else 0.0
    too_many = share > rules.max_bad_row_share
    staged = StagedBatch(
        staging_key=staging_key,
        files=tuple(picked.files),
        rows_in=len(batch),
        good_rows=len(good),
        quarantined_rows=len(bad),
        quarantined_files=tuple(key for key, _ in picked.quarantined_files),
        covariates_key=covariates_key,
        covariate_rows=len(covariate_values),
    )
    yield dg.Output(
        staged,
        metadata=staged.metadata()
        | {
            "files_read": len(picked.files),
            "files_quarantined": len(picked.quarantined_files),
            "bad_row_share": float(share),
            "max_bad_row_share": rules.max_bad_row_share,
            "dataset": dataset.name,
        },
    )
    by_name = {o.name: o for o in outcomes}
    for name in BATCH_CHECKS:
        outcome = by_name.get(name)
        failed = len(outcome.failed_rows) if outcome else 0
        yield dg.AssetCheckResult(
            check_name=name,
            passed=outcome.success if outcome else True,
            severity=dg.AssetCheckSeverity.ERROR if too_many else dg.AssetCheckSeverity.WARN,
            metadata={
                "checked_rows": len(batch),
                "failed_rows": failed,
                "bad_row_share_of_batch": float(share),
                "max_bad_row_share": rules.max_bad_row_share,
            },
        )


@dg.asset(
    group_name="ingestion",
    description="Good staged rows upserted into the dataset's series in the operational DB "
    "(idempotent on series + timestamp) and the dataset's curated panel snapshot written to "
    "object storage as Parquet.",
    dagster_type=PanelSnapshot,
    partitions_def=dataset_partitions,
    check_specs=[
        dg.AssetCheckSpec(name, asset="observations", blocking=True, description=text)
        for name, text in PANEL_CHECKS.items()
    ],
)
def observations(
    context: dg.AssetExecutionContext,
    staged_observations: StagedBatch,
    database: OperationalDatabase,
    storage: ObjectStorage,
    policy: PipelinePolicy,
    scratch: StepScratch,  # the step works in a folder of its own (see StepScratch)
):
    store = storage.open()
    dataset = dataset_scope(context, database)
    rules = dataset.config
    staged = pd.read_parquet(io.BytesIO(store.get_bytes(staged_observations.staging_key)))
    with database.session() as session:
        result = (
            upsert_panel(session, staged, frequency=rules.frequency, dataset_id=dataset.id)
            if len(staged)
            else None
        )
        covariates = (
            store_landed_covariates(
                session,
                pd.read_parquet(io.BytesIO(store.get_bytes(staged_observations.covariates_key))),
                rules.covariates,
                dataset_id=dataset.id,
                frequency=rules.frequency,
            )
            if staged_observations.covariates_key
            else None
        )
        mark_files_loaded(session, list(staged_observations.files), run_id=context.run.run_id)
    # The declared static and known-in-advance covariates' stored values, a column each, on
    # the panel the model trains on; a series lacking one on some date is screened out below.
    valued = [c.name for c in rules.covariates if c.kind != "calendar"]
    with database.session() as session:
        panel = read_panel(session, dataset_id=dataset.id)
        panel = with_stored_covariates(session, panel, rules.covariates, dataset_id=dataset.id)
    screening = screen_series(
        panel,
        min_history=rules.min_history,
        frequency=rules.frequency,
        season_length=rules.season_length,
        covariates=valued if len(panel) else (),
    )
    if screening.freq and len(panel):
        # What ingestion inferred is what the series page shows (not "not set"); only the
        # series that are regular at that frequency get it, and a set frequency is kept.
        irregular = set(screening.excluded.get("regular_frequency", []))
        regular = [name for name in panel["unique_id"].unique() if name not in irregular]
        with database.session() as session:
            record_inferred_frequency(session, regular, screening.freq, dataset_id=dataset.id)
    snapshot_key = write_panel_snapshot(store, panel, run_id=context.run.run_id)
    inserted = result.inserted if result else 0
    snapshot = PanelSnapshot(
        snapshot_key=snapshot_key,
        fingerprint=panel_fingerprint(panel, valued if len(panel) else ()),
        freq=screening.freq,
        season_length=screening.season_length,
        training_series=tuple(screening.training_series),
        inserted=inserted,
        new_row_share=inserted / len(panel) if len(panel) else 0.0,
    )
    yield dg.Output(
        snapshot,
        metadata=snapshot.metadata()
        | {
            "rows_inserted": inserted,
            "rows_updated": result.updated if result else 0,
            "covariate_values_inserted": covariates.inserted if covariates else 0,
            "covariate_values_updated": covariates.updated if covariates else 0,
            "panel_rows": len(panel),
            "series": int(panel["unique_id"].nunique()) if len(panel) else 0,
            "training_series_count": len(screening.training_series),
            "frequency": screening.freq or "",
            "snapshot": store.uri(snapshot_key),
            "dataset": dataset.name,
        }
        | ({"covariates": ", ".join(valued)} if valued else {}),
    )
    yield from screening.check_results(rules.max_bad_row_share)
