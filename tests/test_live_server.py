"""The real thing: gunicorn workers serving the app over TCP, and `sciplane serve` itself."""

import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
import requests

from sciplane.testing import LiveServer
from sciplane.testing.server import free_port


@pytest.fixture
def live(make_app, tmp_path, sciplane_database_url, example_plugin):
    make_app(plugins=["example"])  # migrate the database the server will use
    settings = {"database": {"url": sciplane_database_url or f"sqlite:///{tmp_path}/sciplane.db"},
                "data_dir": str(tmp_path / "var"), "jobs": {"url": f"sqlite:///{tmp_path}/jobs.db"},
                "plugins": {"enabled": ["example"]}, "http": {"max_body_bytes": 1024}}
    with LiveServer(settings, extra_env={"PYTHONPATH": str(example_plugin)}) as server:
        yield server.url


def test_core_endpoints(live):
    assert requests.get(live + "/health").json() == {"status": "ok", "checks": {"database": "ok", "jobs": "ok"}}
    index = requests.get(live + "/api").json()
    assert [p["name"] for p in index["plugins"]] == ["core", "example"]
    from openapi_spec_validator import validate
    validate(requests.get(live + "/openapi.json").json())
    page = requests.get(live + "/docs")
    assert page.status_code == 200 and requests.get(live + "/docs/static/swagger-ui-bundle.js").status_code == 200
    assert requests.get(live + "/example/hello").json() == {"message": "hello"}


def test_errors_are_json_over_the_wire(live):
    for method, path, status in (("GET", "/nope", 404), ("DELETE", "/health", 405), ("GET", "/api/jobs/x", 401)):
        resp = requests.request(method, live + path)
        assert resp.status_code == status and resp.headers["content-type"] == "application/json"
        assert resp.json()["code"]


def test_chunked_upload_over_the_limit(live):
    def body():
        for _ in range(10):
            yield b"x" * 200

    resp = requests.post(live + "/example/notes", data=body(), headers={"Content-Type": "application/json"})
    assert resp.status_code == 413 and resp.json()["code"] == "payload_too_large"


def test_concurrent_requests(live):
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: requests.get(live + "/health").status_code, range(64)))
    assert statuses == [200] * 64


def test_request_ids_over_the_wire(live):
    assert requests.get(live + "/health/live", headers={"X-Request-Id": "trace-1"}).headers["x-request-id"] == "trace-1"


def _serve(tmp_path, *args):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIPLANE")}
    env.update(SCIPLANE_DATA_DIR=str(tmp_path / "var"), SCIPLANE_PLUGINS="", SCIPLANE_LOG_LEVEL="WARNING")
    process = subprocess.Popen([sys.executable, "-m", "sciplane", "serve", "--bind", f"127.0.0.1:{port}",
                                "--workers", "1", *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    return process, f"http://127.0.0.1:{port}"


def test_serve_refuses_unmigrated_then_migrates(tmp_path):
    refused, _ = _serve(tmp_path)
    output = refused.communicate(timeout=60)[0].decode()
    assert refused.returncode != 0 and "Run `sciplane migrate` first" in output
    process, url = _serve(tmp_path, "--migrate")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(url + "/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert requests.get(url + "/health").json()["status"] == "ok"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_what_gunicorn_refuses_is_json_too(live):
    """A request line or headers beyond gunicorn's limits, or a header line it cannot read, are answered by
    gunicorn before the app sees the request; a malformed chunk, while the app reads the body.  Both answer with
    the core's JSON body and code, not gunicorn's HTML page or a 500."""
    address = urlsplit(live)
    cases = [
        (f"GET /{'x' * 5000} HTTP/1.1\r\nHost: h\r\n\r\n", 414, "request_uri_too_long"),
        ("GET /health HTTP/1.1\r\nHost: h\r\n" + "".join(f"X-{n}: v\r\n" for n in range(120)) + "\r\n", 431,
         "request_header_fields_too_large"),
        ("GET /health HTTP/1.1\r\nHost: h\r\nno colon here\r\n\r\n", 400, "bad_request"),
        ("POST /example/notes HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
         "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n", 400, "bad_request"),
    ]
    for raw, status, code in cases:
        with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
            conn.sendall(raw.encode())
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in header_lines)}
        assert status_line.startswith(f"HTTP/1.1 {status} "), (status_line, body[:200])
        assert headers["content-type"] == "application/json", headers
        error = json.loads(body)
        assert error["code"] == code and error["title"].startswith(str(status)) and error["description"], error
