"""Every rendered object is valid for the Kubernetes release its cluster runs (terraform's
kubernetes_version) and for the newest release kubernetes-validate knows, strictly (no
unknown fields)."""

from __future__ import annotations

import kubernetes_validate
import pytest
from kubernetes_validate.utils import latest_version
from manifests import ENVIRONMENTS, render
from tfconfig import module_input


def _versions(environment: str) -> list[str]:
    cluster = module_input(environment, "compute", "kubernetes_version")
    return [f"{cluster}.0", latest_version()]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_object_validates_strictly(environment):
    objects = render(environment).objects
    assert objects
    for version in _versions(environment):
        for obj in objects:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                raise AssertionError(
                    f"{environment} {obj['kind']}/{obj['metadata']['name']} on {version}: "
                    f"{error.message} at {list(error.path)}"
                ) from error


def test_validation_rejects_an_unknown_field():
    deployment = render("dev").get("Deployment", "backend-deployment")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, latest_version(), strict=True)
