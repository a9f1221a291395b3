"""The frontend's nginx.conf under a real nginx (Debian's) in front of a real API.

The template is rendered the way the image's entrypoint renders it (only ${QUANTIS_API_URL},
${NGINX_PORT} and ${QUANTIS_API_MAX_BODY_BYTES} are substituted), with the upstream pointed at
a running API on loopback and nginx listening on a free loopback port. The API and nginx share
a small request-body limit (BODY_LIMIT), as a deployment gives both the same setting. Only the image's absolute paths are moved into
a temporary folder: the page (/usr/share/nginx/quantis) and nginx's scratch (/tmp/nginx).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.body_limit import too_large_message
from core.processes import free_port, start_process, stop_process_group, wait_until_healthy
from core.settings import load_settings

REPO_ROOT = Path(__file__).resolve().parents[3]
FRONTEND_DOCKER = REPO_ROOT / "deploy" / "docker" / "frontend"
sys.path.insert(0, str(REPO_ROOT / "tests" / "frontend"))

from browser_stack import RunningApi, SeededData, api_environment, seed_database  # noqa: E402
from npm_project import FRONTEND_DIR, ensure_node_modules, run_npm  # noqa: E402

pytestmark = pytest.mark.slow
BODY_LIMIT = 65_536  # bytes: QUANTIS_API_MAX_BODY_BYTES of both the API and nginx here


def render(
    template: str, api_url: str, listen: str, page: Path, scratch: Path, body_limit: int
) -> str:
    """envsubst of exactly the three variables, then the image's paths moved to this run's."""
    text = template.replace("${QUANTIS_API_URL}", api_url).replace("${NGINX_PORT}", listen)
    text = text.replace("${QUANTIS_API_MAX_BODY_BYTES}", str(body_limit))
    assert "${" not in text, "the template uses a variable the entrypoint does not substitute"
    return text.replace("/usr/share/nginx/quantis", str(page)).replace("/tmp/nginx", str(scratch))


@dataclass(frozen=True)
class Proxy:
    url: str
    api_url: str
    seeded: SeededData
    page: Path


@pytest.fixture(scope="module")
def page_build() -> Path:
    ensure_node_modules()
    run_npm("run", "build")
    return FRONTEND_DIR / "dist"


@pytest.fixture(scope="module")
def api(
    model_server, page_build: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, SeededData]]:
    work = tmp_path_factory.mktemp("nginx-api")
    settings = load_settings(
        home=work / "home",
        database_url=f"sqlite:///{work / 'quantis.db'}",
        model_server_url=model_server.url,
        mlflow_tracking_uri=f"sqlite:///{work / 'mlflow.db'}",
        mlflow_artifact_root=str(work / "mlflow-artifacts"),
    )
    seeded = seed_database(settings, n_series=4, length=60)
    environment = api_environment(settings, page_build, work / "no-secrets")
    environment["QUANTIS_API_MAX_BODY_BYTES"] = str(BODY_LIMIT)
    server = RunningApi(environment, work).start()
    yield server.url, seeded
    server.stop()


@pytest.fixture(scope="module")
def proxy(api, page_build: Path) -> Iterator[Proxy]:
    api_url, seeded = api
    # nginx's workers run as nobody: the page and the config must be readable by them.
    root = Path(tempfile.mkdtemp(prefix="quantis-nginx-"))
    root.chmod(0o755)
    page, scratch = root / "page", root / "run"
    shutil.copytree(page_build, page)
    scratch.mkdir()
    port = free_port()
    template = (FRONTEND_DOCKER / "nginx.conf").read_text()
    config = scratch / "nginx.conf"
    config.write_text(render(template, api_url, f"127.0.0.1:{port}", page, scratch, BODY_LIMIT))
    shutil.copy(FRONTEND_DOCKER / "proxy_headers.conf", scratch / "proxy_headers.conf")
    for folder in (root, page, scratch):
        os.chmod(folder, 0o755)
    process = start_process(
        ["nginx", "-e", "stderr", "-c", str(config), "-g", "daemon off;"], root / "nginx.log"
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until_healthy(f"{url}/nginx-health", timeout_s=20, pid=process.pid), (
            root / "nginx.log"
        ).read_text()
        yield Proxy(url, api_url, seeded, page)
    finally:
        stop_process_group(process.pid)
        shutil.rmtree(root, ignore_errors=True)


def _hashed_assets(page: Path) -> list[str]:
    index = (page / "index.html").read_text()
    return re.findall(r'(?:src|href)="\./(assets/[^"]+)"', index)


def test_index_is_never_cached_and_hashed_assets_are_cached_for_a_year(proxy: Proxy):
    for path in ("/", "/index.html"):
        response = httpx.get(proxy.url + path)
        assert response.status_code == 200 and '<div id="root">' in response.text
        assert response.headers["cache-control"] == "no-cache"
    for asset in _hashed_assets(proxy.page):
        response = httpx.get(f"{proxy.url}/{asset}")
        assert response.status_code == 200, asset
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    script = next(a for a in _hashed_assets(proxy.page) if a.endswith(".js"))
    assert "javascript" in httpx.get(f"{proxy.url}/{script}").headers["content-type"]


def test_text_assets_are_gzipped(proxy: Proxy):
    script = next(a for a in _hashed_assets(proxy.page) if a.endswith(".js"))
    with httpx.Client() as client:
        raw = client.get(f"{proxy.url}/{script}", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.content == (proxy.page / script).read_bytes()  # httpx undid the gzip


def test_the_api_its_probes_and_metrics_come_through_the_proxy(proxy: Proxy):
    key = {"X-API-Key": proxy.seeded.read_key}
    # Generous timeouts: each answer is checked, not its speed (a busy CI machine).
    get = functools.partial(httpx.get, timeout=60)
    series = get(f"{proxy.url}/api/v1/series", headers=key)
    direct = get(f"{proxy.api_url}/api/v1/series", headers=key)
    assert series.status_code == 200 and series.json() == direct.json()
    assert get(f"{proxy.url}/api/v1/series").status_code == 401  # auth is the API's
    assert get(f"{proxy.url}/health").json() == get(f"{proxy.api_url}/health").json()
    assert get(f"{proxy.url}/ready").status_code in (200, 503)
    assert "quantis_" in get(f"{proxy.url}/metrics").text
    # Proxied answers keep the API's own caching headers: nginx adds none.
    assert series.headers.get("cache-control") == direct.headers.get("cache-control")


def test_a_request_id_goes_through_and_one_is_made_when_missing(proxy: Proxy):
    given = httpx.get(f"{proxy.url}/health", headers={"X-Request-ID": "trace-42"})
    assert given.headers["x-request-id"] == "trace-42"
    made = httpx.get(f"{proxy.url}/health").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made), made


def test_security_headers_on_the_page_and_on_proxied_answers(proxy: Proxy):
    for path in ("/", "/api/v1/series", "/health"):
        headers = httpx.get(proxy.url + path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        assert "server" not in headers or "nginx/" not in headers["server"], path


def test_history_style_paths_get_the_page_and_missing_assets_a_404(proxy: Proxy):
    deep = httpx.get(f"{proxy.url}/series/1")
    assert deep.status_code == 200 and deep.headers["cache-control"] == "no-cache"
    assert deep.text == (proxy.page / "index.html").read_text()
    asset = _hashed_assets(proxy.page)[0]
    nested = httpx.get(f"{proxy.url}/series/{asset}")
    assert nested.status_code == 200 and nested.content == (proxy.page / asset).read_bytes()
    assert httpx.get(f"{proxy.url}/assets/no-such-file.js").status_code == 404


def test_the_page_works_in_chromium_through_nginx(proxy: Proxy):
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "ensure_browser.sh")], check=True)
    completed = subprocess.run(
        ["node", str(Path(__file__).with_name("nginx_page.mjs"))],
        cwd=FRONTEND_DIR,
        env={
            **os.environ,
            "QUANTIS_NGINX_URL": proxy.url,
            "QUANTIS_E2E_READ_KEY": proxy.seeded.read_key,
            "QUANTIS_E2E_SERIES": proxy.seeded.series_name,
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["listed"] == proxy.seeded.series_count
    assert result["deepLinkTitle"]  # the series page rendered from the hash deep link
    answers = {path: status for path, status in result["apiAnswers"]}
    assert answers["/api/v1/series"] == 200 and answers["/api/v1/keys/me"] == 200, answers
    assert answers["/api/v1/series/1"] == 200, answers


def _csv_body(size: int) -> tuple[bytes, str]:
    """A multipart CSV upload whose whole body is `size` bytes, and its content type."""
    boundary = "quantis-test-boundary"
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\n"
        "Content-Type: text/csv\r\n\r\nseries,ts,value\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    row = b"s,2031-01-01,"
    pad = size - len(head) - len(row) - len(b"1\n") - len(tail)
    body = head + row + b"0" * pad + b"1\n" + tail
    assert len(body) == size
    return body, f"multipart/form-data; boundary={boundary}"


def test_nginx_and_the_api_refuse_one_byte_over_the_same_limit_with_one_json_answer(proxy: Proxy):
    headers = {"X-API-Key": proxy.seeded.admin_key}
    wanted = {"code": "payload_too_large", "message": too_large_message(BODY_LIMIT), "details": None}
    path = "/api/v1/observations/csv?create_missing_series=true"
    for base in (proxy.url, proxy.api_url):
        body, content_type = _csv_body(BODY_LIMIT)
        under = httpx.post(base + path, content=body, headers={**headers, "Content-Type": content_type})
        assert under.status_code == 200, (base, under.text)
        body, content_type = _csv_body(BODY_LIMIT + 1)
        over = httpx.post(base + path, content=body, headers={**headers, "Content-Type": content_type})
        assert over.status_code == 413, (base, over.text)
        assert over.headers["content-type"].startswith("application/json"), base
        assert over.json() == {"error": wanted}, base


def test_the_page_uploads_a_csv_at_the_limit_and_shows_the_413_one_byte_over(proxy: Proxy):
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "ensure_browser.sh")], check=True)
    completed = subprocess.run(
        ["node", str(Path(__file__).with_name("nginx_upload.mjs"))],
        cwd=FRONTEND_DIR,
        env={
            **os.environ,
            "QUANTIS_NGINX_URL": proxy.url,
            "QUANTIS_E2E_WRITE_KEY": proxy.seeded.admin_key,
            "QUANTIS_E2E_SERIES": proxy.seeded.series_name,
            "QUANTIS_BODY_LIMIT": str(BODY_LIMIT),
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    under, over = result["under"], result["over"]
    assert (under["bodyBytes"], over["bodyBytes"]) == (BODY_LIMIT, BODY_LIMIT + 1), result
    assert under["status"] == 200 and "2 rows received" in under["shown"], result
    assert over["status"] == 413, result
    message = too_large_message(BODY_LIMIT)
    assert message[0].upper() + message[1:] + "." in over["shown"], result
