"""Ingestion assets: landing files -> validated staged batch -> operational DB + panel snapshot."""

import io

import dagster as dg
import pandas as pd

from core.db.repositories.landing_files import mark_files_loaded
from core.db.repositories.observations import first_observation_times
from core.db.repositories.series import record_inferred_frequency
from orchestration.contracts import PanelSnapshot, StagedBatch
from orchestration.datasets import dataset_names, dataset_partitions, dataset_scope
from orchestration.defs.ingestion.covariates import COVARIATES_VALID, store_landed_covariates
from orchestration.defs.ingestion.curated import curate_panel
from orchestration.defs.ingestion.expectations import FREQUENCY_GRID
from orchestration.defs.ingestion.panel import PANEL_CHECKS
from orchestration.defs.ingestion.pickup import pick_up_new_files
from orchestration.defs.ingestion.staging import stage_batch, upsert_staged
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
    landing_store, store = landing.open(), storage.open()
    with database.session() as session:
        picked = pick_up_new_files(
            session, landing_store, dataset.name, known, rules.covariates,
            chunk_rows=policy.landing_chunk_rows,
        )  # fmt: skip
        anchors = first_observation_times(session, dataset.id)
    for key, reason in picked.quarantined_files:
        context.log.warning("Quarantined unreadable file %s: %s", key, reason)
    with database.session() as session:  # the quarantined rows of every chunk, or none
        result = stage_batch(
            session, picked, landing_store, store, rules, anchors,
            dataset=dataset.name, dataset_id=dataset.id, run_id=run_id,
        )  # fmt: skip
    share = result.bad_rows / result.rows_in if result.rows_in else 0.0
    too_many = share > rules.max_bad_row_share
    staged = StagedBatch(
        staging_key=result.staging_key,
        files=tuple(picked.files),
        rows_in=result.rows_in,
        good_rows=result.good_rows,
        quarantined_rows=result.bad_rows,
        quarantined_files=tuple(key for key, _ in picked.quarantined_files),
        covariates_key=result.covariates_key,
        covariate_rows=result.covariate_rows,
        staging_parts=result.parts,
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
            "chunks": result.chunks,
        },
    )
    for name in BATCH_CHECKS:
        yield dg.AssetCheckResult(
            check_name=name,
            passed=result.tally.passed.get(name, True),
            severity=dg.AssetCheckSeverity.ERROR if too_many else dg.AssetCheckSeverity.WARN,
            metadata={
                "checked_rows": result.rows_in,
                "failed_rows": result.tally.failed.get(name, 0),
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
    with database.session() as session:
        result = upsert_staged(
            session, store, staged_observations.parts, frequency=rules.frequency,
            dataset_id=dataset.id,
        )  # fmt: skip
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
    # the panel the model trains on; a series lacking one on some date is screened out. The
    # panel is read, screened and written a group of whole series at a time (curated.py).
    valued = [c.name for c in rules.covariates if c.kind != "calendar"]
    curated = curate_panel(
        database.session, store, scratch.folder("panel"), rules, dataset_id=dataset.id,
        run_id=context.run.run_id, group_rows=policy.landing_chunk_rows,
    )  # fmt: skip
    screening = curated.screening
    if screening.freq and curated.rows:
        # What ingestion inferred is what the series page shows (not "not set"); only the
        # series that are regular at that frequency get it, and a set frequency is kept.
        irregular = set(screening.excluded.get("regular_frequency", []))
        regular = [name for name in curated.series if name not in irregular]
        with database.session() as session:
            record_inferred_frequency(session, regular, screening.freq, dataset_id=dataset.id)
    inserted = result.inserted if result else 0
    snapshot = PanelSnapshot(
        snapshot_key=curated.snapshot_key,
        fingerprint=curated.fingerprint,
        freq=screening.freq,
        season_length=screening.season_length,
        training_series=tuple(screening.training_series),
        inserted=inserted,
        new_row_share=inserted / curated.rows if curated.rows else 0.0,
    )
    yield dg.Output(
        snapshot,
        metadata=snapshot.metadata()
        | {
            "rows_inserted": inserted,
            "rows_updated": result.updated if result else 0,
            "covariate_values_inserted": covariates.inserted if covariates else 0,
            "covariate_values_updated": covariates.updated if covariates else 0,
            "panel_rows": curated.rows,
            "series": len(curated.series),
            "panel_parts": curated.parts,
            "training_series_count": len(screening.training_series),
            "frequency": screening.freq or "",
            "snapshot": store.uri(curated.snapshot_key),
            "dataset": dataset.name,
        }
        | ({"covariates": ", ".join(valued)} if valued else {}),
    )
    yield from screening.check_results(rules.max_bad_row_share)
