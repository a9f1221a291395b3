"""A Python client generated from the OpenAPI document works against the running API.

`openapi-python-client` (pinned in the dev group) generates a client from the document the
running API serves; the client then creates data, lists the series and asks for a forecast
from the real model server, its calls named by our operation ids (`series-list_all` ->
`series_list_all`).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from served_model import MODEL_VERSION, tiny_panel

pytestmark = pytest.mark.slow

PACKAGE = "quantis_api_client"


@pytest.fixture
def generated_client(tmp_path: Path, scratch_database, api_process, model_server):
    url, key = scratch_database("read", "write")
    base = api_process({"QUANTIS_DATABASE_URL": url, "QUANTIS_MODEL_SERVER_URL": model_server.url})
    document = tmp_path / "openapi.json"
    document.write_bytes(httpx.get(f"{base}/openapi.json", timeout=30).content)
    bin_dir = Path(sys.executable).parent  # the generator formats its output with our ruff
    generated = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(document),
         "--meta", "none", "--output-path", str(tmp_path / PACKAGE)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )  # fmt: skip
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0 and "Warning" not in output, output
    sys.path.insert(0, str(tmp_path))
    try:
        package = importlib.import_module(PACKAGE)
        yield package, package.AuthenticatedClient(base_url=base, token=key, timeout=60)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_a_generated_client_lists_series_and_creates_a_forecast(generated_client):
    package, client = generated_client
    from quantis_api_client.api.forecasts import forecasts_create
    from quantis_api_client.api.observations import observations_upsert
    from quantis_api_client.api.series import series_list_all
    from quantis_api_client.models import ForecastCreate, ObservationIn, ObservationsUpsert

    panel = tiny_panel()
    panel = panel[panel["unique_id"].isin(["s00000", "s00001"])]
    rows = [
        ObservationIn(series=uid, ts=ds.to_pydatetime(), value=float(y))
        for uid, ds, y in panel[["unique_id", "ds", "y"]].itertuples(index=False)
    ]
    body = ObservationsUpsert(observations=rows, create_missing_series=True, frequency="D")
    stored = observations_upsert.sync(client=client, body=body)
    assert stored.rows == len(rows) and sorted(stored.series_created) == ["s00000", "s00001"]

    page = series_list_all.sync(client=client)
    assert page.total == 2 and {s.name for s in page.items} == {"s00000", "s00001"}

    ids = sorted(s.id for s in page.items)
    batch = forecasts_create.sync(client=client, body=ForecastCreate(series_ids=ids, horizon=5))
    assert isinstance(batch, package.models.ForecastBatch), batch
    assert batch.model_version == MODEL_VERSION
    assert [f.series_id for f in batch.forecasts] == ids
    assert all(len(f.points) == 5 for f in batch.forecasts)
