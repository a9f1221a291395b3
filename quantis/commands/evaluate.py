"""`quantis evaluate`: compare the default model with plain LightGBM and the baselines.

Holds out the last H points of every series (or uses a bundled data set's competition split),
fits every method on the rest and prints MASE, sMAPE, interval coverage and seconds per method.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.settings import get_settings
from quantis.run_log import new_log_path, output_to_log

__all__ = ["evaluate"]

LEVELS = (80, 95)


class BundledDataset(StrEnum):
    """Data sets shipped with the library, evaluated on their competition split."""

    tourism_monthly = "tourism-monthly"
    tourism_quarterly = "tourism-quarterly"
    tourism_yearly = "tourism-yearly"


def _read_csv(path: Path, id_col: str, time_col: str, value_col: str) -> pd.DataFrame:
    frame = pd.read_csv(path)
    missing = [c for c in (id_col, time_col, value_col) if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing} (found {list(frame.columns)})")
    renamed = {id_col: "unique_id", time_col: "ds", value_col: "y"}
    return frame[list(renamed)].rename(columns=renamed)


def _table(report) -> Table:
    table = Table(title=f"{report.n_series} series, horizon {report.horizon}, freq {report.freq}")
    for column in ("method", "MASE", "sMAPE", *(f"cov {lv:g}%" for lv in report.levels), "seconds"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for method in report.methods:
        label = f"{method.name} (default)" if method.default else method.name
        coverage = [f"{100 * method.coverage[f'{lv:g}']:.1f}" for lv in report.levels]
        table.add_row(
            label, f"{method.mase:.3f}", f"{method.smape:.2f}", *coverage, f"{method.seconds:.1f}"
        )
    return table


def evaluate(
    data: Annotated[
        Path | None, typer.Option("--data", help="Long-format CSV panel.", dir_okay=False)
    ] = None,
    dataset: Annotated[
        BundledDataset | None,
        typer.Option("--dataset", help="Bundled data set (competition split) instead of --data."),
    ] = None,
    horizon: Annotated[
        int | None, typer.Option("--horizon", min=1, help="Points held out per series.")
    ] = None,
    season_length: Annotated[
        int | None, typer.Option("--season-length", min=1, help="Default: from the frequency.")
    ] = None,
    freq: Annotated[
        str | None, typer.Option("--freq", help="Pandas frequency alias. Default: inferred.")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print only a JSON object to stdout.")
    ] = False,
    id_col: Annotated[str, typer.Option("--id-col", help="Series id column.")] = "unique_id",
    time_col: Annotated[str, typer.Option("--time-col", help="Timestamp column.")] = "ds",
    value_col: Annotated[str, typer.Option("--value-col", help="Value column.")] = "y",
) -> None:
    """Hold out the last H points, fit the default model, LightGBM and baselines, compare them."""
    from models import PanelValidationError, evaluate_methods, load_tourism

    stderr = Console(stderr=True)
    if (data is None) == (dataset is None):
        stderr.print("[red]error:[/] pass exactly one of --data or --dataset")
        raise typer.Exit(code=2)
    try:
        if dataset is not None:
            train, test = load_tourism(dataset.value.removeprefix("tourism-"))
            target = test if horizon is None else horizon
        else:
            if horizon is None:
                stderr.print("[red]error:[/] --horizon is required with --data")
                raise typer.Exit(code=2)
            train = _read_csv(data, id_col, time_col, value_col)
            target = horizon
        log_path = new_log_path(get_settings().home / "logs", "evaluate")
        with (
            output_to_log(log_path) as terminal,
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(file=terminal),
                transient=json_output,
                redirect_stdout=False,
                redirect_stderr=False,
            ) as progress,
        ):
            task = progress.add_task("evaluating", total=None)

            def on_progress(method: str, stage: str) -> None:
                verb = "fitting + forecasting" if stage == "start" else "done"
                progress.update(task, description=f"{method}: {verb}")

            report = evaluate_methods(
                train,
                target,
                season_length=season_length,
                freq=freq,
                levels=LEVELS,
                on_progress=on_progress,
            )
    except (PanelValidationError, ValueError, FileNotFoundError) as error:
        stderr.print(f"[red]invalid input:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    stderr.print(f"Warnings and logs of the fits: {log_path}", highlight=False, soft_wrap=True)
    if json_output:
        typer.echo(json.dumps(report.to_dict()))
    else:
        Console().print(_table(report))
