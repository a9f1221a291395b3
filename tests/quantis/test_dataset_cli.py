"""`quantis dataset create | list | show | update | delete | apply` on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import typer
from typer.testing import CliRunner

from core.datasets.removal import outside_database
from core.db.engine import make_engine, session_scope
from core.db.repositories import datasets, observations, series
from core.db.repositories.audit import list_audit
from core.db.repositories.landing_files import is_known_file, record_landing_file
from core.settings import get_settings
from quantis.cli import run
from quantis.commands import dataset
from quantis.failures import UserError


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(dataset.app, name="dataset")
    return app


def _run(cli, db_url, *args, input=None):
    return CliRunner().invoke(cli, ["dataset", *args, "--url", db_url], input=input)


def _config(db_url, name):
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            return datasets.dataset_config(datasets.find_dataset(session, name))
    finally:
        engine.dispose()


def test_create_list_show_update(cli, db_url):
    created = _run(
        cli, db_url, "create", "traffic", "--frequency", "W", "--level", "50", "--level", "90",
        "--override", "num_boost_round=50", "--no-batch-forecasts",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    config = _config(db_url, "traffic")
    assert (config.frequency, config.levels, config.effective_horizon) == (
        "W-SUN",
        (50.0, 90.0),
        13,
    )
    assert config.model_overrides == {"num_boost_round": 50}
    assert config.batch_forecasts_after_rollout is False
    listed = _run(cli, db_url, "list")
    assert listed.exit_code == 0 and "traffic" in listed.output and "default" in listed.output
    shown = _run(cli, db_url, "show", "traffic")
    assert "13 (from the frequency)" in shown.output and "0 series" in shown.output
    updated = _run(cli, db_url, "update", "traffic", "--horizon", "4")
    assert updated.exit_code == 0, updated.output
    assert _config(db_url, "traffic").horizon == 4
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        actions = [entry.action for entry in list_audit(session).items]
    engine.dispose()
    assert {"dataset.create", "dataset.update"} <= set(actions)


def _fails(*argv: str) -> None:
    """`quantis ARGV` as installed: ends with exit code 1 and one line on stderr."""
    with pytest.raises(SystemExit) as ended:
        run(list(argv))
    assert ended.value.code == 1


def test_bad_input_and_refused_changes_say_why(cli, db_url, capsys):
    _fails("dataset", "create", "Bad Name", "--url", db_url)
    assert "invalid dataset: name" in capsys.readouterr().err
    _fails("dataset", "create", "weekly", "--frequency", "W", "--horizon", "0", "--url", db_url)
    assert "horizon" in capsys.readouterr().err
    assert _run(cli, db_url, "create", "weekly", "--frequency", "W").exit_code == 0
    _fails("dataset", "update", "weekly", "--frequency", "D", "--url", db_url)
    err = capsys.readouterr().err
    assert "refuses the change: frequency: it is fixed at 'W-SUN'" in err
    _fails("dataset", "create", "weekly", "--url", db_url)
    assert "already exists" in capsys.readouterr().err
    _fails("dataset", "show", "absent", "--url", db_url)
    assert "does not exist" in capsys.readouterr().err


def test_delete_asks_then_removes_only_that_dataset(cli, db_url):
    assert _run(cli, db_url, "create", "doomed", "--frequency", "D").exit_code == 0
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        doomed = datasets.find_dataset(session, "doomed").id
        for dataset_id in (doomed, None):
            one = series.create_series(session, "s", dataset_id=dataset_id)
            observations.upsert_observations(
                session, [(one.id, datetime(2024, 1, 1, tzinfo=UTC), 1.0)]
            )
        for key in ("doomed/a.csv", "default/b.csv"):
            record_landing_file(
                session, key=key, sha256="0" * 64, size_bytes=1, status="loaded", rows=1
            )
    settings = get_settings()
    landing, registry = outside_database(settings, "doomed")
    theirs = ["doomed/a.csv", "_quarantine/doomed/bad.csv", "_quarantine/doomed/bad.csv.reason.txt"]
    others = ["default/b.csv", "root.csv", "doomed-too/c.csv", "_quarantine/default/d.csv"]
    for key in theirs + others:
        landing.put_bytes(key, b"unique_id,ds,y\n")
    registry.client.create_registered_model(registry.model_name)
    _, default_registry = outside_database(settings, "default")
    default_registry.client.create_registered_model(default_registry.model_name)

    declined = _run(cli, db_url, "delete", "doomed", input="n\n")
    assert declined.exit_code == 1 and "1 series, 1 observations" in declined.output
    assert "3 landing file(s)" in declined.output and "quantis-forecaster-doomed" in declined.output
    assert _config(db_url, "doomed").frequency == "D" and registry.exists()
    assert sorted(landing.list()) == sorted(theirs + others)
    deleted = _run(cli, db_url, "delete", "doomed", "--yes")
    assert deleted.exit_code == 0, deleted.output
    assert "3 landing file(s), registered model 'quantis-forecaster-doomed'" in deleted.output
    with session_scope(engine) as session:
        assert datasets.get_dataset(session, "doomed") is None
        kept = series.get_series_by_name(session, "s")
        assert observations.count_observations(session, kept.id) == 1
        # a file landed again for a dataset made anew under the name is new to it
        assert not is_known_file(session, "doomed/a.csv", "0" * 64)
        assert is_known_file(session, "default/b.csv", "0" * 64)
    engine.dispose()
    assert sorted(landing.list()) == sorted(others)  # nothing of another dataset
    assert not registry.exists() and default_registry.exists()
    refused = _run(cli, db_url, "delete", "default", "--yes")
    assert refused.exit_code == 1 and "cannot be deleted" in str(refused.exception)


def test_apply_creates_updates_and_refuses_all_or_nothing(cli, db_url, tmp_path):
    path = tmp_path / "datasets.yaml"
    path.write_text("datasets:\n  - name: revenue\n    frequency: MS\n    horizon: 6\n")
    first = CliRunner().invoke(cli, ["dataset", "apply", str(path), "--url", db_url])
    assert first.exit_code == 0 and "revenue: created" in first.output, first.output
    path.write_text(
        "datasets:\n  - name: revenue\n    frequency: MS\n    horizon: 12\n  - name: web\n"
    )
    second = CliRunner().invoke(cli, ["dataset", "apply", str(path), "--url", db_url])
    assert "revenue: updated" in second.output and "web: created" in second.output
    path.write_text("datasets:\n  - name: revenue\n    frequency: D\n  - name: new-one\n")
    third = CliRunner().invoke(cli, ["dataset", "apply", str(path), "--url", db_url])
    assert third.exit_code == 1 and "nothing applied" in str(third.exception)
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        assert datasets.get_dataset(session, "new-one") is None
    engine.dispose()
    assert _config(db_url, "revenue").horizon == 12


def test_quantis_up_applies_the_declared_datasets(tmp_path, monkeypatch):
    from core.settings import load_settings
    from quantis.launch.startup import prepare

    config = tmp_path / "config"
    config.mkdir()
    (config / "datasets.yaml").write_text("datasets:\n  - name: revenue\n    frequency: MS\n")
    monkeypatch.setenv("QUANTIS_CONFIG_DIR", str(config))
    settings = load_settings()
    said: list[str] = []
    prepare(settings, said.append, demo_data=True)
    assert any("Dataset revenue: created" in line for line in said), said
    assert _config(settings.database_url, "revenue").effective_season_length == 12
    # the demo's two datasets of two frequencies, each file under its dataset's prefix
    assert any(
        "default (Tourism quarterly), tourism-monthly (Tourism monthly)" in line for line in said
    )
    monthly = _config(settings.database_url, "tourism-monthly")
    assert (monthly.frequency, monthly.effective_horizon) == ("MS", 24)
    landing, _ = outside_database(settings, "tourism-monthly")
    assert landing.list() == ["tourism-monthly/tourism_monthly.csv", "tourism_quarterly.csv"]
    (config / "datasets.yaml").write_text("datasets:\n  - name: revenue\n    frequency: D\n")
    with pytest.raises(UserError, match="nothing applied"):
        prepare(settings, said.append, demo_data=True)


def test_covariates_are_declared_and_added_but_declared_ones_kept(cli, db_url, capsys):
    created = _run(
        cli, db_url, "create", "retail", "--frequency", "D", "--covariate", "price",
        "--covariate", "{name: region, kind: static, type: categorical}",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "region (static, categorical)" in created.output
    added = _run(
        cli, db_url, "update", "retail",
        "--covariate", "{name: holiday, kind: calendar, type: boolean, country: US}",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    config = _config(db_url, "retail")
    assert [(c.name, c.kind) for c in config.covariates] == [
        ("price", "known_in_advance"), ("region", "static"), ("holiday", "calendar"),
    ]  # fmt: skip
    _fails("dataset", "update", "retail", "--covariate", "{name: price, kind: static}",
           "--url", db_url)  # fmt: skip
    assert "covariates declared twice: ['price']" in capsys.readouterr().err
    _fails("dataset", "create", "other", "--covariate", "value", "--url", db_url)
    assert "taken by the series" in capsys.readouterr().err
