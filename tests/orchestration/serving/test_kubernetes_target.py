"""KubernetesDeployTarget end to end: the real `kubernetes` client, configured from a
kubeconfig, against a loopback API server that answers with recorded responses of a
roll-out (tests/orchestration/serving/recorded/kubernetes_rollout.json): success, progress
deadline exceeded, timeout (both undone to the previous revision), and refused requests."""

from __future__ import annotations

import copy
import json
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml
from fake_kube_api import RECORDED, TOKEN, fake_kube_api, write_kubeconfig

from core.db.engine import make_engine
from core.db.locks import held_lock
from core.db.migrate import upgrade
from core.db.repositories.deployments import list_deployments
from core.settings import load_settings
from orchestration.contracts import BuiltBento
from orchestration.defs.serving.targets import KubernetesDeployTarget, deploy_target_for
from orchestration.resources import OperationalDatabase

DEPLOYMENT = "/apis/apps/v1/namespaces/quantis/deployments/model-deployment"
STATUS = f"{DEPLOYMENT}/status"
REPLICA_SETS = "/apis/apps/v1/namespaces/quantis/replicasets"


def _server_image(recorded: str) -> str:
    [server] = RECORDED[recorded]["spec"]["template"]["spec"]["containers"]
    return server["image"]


# From the recordings, so that re-recording them (recorded/record_kubernetes.py) keeps these.
OLD_IMAGE, NEW_IMAGE = _server_image("deployment_revision_1"), _server_image("deployment_patched")
VERSION_ENV = [
    {"name": "QUANTIS_MODEL_ARTIFACTS_DIR", "value": "/var/lib/quantis/models"},
    {"name": "QUANTIS_SERVED_MODEL_VERSION", "value": "7"},
]


@pytest.fixture
def database(tmp_path: Path) -> OperationalDatabase:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    upgrade(url)
    return OperationalDatabase(url=url)


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Start the recorded API server for a route table; KUBECONFIG points at it."""

    def start(routes):
        context = fake_kube_api(routes)
        api = context.__enter__()
        started.append(context)
        monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
        monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", api.url)))
        return api

    started: list = []
    yield start
    for context in started:
        context.__exit__(None, None, None)


def _target(**overrides) -> KubernetesDeployTarget:
    options = {
        "namespace": "quantis",
        "image": NEW_IMAGE,
        "service_url": "http://model-service:8001",
        "poll_s": 0.01,
        "timeout_s": 30,
    }
    return KubernetesDeployTarget(**(options | overrides))


def _roll_out(target: KubernetesDeployTarget, database: OperationalDatabase):
    bento = BuiltBento(
        bento_tag="quantis-model-server:abc", model_tag="quantis-forecaster:def",
        model_version="7", bento_key="bentos/quantis-forecaster/7/quantis-model-server-abc.bento",
    )  # fmt: skip
    # The store is not read: the cluster's model server fetches the version from MLflow.
    return target.roll_out(database, None, bento=bento, model_name="quantis-forecaster")


ROLE = Path(__file__).resolve().parents[3] / "deploy/kubernetes/base/rollout-rbac.yaml"


def _assert_the_role_allows_every_request(api) -> None:
    """Each request the target made is one the model-rollout Role grants to quantis-dagster."""
    role = next(d for d in yaml.safe_load_all(ROLE.read_text()) if d["kind"] == "Role")
    granted = {
        (resource, verb, name)
        for rule in role["rules"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
        for name in rule.get("resourceNames") or [None]
    }
    verbs = {"PATCH": "patch"}
    for request in api.seen:
        parts = request.path.split("/")  # /apis/apps/v1/namespaces/<ns>/<resource>[/<name>[/sub]]
        resource, name = parts[6], (parts[7] if len(parts) > 7 else None)
        if len(parts) > 8:
            resource = f"{resource}/{parts[8]}"
        verb = verbs.get(request.method, "get" if name else "list")
        assert (resource, verb, name) in granted, f"{request.method} {request.path}"


def _records(database: OperationalDatabase):
    with database.session() as session:
        return [(d.status, d.error, dict(d.details)) for d in list_deployments(session).items]


def _template_without_hash(name: str) -> dict:
    """A recorded pod template as the client serializes it (no nulls, no pod-template-hash)."""
    template = copy.deepcopy(RECORDED[name]["spec"]["template"])
    template["metadata"].pop("creationTimestamp")
    template["metadata"]["labels"].pop("pod-template-hash", None)
    return template


def test_rollout_patches_image_and_served_version_then_waits_until_complete(cluster, database):
    api = cluster(
        {
            ("GET", DEPLOYMENT): [(200, "deployment_revision_1"), (200, "deployment_revision_2")],
            ("PATCH", DEPLOYMENT): [(200, "deployment_patched")],
            ("GET", STATUS): [
                (200, "status_not_observed"),
                (200, "status_progressing"),
                (200, "status_old_pending_termination"),
                (200, "status_complete"),
            ],
        }
    )
    outcome = _roll_out(_target(), database)

    [patch] = api.requests("PATCH")
    assert patch.content_type == "application/strategic-merge-patch+json"
    assert patch.authorization == f"Bearer {TOKEN}"
    assert patch.body == {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "model-server", "image": NEW_IMAGE, "env": VERSION_ENV}
                    ],
                    "initContainers": [
                        {"name": "fetch-model", "image": NEW_IMAGE, "env": VERSION_ENV}
                    ],
                }
            }
        }
    }
    assert len(api.requests("GET", STATUS)) == 4  # polled until the recorded completion
    assert not api.requests("GET", REPLICA_SETS)  # nothing to undo
    [(status, error, details)] = _records(database)
    assert (status, error) == ("active", None)
    assert details["image"] == NEW_IMAGE and details["previous_image"] == OLD_IMAGE
    assert (details["previous_revision"], details["revision"]) == ("1", "2")
    assert outcome.endpoint_url == "http://model-service:8001" and not outcome.reused
    _assert_the_role_allows_every_request(api)


def _failing_routes(statuses):
    return {
        ("GET", DEPLOYMENT): [(200, "deployment_revision_1")],
        ("PATCH", DEPLOYMENT): [(200, "deployment_patched"), (200, "deployment_undone")],
        ("GET", STATUS): statuses,
        ("GET", REPLICA_SETS): [(200, "replicasets")],
    }


def _assert_undone_to_revision_1(api) -> None:
    _, undo = api.requests("PATCH")
    assert undo.content_type == "application/json-patch+json"
    assert undo.body == [
        {"op": "replace", "path": "/spec/template", "value": _template_without_hash(
            "deployment_revision_1")}
    ]  # fmt: skip
    [listing] = api.requests("GET", REPLICA_SETS)
    assert listing.query["labelSelector"] == [
        "app.kubernetes.io/component=serving,app.kubernetes.io/name=model-server"
    ]


def test_progress_deadline_exceeded_is_undone_to_the_previous_revision(cluster, database):
    api = cluster(_failing_routes([(200, "status_progressing"), (200, "status_deadline_exceeded")]))
    with pytest.raises(dg.Failure, match="set back to revision 1") as failure:
        _roll_out(_target(), database)

    assert "exceeded its progress deadline" in str(failure.value.description)
    _assert_undone_to_revision_1(api)
    _assert_the_role_allows_every_request(api)
    [(status, error, _)] = _records(database)
    assert status == "failed" and OLD_IMAGE in error


def test_rollout_that_never_completes_times_out_and_is_undone(cluster, database):
    api = cluster(_failing_routes([(200, "status_progressing")]))
    with pytest.raises(dg.Failure, match=r"timed out after 0\.2s: 1 of 2 new replicas"):
        _roll_out(_target(timeout_s=0.2), database)

    _assert_undone_to_revision_1(api)
    assert _records(database)[0][0] == "failed"


def test_an_undo_without_the_previous_replica_set_is_reported(cluster, database):
    routes = _failing_routes([(200, "status_deadline_exceeded")])
    listing = copy.deepcopy(RECORDED["replicasets"])
    listing["items"] = [
        rs
        for rs in listing["items"]
        if rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] != "1"
    ]
    routes[("GET", REPLICA_SETS)] = [(200, listing)]
    api = cluster(routes)
    with pytest.raises(dg.Failure, match=r"undo failed too \(no ReplicaSet .* has revision 1\)"):
        _roll_out(_target(), database)
    assert len(api.requests("PATCH")) == 1  # nothing was patched back blindly


@pytest.mark.parametrize(
    ("routes", "expected"),
    [
        ({}, "404 Not Found"),
        (
            {
                ("GET", DEPLOYMENT): [(200, "deployment_revision_1")],
                ("PATCH", DEPLOYMENT): [(403, "forbidden_patch")],
            },
            "403 Forbidden",
        ),
    ],
    ids=["missing-deployment", "forbidden-patch"],
)
def test_refused_requests_fail_the_deployment_with_the_api_answer(
    cluster, database, routes, expected
):
    cluster(routes)
    with pytest.raises(dg.Failure, match=expected):
        _roll_out(_target(), database)
    [(status, error, _)] = _records(database)
    assert status == "failed" and expected in error


def test_settings_choose_the_names_and_the_release_image():
    settings = load_settings(
        deploy_target="kubernetes", kubernetes_namespace="quantis", model_server_image="reg/m",
        model_server_image_tag="1.5.0", model_server_url="http://model-service:8001",
    )  # fmt: skip
    target = deploy_target_for(settings)
    assert isinstance(target, KubernetesDeployTarget)
    assert (target.namespace, target.deployment, target.container, target.init_container) == (
        "quantis", "model-deployment", "model-server", "fetch-model",
    )  # fmt: skip
    assert target.image == "reg/m:1.5.0"


def test_a_dataset_rollout_changes_only_its_entry_of_the_served_versions(cluster, database):
    """`web`'s champion: the pod template's served-versions map gains `web` (server and
    fetch-model init container, which fetches every entry); the image's `default` version
    variable is not sent, so `default` keeps the version it serves."""
    api = cluster(
        {
            ("GET", DEPLOYMENT): [(200, "deployment_revision_1")],
            ("PATCH", DEPLOYMENT): [(200, "deployment_patched")],
            ("GET", STATUS): [(200, "status_complete")],
        }
    )
    outcome = _target().roll_out_dataset(
        database, dataset="web", model_name="quantis-forecaster-web", model_version="3",
        tracking_uri="unused",
    )  # fmt: skip
    [patch] = api.requests("PATCH")
    env = [
        {"name": "QUANTIS_MODEL_ARTIFACTS_DIR", "value": "/var/lib/quantis/models"},
        {"name": "QUANTIS_SERVED_DATASET_VERSIONS", "value": '{"web": "3"}'},
    ]
    pod = patch.body["spec"]["template"]["spec"]
    assert pod["containers"] == [{"name": "model-server", "image": NEW_IMAGE, "env": env}]
    assert pod["initContainers"] == [{"name": "fetch-model", "image": NEW_IMAGE, "env": env}]
    assert outcome.endpoint_url == "http://model-service:8001" and not outcome.reused
    _assert_the_role_allows_every_request(api)


def test_another_datasets_entry_is_kept_and_a_served_version_is_not_rolled_again(cluster, database):
    serving_shop = copy.deepcopy(RECORDED["deployment_revision_1"])
    [server] = serving_shop["spec"]["template"]["spec"]["containers"]
    served = {"name": "QUANTIS_SERVED_DATASET_VERSIONS", "value": '{"shop": "5"}'}
    server["env"] = [*server.get("env", []), served]
    api = cluster(
        {
            ("GET", DEPLOYMENT): [(200, serving_shop), (200, serving_shop)],
            ("PATCH", DEPLOYMENT): [(200, "deployment_patched")],
            ("GET", STATUS): [(200, "status_complete")],
        }
    )
    web = {"dataset": "web", "model_name": "quantis-forecaster-web", "tracking_uri": "unused"}
    _target().roll_out_dataset(database, model_version="3", **web)
    [patch] = api.requests("PATCH")
    [env] = [
        e for e in patch.body["spec"]["template"]["spec"]["containers"][0]["env"]
        if e["name"] == "QUANTIS_SERVED_DATASET_VERSIONS"
    ]  # fmt: skip
    assert json.loads(env["value"]) == {"shop": "5", "web": "3"}

    again = _target().roll_out_dataset(database, model_version="5", **{**web, "dataset": "shop"})
    assert again.reused and len(api.requests("PATCH")) == 1  # shop serves 5: nothing patched
    with pytest.raises(dg.Failure, match="not a JSON object"):
        server["env"][-1]["value"] = "[1]"
        cluster({("GET", DEPLOYMENT): [(200, serving_shop)]})
        _target().roll_out_dataset(database, model_version="4", **web)


def test_roll_outs_of_the_model_server_wait_for_each_other(cluster, database):
    """Another roll-out (another dataset's run, in another pod) holds the model server's lock:
    this one reads nothing and patches nothing until it ends, and gives up naming it when it
    lasts too long; once it ends, this one goes ahead."""
    api = cluster(
        {
            ("GET", DEPLOYMENT): [(200, "deployment_revision_1")],
            ("PATCH", DEPLOYMENT): [(200, "deployment_patched")],
            ("GET", STATUS): [(200, "status_complete")],
        }
    )
    web = {"dataset": "web", "model_name": "quantis-forecaster-web", "tracking_uri": "unused"}
    other = make_engine(database.url)  # the other run's connection
    scope = "rollout.quantis.model-deployment"
    try:
        with held_lock(other, scope, wait_s=1):
            with pytest.raises(dg.Failure, match="is still held by another process"):
                _target(lock_wait_s=0.3).roll_out_dataset(database, model_version="3", **web)
            with pytest.raises(dg.Failure, match="is still held by another process"):
                _roll_out(_target(lock_wait_s=0.3), database)
            assert api.seen == []  # nothing read or patched while the other held it

        # The other roll-out ends while this one waits: this one goes ahead after it.
        acquired, ended = threading.Event(), []

        def other_roll_out() -> None:
            with held_lock(other, scope, wait_s=1):
                acquired.set()
                time.sleep(0.5)
                ended.append(time.monotonic())

        holder = threading.Thread(target=other_roll_out)
        holder.start()
        acquired.wait(5)
        _target(lock_wait_s=30).roll_out_dataset(database, model_version="3", **web)
        holder.join()
    finally:
        other.dispose()
    [patch] = api.requests("PATCH")
    assert "QUANTIS_SERVED_DATASET_VERSIONS" in json.dumps(patch.body)
    assert ended and api.seen[0].at >= ended[0]  # its first request came after the other ended
    assert [status for status, _, _ in _records(database)] == ["failed"]
