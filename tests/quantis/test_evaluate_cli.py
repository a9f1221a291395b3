"""`quantis evaluate` on small CSV panels: table, JSON, column mapping and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.datasets import synthetic_panel
from quantis.cli import app

runner = CliRunner()
METHODS = {"lightgbm_combined", "lightgbm", "seasonal_naive", "ets", "theta"}


@pytest.fixture
def panel_csv(tmp_path: Path) -> Path:
    path = tmp_path / "panel.csv"
    synthetic_panel(6, 60, "MS", seed=5).to_csv(path, index=False)
    return path


@pytest.mark.slow  # fits all five methods
def test_json_lists_every_method_with_one_default(panel_csv):
    result = runner.invoke(app, ["evaluate", "--data", str(panel_csv), "--horizon", "6", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {m["name"] for m in report["methods"]} == METHODS
    assert [m["name"] for m in report["methods"] if m["default"]] == ["lightgbm_combined"]
    for method in report["methods"]:
        assert method["mase"] > 0 and method["smape"] > 0 and method["seconds"] >= 0
        assert set(method["coverage"]) == {"80", "95"}
    assert report["horizon"] == 6 and report["freq"] == "MS" and report["season_length"] == 12


def test_table_output_and_column_mapping(tmp_path):
    path = tmp_path / "sales.csv"
    frame = synthetic_panel(4, 48, "MS", seed=6)
    frame.rename(columns={"unique_id": "store", "ds": "month", "y": "sales"}).to_csv(
        path, index=False
    )
    args = ["evaluate", "--data", str(path), "--horizon", "4", "--id-col", "store"]
    args += ["--time-col", "month", "--value-col", "sales", "--season-length", "12"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    for name in METHODS:
        assert name in result.stdout
    assert "(default)" in result.stdout and "MASE" in result.stdout


def test_invalid_csv_exits_2_naming_series_and_rows(tmp_path):
    path = tmp_path / "bad.csv"
    frame = synthetic_panel(3, 30, "MS", seed=7).astype({"y": object})
    frame.loc[35, "y"] = "oops"
    frame.to_csv(path, index=False)
    result = runner.invoke(app, ["evaluate", "--data", str(path), "--horizon", "3"])
    assert result.exit_code == 2
    assert "non-numeric y" in result.stderr and "s00001" in result.stderr and "35" in result.stderr
    assert "Traceback" not in result.output


def test_missing_columns_and_missing_source_exit_2(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("id,when,value\na,2020-01-01,1\n")
    result = runner.invoke(app, ["evaluate", "--data", str(path), "--horizon", "3"])
    assert result.exit_code == 2 and "missing columns" in result.stderr
    result = runner.invoke(app, ["evaluate", "--horizon", "3"])
    assert result.exit_code == 2 and "exactly one of --data or --dataset" in result.stderr


def test_horizon_longer_than_series_exits_2(panel_csv):
    result = runner.invoke(app, ["evaluate", "--data", str(panel_csv), "--horizon", "60"])
    assert result.exit_code == 2 and "too short" in result.stderr


def test_bundled_dataset_uses_its_competition_split(monkeypatch):
    import models

    panel = synthetic_panel(4, 40, "QS", seed=8)
    is_test = panel.groupby("unique_id").cumcount(ascending=False) < 8
    calls = []

    def fake_tourism(group):
        calls.append(group)
        return panel[~is_test], panel[is_test]

    monkeypatch.setattr(models, "load_tourism", fake_tourism)
    result = runner.invoke(app, ["evaluate", "--dataset", "tourism-quarterly", "--json"])
    assert result.exit_code == 0, result.output
    assert calls == ["quarterly"]
    report = json.loads(result.stdout)
    assert report["horizon"] == 8 and report["n_series"] == 4
