"""The keys of the official Dagster Helm chart that deploy/helm/dagster-values.yaml may set,
as a JSON Schema, so a misspelt or moved key fails here instead of being silently ignored by
`helm install` (the chart cannot be fetched where the tests run).

Encoded from the chart's own documentation of its values (dagster-io/dagster,
helm/dagster/values.yaml and the pydantic models that generate its values.schema.json:
schema/charts/dagster/values.py, subschema/{global_,service_account,webserver,daemon,
run_launcher,postgresql,telemetry}.py, charts/dagster_user_deployments/subschema/
user_deployments.py). Only the parts Quantis overrides are spelled out; Kubernetes objects
inside them (resources, security contexts, pod specs) are checked against the Kubernetes
models separately.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DAGSTER_CHART_SCHEMA"]

_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_OBJECT = {"type": "object"}
_NAMED_REFS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
        "additionalProperties": False,
    },
}
_ENV = {
    "oneOf": [
        _STRING_MAP,
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "value": {"type": "string"},
                    "valueFrom": _OBJECT,
                },
                "required": ["name"],
                "additionalProperties": False,
            },
        },
    ]
}
# schema/charts/dagster/subschema/concurrency.py: Concurrency, ConcurrencyRuns,
# TagConcurrencyLimit (templates/helpers/instance/_concurrency.tpl renders `runs` into
# dagster.yaml's `concurrency.runs`, limits as they are).
_TAG_CONCURRENCY_LIMIT = {
    "type": "object",
    "properties": {
        "key": {"type": "string"},
        "value": {"type": ["string", "object", "null"]},
        "limit": {"type": "integer"},
    },
    "required": ["key", "limit"],
    "additionalProperties": False,
}
_CONCURRENCY = {
    "type": "object",
    "properties": {
        "enabled": {"type": "boolean"},
        "pools": {
            "type": "object",
            "properties": {
                "defaultLimit": {"type": ["integer", "null"]},
                "granularity": {"type": ["string", "null"]},
                "opGranularityRunBuffer": {"type": ["integer", "null"]},
            },
            "additionalProperties": False,
        },
        "runs": {
            "type": "object",
            "properties": {
                "maxConcurrentRuns": {"type": ["integer", "null"]},
                "tagConcurrencyLimits": {"type": "array", "items": _TAG_CONCURRENCY_LIMIT},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
_IMAGE = {
    "type": "object",
    "properties": {
        "repository": {"type": "string"},
        "tag": {"type": ["string", "null"]},
        "pullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]},
    },
    "required": ["repository"],
    "additionalProperties": False,
}


def _closed(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


# Pod-level keys the webserver, daemon and user deployments share (values.yaml documents
# each; the subschemas give their types).
_POD_KEYS = {
    "image": _IMAGE,
    "env": _ENV,
    "envConfigMaps": _NAMED_REFS,
    "envSecrets": _NAMED_REFS,
    "annotations": _STRING_MAP,
    "labels": _STRING_MAP,
    "nodeSelector": _STRING_MAP,
    "affinity": _OBJECT,
    "tolerations": {"type": "array"},
    "podSecurityContext": _OBJECT,
    "securityContext": _OBJECT,
    "resources": _OBJECT,
    "livenessProbe": _OBJECT,
    "readinessProbe": _OBJECT,
    "startupProbe": _OBJECT,
    "volumes": {"type": "array"},
    "volumeMounts": {"type": "array"},
    "schedulerName": {"type": "string"},
}

_USER_DEPLOYMENT = _closed(
    {
        **_POD_KEYS,
        "name": {"type": "string"},
        "port": {"type": "integer"},
        "dagsterApiGrpcArgs": {"type": "array", "items": {"type": "string"}},
        "codeServerArgs": {"type": "array", "items": {"type": "string"}},
        "includeConfigInLaunchedRuns": _closed({"enabled": {"type": "boolean"}}, ("enabled",)),
        "initContainers": {"type": "array"},
        "sidecarContainers": {"type": "array"},
        "replicaCount": {"type": "integer"},
        "service": _closed({"annotations": _STRING_MAP}),
    },
    ("name", "image", "port"),
)

_K8S_RUN_LAUNCHER = _closed(
    {
        "image": _IMAGE,
        "imagePullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]},
        "jobNamespace": {"type": ["string", "null"]},
        "loadInclusterConfig": {"type": "boolean"},
        "kubeconfigFile": {"type": ["string", "null"]},
        "envConfigMaps": _NAMED_REFS,
        "envSecrets": _NAMED_REFS,
        "envVars": {"type": "array", "items": {"type": "string"}},
        "volumeMounts": {"type": "array"},
        "volumes": {"type": "array"},
        "labels": _STRING_MAP,
        "failPodOnRunFailure": {"type": "boolean"},
        "resources": _OBJECT,
        "schedulerName": {"type": "string"},
        "securityContext": _OBJECT,
        "runK8sConfig": _closed(
            {
                "containerConfig": _OBJECT,
                "podSpecConfig": _OBJECT,
                "podTemplateSpecMetadata": _OBJECT,
                "jobSpecConfig": _OBJECT,
                "jobMetadata": _OBJECT,
            }
        ),
    }
)

DAGSTER_CHART_SCHEMA: dict[str, Any] = _closed(
    {
        "global": _closed(
            {
                "postgresqlSecretName": {"type": "string"},
                "dagsterHome": {"type": "string"},
                "serviceAccountName": {"type": "string"},
                "celeryConfigSecretName": {"type": "string"},
                "dagsterInstanceConfigMap": {"type": "string"},
            }
        ),
        "serviceAccount": _closed(
            {"create": {"type": "boolean"}, "name": {"type": "string"}, "annotations": _STRING_MAP}
        ),
        "generatePostgresqlPasswordSecret": {"type": "boolean"},
        "dagsterWebserver": _closed(
            {
                **_POD_KEYS,
                "replicaCount": {"type": "integer"},
                "nameOverride": {"type": "string"},
                "pathPrefix": {"type": "string"},
                "service": _closed(
                    {
                        "type": {"type": "string"},
                        "port": {"type": "integer"},
                        "annotations": _STRING_MAP,
                    }
                ),
                "workspace": _OBJECT,
                "deploymentLabels": _STRING_MAP,
                "enableReadOnly": {"type": "boolean"},
                "dbStatementTimeout": {"type": "integer"},
                "dbPoolRecycle": {"type": "integer"},
                "logLevel": {"type": "string"},
            }
        ),
        "dagsterDaemon": _closed(
            {
                **_POD_KEYS,
                "enabled": {"type": "boolean"},
                "runCoordinator": _OBJECT,
                "heartbeatTolerance": {"type": "integer"},
                "deploymentLabels": _STRING_MAP,
                "runMonitoring": _OBJECT,
                "runRetries": _OBJECT,
                "sensors": _OBJECT,
                "schedules": _OBJECT,
            }
        ),
        "dagster-user-deployments": _closed(
            {
                "enabled": {"type": "boolean"},
                "enableSubchart": {"type": "boolean"},
                "imagePullSecrets": {"type": "array"},
                "deployments": {"type": "array", "items": _USER_DEPLOYMENT, "minItems": 1},
            }
        ),
        "runLauncher": _closed(
            {
                "type": {"enum": ["CeleryK8sRunLauncher", "K8sRunLauncher", "CustomRunLauncher"]},
                "config": _closed({"k8sRunLauncher": _K8S_RUN_LAUNCHER}),
            },
            ("type", "config"),
        ),
        "postgresql": _closed(
            {
                "enabled": {"type": "boolean"},
                "image": _IMAGE,
                "postgresqlScheme": {"type": "string"},
                "postgresqlHost": {"type": "string"},
                "postgresqlUsername": {"type": "string"},
                "postgresqlPassword": {"type": "string"},
                "postgresqlDatabase": {"type": "string"},
                "postgresqlParams": _OBJECT,
                "service": _closed({"port": {"type": "integer"}}),
            }
        ),
        "telemetry": _closed({"enabled": {"type": "boolean"}}),
        "concurrency": _CONCURRENCY,
    }
)
