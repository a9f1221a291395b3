"""Grafana's provisioning file formats (apiVersion 1) as JSON Schemas, so a misspelt or moved
key fails here instead of being ignored by Grafana at start-up. No Grafana build can be
fetched where the tests run, so the files are checked against the documented format instead
of by a running Grafana.

Encoded from Grafana's documentation, "Provision Grafana" (grafana.com/docs/grafana/latest/
administration/provisioning/): the data sources example file (`apiVersion`, `prune`,
`deleteDatasources`, `datasources` with `name`, `type`, `access`, `orgId`, `uid`, `url`,
`user`, `database`, `basicAuth`, `basicAuthUser`, `withCredentials`, `isDefault`, `jsonData`,
`secureJsonData`, `version`, `editable`) and the dashboards example file (`apiVersion`,
`providers` with `name`, `orgId`, `folder`, `folderUid`, `type`, `disableDeletion`,
`updateIntervalSeconds`, `allowUiUpdates`, `options.path`, `options.foldersFromFilesStructure`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["DASHBOARD_PROVIDERS_SCHEMA", "DATASOURCES_SCHEMA"]


def _closed(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


_STRING, _BOOLEAN, _INTEGER = {"type": "string"}, {"type": "boolean"}, {"type": "integer"}

DATASOURCES_SCHEMA = _closed(
    {
        "apiVersion": {"const": 1},
        "prune": _BOOLEAN,
        "deleteDatasources": {
            "type": "array",
            "items": _closed({"name": _STRING, "orgId": _INTEGER}, ("name",)),
        },
        "datasources": {
            "type": "array",
            "minItems": 1,
            "items": _closed(
                {
                    "name": _STRING,
                    "type": _STRING,
                    "access": {"enum": ["proxy", "direct"]},
                    "orgId": _INTEGER,
                    "uid": _STRING,
                    "url": _STRING,
                    "user": _STRING,
                    "database": _STRING,
                    "basicAuth": _BOOLEAN,
                    "basicAuthUser": _STRING,
                    "withCredentials": _BOOLEAN,
                    "isDefault": _BOOLEAN,
                    "jsonData": {"type": "object"},
                    "secureJsonData": {"type": "object"},
                    "version": _INTEGER,
                    "editable": _BOOLEAN,
                },
                ("name", "type", "access"),
            ),
        },
    },
    ("apiVersion",),
)

DASHBOARD_PROVIDERS_SCHEMA = _closed(
    {
        "apiVersion": {"const": 1},
        "providers": {
            "type": "array",
            "minItems": 1,
            "items": _closed(
                {
                    "name": _STRING,
                    "orgId": _INTEGER,
                    "folder": _STRING,
                    "folderUid": _STRING,
                    "type": {"const": "file"},
                    "disableDeletion": _BOOLEAN,
                    "updateIntervalSeconds": _INTEGER,
                    "allowUiUpdates": _BOOLEAN,
                    "options": _closed(
                        {"path": _STRING, "foldersFromFilesStructure": _BOOLEAN}, ("path",)
                    ),
                },
                ("name", "type", "options"),
            ),
        },
    },
    ("apiVersion", "providers"),
)
