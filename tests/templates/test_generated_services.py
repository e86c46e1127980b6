"""Slow tests: generate the default service of each language, then build, test, lint and run it.

This is the product's core promise ("ready to build"), so these tests run in CI (.ci/run).
Builds share the Go build cache and one cargo target directory, so only the first is cold.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.conformance import in_flight_shutdown
from generator.conformance import RunningService
from tests.conftest import LANGUAGES, make, tool_env

pytestmark = pytest.mark.slow

ACCESS_KEYS = {
    "time",
    "level",
    "msg",
    "service",
    "http.request.method",
    "http.route",
    "url.path",
    "http.response.status_code",
    "duration_ms",
    # tracing is on (OTEL_TRACES_EXPORTER=none keeps spans local), so the server span's ids too
    "trace_id",
    "span_id",
}
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "trace_id"}
TIME_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.mark.parametrize("language", LANGUAGES)
def test_make_build_leaves_the_binary(built: Callable[[str], Path], language: str) -> None:
    binary = built(language)
    assert binary.is_file()
    assert binary.stat().st_mode & 0o111


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("target", ["test", "lint"])
def test_make_test_and_lint_pass(built: Callable[[str], Path], language: str, target: str) -> None:
    service = built(language).parent.parent
    make(service, target)


def drive(binary: Path) -> dict[str, Any]:
    """Run the contract scenario against one binary; return what was observed."""
    env = {"HTTP_MAX_BODY_BYTES": "1024", "OTEL_TRACES_EXPORTER": "none"}
    with RunningService(binary, env=env) as svc:
        svc.wait_ready()
        seen: dict[str, Any] = {
            "livez": svc.request("GET", "/livez"),
            "readyz": svc.request("GET", "/readyz"),
            "hello": svc.request("GET", "/v1/hello/world"),
            "not_found": svc.request("GET", "/nope"),
            "method": svc.request("DELETE", "/v1/hello/world"),
            "too_large": svc.request(
                "POST",
                "/v1/hello/world",
                body=b"x" * 2048,
                headers={"Content-Type": "application/octet-stream"},
            ),
        }
        time.sleep(0.2)  # let the last access-log line reach stdout
        svc.signal(signal.SIGTERM)
        seen["exit_code"] = svc.wait()
        seen["logs"] = svc.json_logs()
        seen["port"] = svc.port
    return seen


@pytest.fixture(scope="session")
def observed(built: Callable[[str], Path]) -> Callable[[str], dict[str, Any]]:
    cache: dict[str, dict[str, Any]] = {}

    def get(language: str) -> dict[str, Any]:
        if language not in cache:
            cache[language] = drive(built(language))
        return cache[language]

    return get


def access_lines(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in logs if line.get("msg") == "request"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_runtime_contract(observed: Callable[[str], dict[str, Any]], language: str) -> None:
    seen = observed(language)
    for probe in ("livez", "readyz"):
        assert seen[probe].status == 200
        assert seen[probe].json() == {"status": "ok"}
    assert seen["hello"].status == 200
    assert seen["hello"].content_type.startswith("application/json")
    assert seen["hello"].json() == {"message": "hello, world"}

    for key, status, title in (
        ("not_found", 404, "Not Found"),
        ("method", 405, "Method Not Allowed"),
        ("too_large", 413, "Content Too Large"),
    ):
        response = seen[key]
        assert response.status == status, (key, response.body)
        assert response.content_type == "application/problem+json"
        problem = response.json()
        assert set(problem) == PROBLEM_KEYS, problem
        assert problem["status"] == status
        assert problem["title"] == title
        assert problem["type"] == "about:blank"
    assert "GET" in seen["method"].headers.get("allow", "")
    assert seen["exit_code"] == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_access_log(observed: Callable[[str], dict[str, Any]], language: str) -> None:
    seen = observed(language)
    logs: list[dict[str, Any]] = seen["logs"]
    for line in logs:
        assert {"time", "level", "msg", "service"} <= set(line), line
        assert TIME_FORMAT.match(line["time"]), line["time"]
        assert line["level"] in {"DEBUG", "INFO", "WARN", "ERROR"}
        assert line["service"] == "payments"
    requests = access_lines(logs)
    # livez and readyz (including the readiness polls) are never logged
    assert [line["url.path"] for line in requests] == [
        "/v1/hello/world",
        "/nope",
        "/v1/hello/world",
        "/v1/hello/world",
    ]
    for line in requests:
        assert set(line) == ACCESS_KEYS, line
        assert isinstance(line["http.response.status_code"], int)
        assert isinstance(line["duration_ms"], int | float)
    hello = requests[0]
    assert hello["http.request.method"] == "GET"
    assert hello["http.route"] == "/v1/hello/{name}"
    assert hello["http.response.status_code"] == 200
    assert requests[1]["http.route"] == ""
    assert [line["http.response.status_code"] for line in requests] == [200, 404, 405, 413]
    assert any(line["msg"] == "server started" and line["port"] == seen["port"] for line in logs)


def test_go_and_rust_look_the_same(observed: Callable[[str], dict[str, Any]]) -> None:
    go, rust = observed("go"), observed("rust")
    assert [set(line) for line in access_lines(go["logs"])] == [
        set(line) for line in access_lines(rust["logs"])
    ]
    for key in ("not_found", "method", "too_large"):
        assert set(go[key].json()) == set(rust[key].json())
        assert go[key].json()["title"] == rust[key].json()["title"]
        assert go[key].content_type == rust[key].content_type
    assert go["hello"].json() == rust["hello"].json()
    go_msgs = [line["msg"] for line in go["logs"]]
    rust_msgs = [line["msg"] for line in rust["logs"]]
    assert go_msgs == rust_msgs


@pytest.mark.parametrize("language", LANGUAGES)
def test_sigterm_lets_an_in_flight_request_finish(
    built: Callable[[str], Path], language: str
) -> None:
    with RunningService(built(language)) as svc:
        svc.wait_ready()
        # An in-flight request: the request line and headers are being received when the
        # signal arrives; the server must finish it before exiting.
        reply, alive_after_signal, _ = in_flight_shutdown(svc, "/v1/hello/late")
        assert alive_after_signal, "exited with a request in flight"
        assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
        assert b'"hello, late"' in reply
        assert svc.wait(timeout=15) == 0
        msgs = [line["msg"] for line in svc.json_logs()]
        assert msgs.index("shutting down") < msgs.index("server stopped")


@pytest.mark.parametrize("language", LANGUAGES)
def test_invalid_config_fails_fast_with_a_json_error(
    built: Callable[[str], Path], language: str
) -> None:
    with RunningService(built(language), env={"PORT": "not-a-port"}) as svc:
        code = svc.wait(timeout=10)
        assert code == 1
        logs = svc.json_logs()
        assert len(logs) == 1
        assert logs[0]["level"] == "ERROR"
        assert logs[0]["msg"] == "invalid configuration"
        assert "PORT" in logs[0]["error"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_healthcheck_argument(built: Callable[[str], Path], language: str) -> None:
    binary = built(language)
    with RunningService(binary) as svc:
        svc.wait_ready()
        env = {**tool_env(), "PORT": str(svc.port)}
        ok = subprocess.run(
            [binary, "healthcheck"], env=env, capture_output=True, timeout=10, check=False
        )
        assert ok.returncode == 0
    env = {**tool_env(), "PORT": str(svc.port)}  # nothing listens there any more
    down = subprocess.run(
        [binary, "healthcheck"], env=env, capture_output=True, timeout=10, check=False
    )
    assert down.returncode == 1
