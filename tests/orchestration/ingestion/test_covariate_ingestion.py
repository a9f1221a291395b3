"""Landing files with covariate columns, through the ingestion job: declared covariates are
stored (future values too, and values for every series), a bad value quarantines its row with the reason, an undeclared
column quarantines the file."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from core.datasets import DatasetConfig
from core.db.engine import make_engine, session_scope
from core.db.repositories.covariates import read_covariate_values, read_static_covariates
from core.db.repositories.datasets import create_dataset
from core.db.repositories.observations import read_panel
from core.db.tables import QuarantinedRow

RETAIL = DatasetConfig(
    name="retail",
    frequency="D",
    max_bad_row_share=0.5,
    min_history=1,  # two observations are enough to pass the panel checks  # one bad row of five goes on (above the share, the run stops)
    covariates=[
        {"name": "price"},
        {"name": "promo", "type": "boolean"},
        {"name": "region", "type": "categorical", "kind": "static"},
    ],
)


def test_landed_covariates_are_stored_and_bad_ones_quarantined(pipeline_settings, landing, run_job):
    engine = make_engine(pipeline_settings.database_url)
    with session_scope(engine) as session:
        dataset_id = create_dataset(session, RETAIL).id
    (landing / "retail").mkdir()
    (landing / "retail" / "history.csv").write_text(
        "unique_id,ds,y,price,promo,region\n"
        "A,2024-01-01,10,2.5,false,north\n"
        "A,2024-01-02,12,2.0,true,north\n"
        "A,2024-01-03,11,abc,false,north\n"  # a bad price: the row is quarantined
        "A,2024-01-04,,2.5,false,north\n"  # no y: covariate values for that day
        "A,2024-01-05,,2.4,true,north\n"  # the future
    )
    (landing / "retail" / "everyone.csv").write_text(
        "unique_id,ds,price,promo\n"
        ",2024-01-05,9.0,false\n"  # no series: for every series (A's own value wins)
        ",2024-01-06,3.0,true\n"
    )
    (landing / "retail" / "extra.csv").write_text("unique_id,ds,y,colour\nA,2024-01-01,1,red\n")

    result = run_job("ingestion", run_config={}, dataset="retail")
    assert result.success

    with session_scope(engine) as session:
        panel = read_panel(session, dataset_id=dataset_id)
        values = read_covariate_values(session, RETAIL.covariates, dataset_id=dataset_id)
        static = read_static_covariates(session, RETAIL.covariates, dataset_id=dataset_id)
        quarantined = session.scalars(
            select(QuarantinedRow).where(QuarantinedRow.dataset_id == dataset_id)
        ).all()
    assert panel["y"].tolist() == [10.0, 12.0]
    assert values["ds"].tolist() == list(pd.to_datetime(["2024-01-01", "2024-01-02",
        "2024-01-04", "2024-01-05", "2024-01-05", "2024-01-06"]))  # fmt: skip
    assert values["unique_id"].tolist() == ["A"] * 4 + [None, None]
    assert values["price"].tolist() == [2.5, 2.0, 2.5, 2.4, 9.0, 3.0]
    assert values["promo"].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    assert static.to_dict("records") == [{"unique_id": "A", "region": "north"}]
    [bad] = quarantined
    assert bad.ts_raw == "2024-01-03" and bad.value_raw == "11"
    assert "price: not a number" in bad.reason and "price='abc'" in bad.reason
    reason = (landing / "_quarantine" / "retail" / "extra.csv.reason.txt").read_text()
    assert "undeclared column(s) ['colour']" in reason
