"""Settings: layered sources, home-derived defaults, refusal of development secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from core.config_sources import config_dir
from core.settings import (
    DEV_DATABASE_PASSWORD,
    DEV_SECRET_KEY,
    REPO_ROOT,
    Settings,
    describe_sources,
    get_settings,
    load_settings,
)

STRONG_KEY = "a-long-random-production-secret-0123456789"


def _write_yaml(folder: Path, name: str, values: dict[str, object]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(yaml.safe_dump(values), encoding="utf-8")


@pytest.fixture
def layers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """An empty config folder and secrets folder that the test fills layer by layer."""
    folders = {"config": tmp_path / "config", "secrets": tmp_path / "secrets"}
    for folder in folders.values():
        folder.mkdir()
    monkeypatch.setenv("QUANTIS_CONFIG_DIR", str(folders["config"]))
    monkeypatch.setenv("QUANTIS_SECRETS_DIR", str(folders["secrets"]))
    return folders


def test_each_layer_overrides_the_ones_below(layers, monkeypatch):
    name = "registered_model_name"
    assert load_settings().registered_model_name == "quantis-forecaster"

    _write_yaml(layers["config"], "base.yaml", {name: "from-base"})
    assert (load_settings().registered_model_name, describe_sources()[name]) == (
        "from-base",
        str(layers["config"] / "base.yaml"),
    )
    _write_yaml(layers["config"], "dev.yaml", {name: "from-dev-file"})
    assert load_settings().registered_model_name == "from-dev-file"
    assert describe_sources()[name] == str(layers["config"] / "dev.yaml")

    (layers["secrets"] / name).write_text("from-secret\n", encoding="utf-8")
    assert load_settings().registered_model_name == "from-secret"
    assert describe_sources()[name] == f"secrets:{layers['secrets']}"

    monkeypatch.setenv("QUANTIS_REGISTERED_MODEL_NAME", "from-env")
    assert load_settings().registered_model_name == "from-env"
    assert describe_sources()[name] == "env"

    assert load_settings(registered_model_name="from-kwargs").registered_model_name == (
        "from-kwargs"
    )
    assert describe_sources(registered_model_name="x")[name] == "init"
    assert describe_sources()["api_port"] == "default"


def test_env_selects_its_file_and_ignores_the_others(layers, monkeypatch):
    _write_yaml(layers["config"], "dev.yaml", {"api_port": 1111})
    _write_yaml(layers["config"], "staging.yaml", {"api_port": 2222})
    assert load_settings().api_port == 1111
    monkeypatch.setenv("QUANTIS_ENV", "staging")
    monkeypatch.setenv("QUANTIS_SECRET_KEY", STRONG_KEY)
    assert load_settings().api_port == 2222
    assert load_settings(env="dev").api_port == 1111


def test_unknown_key_in_a_file_names_the_file(layers):
    _write_yaml(layers["config"], "base.yaml", {"api_prot": 1})
    with pytest.raises(ValueError, match=r"base\.yaml: unknown setting\(s\) api_prot"):
        load_settings()


def test_unknown_env_is_refused():
    with pytest.raises(ValidationError, match="env"):
        load_settings(env="production")


def test_secret_files_accept_variable_names_and_skip_kubernetes_links(layers):
    (layers["secrets"] / "QUANTIS_SECRET_KEY").write_text(STRONG_KEY + "\n", encoding="utf-8")
    (layers["secrets"] / "..data").mkdir()
    (layers["secrets"] / "train_node_selector").write_text('{"pool": "a"}', encoding="utf-8")
    settings = load_settings()
    assert settings.secret_key.get_secret_value() == STRONG_KEY
    assert settings.train_node_selector == {"pool": "a"}


def test_missing_secrets_dir_is_fine(tmp_path, monkeypatch):
    monkeypatch.setenv("QUANTIS_SECRETS_DIR", str(tmp_path / "absent"))
    assert load_settings().secret_key.get_secret_value() == DEV_SECRET_KEY


def test_structured_fields_read_json_from_environment(monkeypatch):
    monkeypatch.setenv("QUANTIS_TRAIN_NODE_SELECTOR", json.dumps({"pool": "cpu"}))
    assert load_settings().train_node_selector == {"pool": "cpu"}


def test_home_derived_defaults_follow_home(tmp_path):
    home = tmp_path / "elsewhere"
    settings = load_settings(home=home)
    assert settings.database_url == f"sqlite:///{home / 'quantis.db'}"
    assert settings.object_store_url == f"file://{home / 'objects'}"
    assert settings.landing_url == str(home / "landing")
    assert settings.mlflow_tracking_uri == f"sqlite:///{home / 'mlflow' / 'mlflow.db'}"
    assert settings.mlflow_artifact_root == str(home / "mlflow" / "artifacts")
    assert settings.dagster_home == home / "dagster"


def test_home_follows_environment_variable(isolated_settings):
    assert load_settings().home == isolated_settings
    assert load_settings().database_url == f"sqlite:///{isolated_settings / 'quantis.db'}"


def test_relative_paths_resolve_against_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(home="state", landing_url="drop", object_store_url="s3://b/p")
    assert settings.home == tmp_path / "state"
    assert settings.landing_url == str(tmp_path / "drop")
    assert settings.object_store_url == "s3://b/p"


def test_default_home_is_under_the_repository(monkeypatch):
    monkeypatch.delenv("QUANTIS_HOME")
    assert load_settings().home == REPO_ROOT / ".quantis"
    assert (REPO_ROOT / "core" / "settings.py").is_file()


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_protected_envs_refuse_the_development_secret_key(env):
    with pytest.raises(ValidationError, match="QUANTIS_SECRET_KEY"):
        load_settings(env=env)


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_protected_envs_refuse_the_development_database_password(env):
    with pytest.raises(ValidationError, match="QUANTIS_DATABASE_PASSWORD"):
        load_settings(env=env, secret_key=STRONG_KEY, database_password=DEV_DATABASE_PASSWORD)


def test_refusal_does_not_echo_secrets():
    with pytest.raises(ValidationError) as caught:
        load_settings(env="prod", secret_key=STRONG_KEY, database_password=DEV_DATABASE_PASSWORD)
    message = str(caught.value)
    # Pydantic shortens long inputs in the middle, so the key's tail is what would leak.
    assert STRONG_KEY[-8:] not in message
    assert "input_value" not in message


def test_dev_accepts_development_defaults():
    assert load_settings().secret_key.get_secret_value() == DEV_SECRET_KEY


def test_database_password_is_put_into_the_url_and_masked_for_display():
    settings = load_settings(
        database_url="postgresql+psycopg://quantis@db:5432/quantis", database_password="p@ss"
    )
    assert make_url(settings.database_url).password == "p@ss"
    shown = settings.redacted_dict()
    assert "p@ss" not in json.dumps(shown) and "p%40ss" not in json.dumps(shown)
    assert shown["database_password"] == "**********"
    assert shown["secret_key"] == "**********"


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_shipped_environment_files_load_and_hold_no_passwords(env):
    settings = load_settings(env=env, secret_key=STRONG_KEY)
    assert settings.deploy_target == "kubernetes"
    assert make_url(settings.database_url).password is None
    assert settings.object_store_url.startswith("s3://")
    assert config_dir() == REPO_ROOT / "config"


def test_shipped_dev_settings_are_local():
    settings = load_settings()
    assert settings.deploy_target == "local"
    assert make_url(settings.database_url).get_backend_name() == "sqlite"


def test_get_settings_is_cached_until_cleared(monkeypatch):
    first = get_settings()
    monkeypatch.setenv("QUANTIS_API_PORT", "9123")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().api_port == 9123


def test_ensure_home_creates_the_local_folders(isolated_settings):
    settings = load_settings().ensure_home()
    for folder in (
        isolated_settings,
        settings.dagster_home,
        isolated_settings / "objects",
        isolated_settings / "landing",
        isolated_settings / "mlflow" / "artifacts",
    ):
        assert folder.is_dir(), folder


def test_every_field_is_described():
    undescribed = [name for name, field in Settings.model_fields.items() if not field.description]
    assert undescribed == []


def test_log_level_is_case_insensitive():
    assert load_settings(log_level="debug").log_level == "DEBUG"


def test_the_database_password_also_completes_the_mlflow_backend_store():
    settings = load_settings(
        database_url="postgresql+psycopg://quantis@db:5432/quantis",
        mlflow_backend_store_uri="postgresql+psycopg://quantis@db:5432/mlflow",
        database_password="s3cret",
    )
    assert make_url(settings.database_url).password == "s3cret"
    assert make_url(settings.mlflow_backend_store_uri).password == "s3cret"
    kept = load_settings(
        mlflow_backend_store_uri="postgresql+psycopg://mlflow:own@db:5432/mlflow",
        database_password="s3cret",
    )
    assert make_url(kept.mlflow_backend_store_uri).password == "own"
    assert kept.database_url.startswith("sqlite")  # SQLite takes no password
