"""`/api/v1/models`: the registry view and admin promote / rollback over a real MLflow store."""

from __future__ import annotations

import json

import pytest

from core.db.engine import make_engine, session_scope
from core.db.repositories.audit import list_audit
from core.registry import ModelRegistry


@pytest.fixture
def registry(api_settings, tmp_path) -> ModelRegistry:
    """The settings' registry with three versions; version 1 holds a recorded decision."""
    registry = ModelRegistry(api_settings.mlflow_tracking_uri, api_settings.registered_model_name)
    registry.client.create_registered_model(registry.model_name)
    for _ in range(3):
        registry.client.create_model_version(
            registry.model_name, source=str(tmp_path / "artifacts"), run_id=None
        )
    registry.record_decision("1", {"promote": True, "reason": "beats seasonal naive"})
    return registry


# MLflow makes each test slow; the database only holds the audit rows here, so the read-only
# views run on SQLite alone and promote/rollback on both backends.
@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_versions_feature_importance_comes_from_its_training_runs_metrics(
    client, headers, registry, tmp_path
):
    client_ = registry.client
    run = client_.create_run(client_.create_experiment("training"))
    for name, value in {"importance_share_history": 0.7, "importance_share_promo": 0.3,
                        "backtest_mase": 0.9}.items():  # fmt: skip
        client_.log_metric(run.info.run_id, name, value)
    client_.create_model_version(
        registry.model_name, source=str(tmp_path / "artifacts"), run_id=run.info.run_id
    )
    four = client.get("/api/v1/models/4", headers=headers("read")).json()
    assert four["feature_importance"] == {"history": 0.7, "promo": 0.3}
    assert (
        client.get("/api/v1/models/1", headers=headers("read")).json()["feature_importance"] == {}
    )


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_registry_view_lists_versions_newest_first(client, headers, registry):
    registry.client.set_registered_model_alias(registry.model_name, "challenger", "3")
    response = client.get("/api/v1/models", headers=headers("read"))
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["name"] == registry.model_name
    assert [v["version"] for v in view["versions"]] == ["3", "2", "1"]
    assert view["champion"] is None and view["challenger"] == "3"
    assert view["versions"][2]["decision"] == {"promote": True, "reason": "beats seasonal naive"}
    one = client.get("/api/v1/models/1", headers=headers("read")).json()
    assert one["version"] == "1" and json.loads(one["tags"]["quantis.promotion_decision"])
    assert client.get("/api/v1/models/99", headers=headers("read")).status_code == 404


@pytest.mark.slow
def test_promote_and_rollback_need_admin_and_are_audited(client, headers, registry, api_settings):
    admin = headers("admin")
    assert client.post("/api/v1/models/1/promote", headers=headers("write")).status_code == 403
    assert client.post("/api/v1/models/1/promote", headers=admin).json()["aliases"] == ["champion"]
    promoted = client.post("/api/v1/models/2/promote", headers=admin).json()
    assert promoted["tags"]["quantis.previous_champion"] == "1"
    assert registry.champion().version == "2"
    restored = client.post("/api/v1/models/rollback", headers=admin)
    assert restored.status_code == 200 and restored.json()["version"] == "1"
    assert registry.champion().version == "1"
    nothing_left = client.post("/api/v1/models/rollback", headers=admin)
    assert nothing_left.status_code == 409
    assert "nothing to roll back" in nothing_left.json()["error"]["message"]
    unknown = client.post("/api/v1/models/99/promote", headers=admin)
    assert unknown.status_code == 404
    engine = make_engine(api_settings.database_url)
    with session_scope(engine) as session:
        actions = [e.action for e in list_audit(session).items]
    engine.dispose()
    assert actions == ["model.rollback", "model.promote", "model.promote"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_empty_registry_is_an_empty_view(client, headers):
    view = client.get("/api/v1/models", headers=headers("read")).json()
    assert view["versions"] == [] and view["champion"] is None


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_each_dataset_has_its_registry_view_and_a_limited_key_sees_only_its_own(
    client, headers, api_key, api_settings, tmp_path
):
    admin = headers("admin")
    created = client.post(
        "/api/v1/datasets", json={"name": "weekly", "frequency": "W-SUN"}, headers=admin
    )
    assert created.status_code == 201, created.text
    weekly = ModelRegistry(
        api_settings.mlflow_tracking_uri, f"{api_settings.registered_model_name}-weekly"
    )
    weekly.client.create_registered_model(weekly.model_name)
    weekly.client.create_model_version(weekly.model_name, source=str(tmp_path), run_id=None)
    view = client.get("/api/v1/models?dataset=weekly", headers=headers("read")).json()
    assert view["name"] == "quantis-forecaster-weekly" and [
        v["version"] for v in view["versions"]
    ] == ["1"]
    assert client.post("/api/v1/models/1/promote?dataset=weekly", headers=admin).status_code == 200
    assert weekly.champion().version == "1"
    assert (
        client.get("/api/v1/models", headers=headers("read")).json()["versions"] == []
    )  # default's
    assert client.get("/api/v1/models?dataset=absent", headers=admin).status_code == 404
    only_default = {"Authorization": f"Bearer {api_key('read', datasets=['default'])}"}
    assert client.get("/api/v1/models?dataset=weekly", headers=only_default).status_code == 404
    assert client.get("/api/v1/models/1?dataset=weekly", headers=only_default).status_code == 404
    accuracy = client.get("/api/v1/models/1/accuracy?dataset=weekly", headers=only_default)
    assert accuracy.status_code == 404
    seen = client.get("/api/v1/models/1/accuracy?dataset=weekly", headers=headers("read"))
    assert seen.status_code == 200 and seen.json()["live"] is None
