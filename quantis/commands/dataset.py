"""`quantis dataset create | list | show | update | delete | apply`: forecasting problems.

A dataset's configuration is typed data in the operational database (`core.datasets`);
`apply` makes the database match a YAML file kept in git (`config/datasets.yaml` unless
another is named). Each change is written to the audit log with the operating-system user.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from core.config_sources import config_dir
from core.datasets import DatasetChangeRefused, DatasetConfig
from core.datasets.config import DEFAULT_DATASET
from core.datasets.declared import DatasetFileError, declared_datasets, default_datasets_file
from core.datasets.removal import dataset_landing_keys, outside_database, remove_outside_database
from core.db.engine import make_engine, session_scope
from core.db.errors import DuplicateRecordError, InvalidStateError, RecordNotFoundError
from core.db.repositories.audit import append_audit
from core.db.repositories.datasets import (
    apply_dataset,
    create_dataset,
    dataset_config,
    dataset_contents,
    delete_dataset,
    find_dataset,
    list_datasets,
    update_dataset,
)
from core.settings import get_settings
from quantis.database import ready_database
from quantis.failures import UserError

__all__ = ["app", "apply_declared"]

app = typer.Typer(
    help="Datasets (forecasting problems): create, list, show, update, delete, apply a file.",
    no_args_is_help=True,
)
console = Console()

UrlOption = Annotated[
    str | None, typer.Option("--url", help="Database URL; default: the database_url setting.")
]
NameArgument = Annotated[str, typer.Argument(help="The dataset's name (a slug).")]
Frequency = Annotated[
    str | None, typer.Option(help="Pandas offset alias (D, W-SUN, MS, QS, h); fixed once set.")
]
SeasonLength = Annotated[
    int | None, typer.Option(help="Periods per season; unset: from frequency.")
]
Horizon = Annotated[int | None, typer.Option(help="Steps forecast ahead; unset: from frequency.")]
Levels = Annotated[
    list[float] | None, typer.Option("--level", help="Interval level in percent; repeatable.")
]
MaxBad = Annotated[float | None, typer.Option(help="Share of bad rows above which a run stops.")]
MinHistory = Annotated[int | None, typer.Option(help="Fewest points to train a series (0: auto).")]
ValueMin = Annotated[float | None, typer.Option(help="Lowest plausible value.")]
ValueMax = Annotated[float | None, typer.Option(help="Highest plausible value.")]
RetrainShare = Annotated[
    float | None, typer.Option(help="Share of new rows in one ingestion that triggers retraining.")
]
Overrides = Annotated[
    list[str] | None,
    typer.Option("--override", help="Model setting KEY=VALUE (YAML value); repeatable."),
]
BatchForecasts = Annotated[
    bool | None,
    typer.Option(
        "--batch-forecasts/--no-batch-forecasts",
        help="Forecast every series after each roll-out (default on).",
    ),
]

Covariates = Annotated[
    list[str] | None,
    typer.Option(
        "--covariate",
        help="A covariate to declare: a name (numeric, known in advance) or a YAML mapping, "
        "e.g. '{name: region, kind: static, type: categorical}' or '{name: holiday, kind: "
        "calendar, type: boolean, country: US}'; repeatable. On update, added to the "
        "declared ones.",
    ),
]


def _engine(url: str | None):
    """An engine on the migrated database (SQLite is migrated first; see ready_database)."""
    target = url or get_settings().database_url
    return make_engine(ready_database(target, on_migrate=lambda line: typer.echo(line, err=True)))


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _overrides(pairs: list[str]) -> dict[str, Any]:
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--override takes KEY=VALUE, got {pair!r}")
        parsed[key.strip()] = yaml.safe_load(value)
    return parsed


def _covariates(specs: list[str]) -> list[Any]:
    """Each `--covariate`: a bare name, or a YAML mapping of the declaration's fields."""
    declared = []
    for spec in specs:
        try:
            parsed = yaml.safe_load(spec)
        except yaml.YAMLError as error:
            raise UserError(f"--covariate takes a name or a YAML mapping, got {spec!r}") from error
        declared.append({"name": parsed} if isinstance(parsed, str) else parsed)
    return declared


def _given(**fields: Any) -> dict[str, Any]:
    """The options given on the command line (None: not given)."""
    given = {name: value for name, value in fields.items() if value is not None}
    for listed in ("levels", "covariates"):
        if listed in given and not given[listed]:
            del given[listed]
    if "covariates" in given:
        given["covariates"] = _covariates(given["covariates"])
    if "model_overrides" in given:
        given["model_overrides"] = _overrides(given["model_overrides"])
    return given


def _invalid(error: ValidationError) -> UserError:
    problems = "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or 'dataset'}: {problem['msg']}"
        for problem in error.errors(include_url=False)
    )
    return UserError(f"invalid dataset: {problems}")


def _audit(session, action: str, name: str, details: dict[str, Any]) -> None:
    append_audit(session, actor=_actor(), action=action, target=f"dataset:{name}", details=details)


@app.command()
def create(
    name: NameArgument,
    frequency: Frequency = None,
    season_length: SeasonLength = None,
    horizon: Horizon = None,
    level: Levels = None,
    max_bad_row_share: MaxBad = None,
    min_history: MinHistory = None,
    value_min: ValueMin = None,
    value_max: ValueMax = None,
    retrain_new_data_share: RetrainShare = None,
    override: Overrides = None,
    batch_forecasts: BatchForecasts = None,
    covariate: Covariates = None,
    url: UrlOption = None,
) -> None:
    """Create a dataset; what is left unset follows its frequency (or the defaults)."""
    fields = _given(
        frequency=frequency, season_length=season_length, horizon=horizon, levels=level,
        max_bad_row_share=max_bad_row_share, min_history=min_history, value_min=value_min,
        value_max=value_max, retrain_new_data_share=retrain_new_data_share,
        model_overrides=override, batch_forecasts_after_rollout=batch_forecasts,
        covariates=covariate,
    )  # fmt: skip
    try:
        config = DatasetConfig(name=name, **fields)
    except ValidationError as error:
        raise _invalid(error) from error
    engine = _engine(url)
    try:
        with session_scope(engine) as session:
            create_dataset(session, config)
            _audit(session, "dataset.create", name, config.model_dump(mode="json"))
    except DuplicateRecordError as error:
        raise UserError(str(error), run=f"quantis dataset update {name} ...") from error
    finally:
        engine.dispose()
    console.print(f"Created dataset {name!r}.")
    _print_config(config)


def _print_config(config: DatasetConfig, contents=None) -> None:
    table = Table(title=f"dataset {config.name}", show_header=False)
    table.add_column("field")
    table.add_column("value")
    frequency = config.frequency or "not fixed yet (inferred at the first ingest)"
    season = config.effective_season_length
    rows = [
        ("frequency", frequency),
        ("season_length", _effective(config.season_length, season)),
        ("horizon", _effective(config.horizon, config.effective_horizon)),
        ("levels", ", ".join(f"{level:g}" for level in config.levels)),
        ("max_bad_row_share", f"{config.max_bad_row_share:g}"),
        ("min_history", str(config.min_history or "0 (two seasons plus one point)")),
        ("value_min", _unset(config.value_min)),
        ("value_max", _unset(config.value_max)),
        ("retrain_new_data_share", f"{config.retrain_new_data_share:g}"),
        ("model_overrides", ", ".join(f"{k}={v!r}" for k, v in config.model_overrides.items())),
        ("batch_forecasts_after_rollout", "on" if config.batch_forecasts_after_rollout else "off"),
        ("covariates", "\n".join(_covariate_text(c) for c in config.covariates) or "none"),
    ]
    if contents is not None:
        rows.append(("holds", _holds(contents)))
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _covariate_text(covariate) -> str:
    country = f" {covariate.country}" if covariate.country else ""
    return f"{covariate.name} ({covariate.kind}, {covariate.type}{country})"


def _effective(declared: int | None, effective: int | None) -> str:
    if declared is not None:
        return str(declared)
    return f"{effective} (from the frequency)" if effective is not None else "from the frequency"


def _unset(value: float | None) -> str:
    return "unset" if value is None else f"{value:g}"


def _holds(contents) -> str:
    return (
        f"{contents.series} series, {contents.observations} observations, "
        f"{contents.forecasts} forecasts, {contents.quarantined_rows} quarantined rows"
    )


@app.command("list")
def list_all(url: UrlOption = None) -> None:
    """Every dataset with its frequency, horizon and how many series it holds."""
    engine = _engine(url)
    try:
        with session_scope(engine) as session:
            table = Table(title="datasets")
            for column in ("name", "frequency", "season", "horizon", "levels", "series", "created"):
                table.add_column(column)
            for dataset in list_datasets(session):
                config = dataset_config(dataset)
                contents = dataset_contents(session, dataset.id)
                table.add_row(
                    dataset.name, dataset.frequency or "(not fixed)",
                    str(config.effective_season_length or ""), str(config.effective_horizon),
                    ", ".join(f"{level:g}" for level in config.levels), str(contents.series),
                    f"{dataset.created_at:%Y-%m-%d %H:%M}",
                )  # fmt: skip
    finally:
        engine.dispose()
    console.print(table)


@app.command()
def show(name: NameArgument, url: UrlOption = None) -> None:
    """A dataset's whole configuration (with what follows from its frequency) and contents."""
    engine = _engine(url)
    try:
        with session_scope(engine) as session:
            dataset = _found(session, name)
            config, contents = dataset_config(dataset), dataset_contents(session, dataset.id)
    finally:
        engine.dispose()
    _print_config(config, contents)


def _found(session, name: str):
    try:
        return find_dataset(session, name)
    except RecordNotFoundError as error:
        raise UserError(str(error), run="quantis dataset list") from error


@app.command()
def update(
    name: NameArgument,
    frequency: Frequency = None,
    season_length: SeasonLength = None,
    horizon: Horizon = None,
    level: Levels = None,
    max_bad_row_share: MaxBad = None,
    min_history: MinHistory = None,
    value_min: ValueMin = None,
    value_max: ValueMax = None,
    retrain_new_data_share: RetrainShare = None,
    override: Overrides = None,
    batch_forecasts: BatchForecasts = None,
    covariate: Covariates = None,
    url: UrlOption = None,
) -> None:
    """Change what is safe on a live dataset (horizon, levels, thresholds, retrain rule, model
    overrides, batch forecasts; a frequency not fixed yet; new covariates). A fixed frequency
    and a change to a declared covariate are refused."""
    changes = _given(
        frequency=frequency, season_length=season_length, horizon=horizon, levels=level,
        max_bad_row_share=max_bad_row_share, min_history=min_history, value_min=value_min,
        value_max=value_max, retrain_new_data_share=retrain_new_data_share,
        model_overrides=override, batch_forecasts_after_rollout=batch_forecasts,
        covariates=covariate,
    )  # fmt: skip
    if not changes:
        raise UserError(
            "nothing to change: give at least one option", run="quantis dataset update --help"
        )
    engine = _engine(url)
    try:
        with session_scope(engine) as session:
            current = dataset_config(_found(session, name))
            if "covariates" in changes:  # added to the declared ones
                declared = [c.to_dict() for c in current.covariates]
                changes["covariates"] = [*declared, *changes["covariates"]]
            dataset = update_dataset(session, name, changes)
            config = dataset_config(dataset)
            _audit(session, "dataset.update", name, {"changed": sorted(changes)})
    except ValidationError as error:
        raise _invalid(error) from error
    except DatasetChangeRefused as error:
        raise UserError(str(error)) from error
    finally:
        engine.dispose()
    console.print(f"Updated dataset {name!r}: {', '.join(sorted(changes))}.")
    _print_config(config)


@app.command()
def delete(
    name: NameArgument,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    url: UrlOption = None,
) -> None:
    """Delete a dataset with its series, observations, forecasts and quarantined rows, its
    landing files and its MLflow registered model (asks first; nothing of another dataset is
    touched). `default` cannot be deleted."""
    settings = get_settings()
    engine = _engine(url)
    try:
        with session_scope(engine) as session:
            contents = dataset_contents(session, _found(session, name).id)
        if name == DEFAULT_DATASET:  # refused below, before anything outside is looked at
            landing, registry, files = None, None, []
        else:
            landing, registry = outside_database(settings, name)
            files = dataset_landing_keys(landing, name)
        if not yes:
            also = f", {len(files)} landing file(s)"
            if registry is not None and registry.exists():
                also += f", registered model {registry.model_name!r}"
            typer.confirm(
                f"Delete dataset {name!r} and all it holds ({_holds(contents)}{also})?",
                abort=True,
            )
        with session_scope(engine) as session:
            deleted = delete_dataset(session, name)
            _audit(session, "dataset.delete", name, {"holds": _holds(deleted)})
    except InvalidStateError as error:
        raise UserError(str(error)) from error
    finally:
        engine.dispose()
    removed = remove_outside_database(name, landing=landing, registry=registry)
    console.print(f"Deleted dataset {name!r} ({_holds(deleted)}; {removed.summary()}).")
    if removed.problems:
        raise UserError(
            "the dataset's rows are deleted, but not everything outside the database:\n  "
            + "\n  ".join(removed.problems)
        )


def apply_declared(session, path: Path) -> dict[str, str]:
    """Apply every dataset `path` declares in the session's transaction: name -> created,
    updated or unchanged. A bad file or a refused change raises before anything is kept."""
    outcomes = {}
    for config in declared_datasets(path):
        outcomes[config.name] = apply_dataset(session, config)
        if outcomes[config.name] != "unchanged":
            _audit(
                session, f"dataset.apply.{outcomes[config.name]}", config.name, {"file": str(path)}
            )
    return outcomes


@app.command()
def apply(
    file: Annotated[
        Path | None,
        typer.Argument(help="YAML file with a `datasets:` list; default: config/datasets.yaml."),
    ] = None,
    url: UrlOption = None,
) -> None:
    """Create the datasets a file declares and update what is safe to change on the others,
    all or nothing; datasets the file does not name are left alone."""
    path = file or default_datasets_file(config_dir())
    engine = _engine(url)
    try:
        with session_scope(engine) as session:
            outcomes = apply_declared(session, path)
    except (DatasetFileError, DatasetChangeRefused) as error:
        raise UserError(f"{path}: nothing applied: {error}") from error
    finally:
        engine.dispose()
    if not outcomes:
        console.print(f"{path} declares no datasets.")
    for name, outcome in outcomes.items():
        console.print(f"{name}: {outcome}")
