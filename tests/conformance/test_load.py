"""The keep-alive load scenario's pieces: response framing, and the tally of its access lines."""

from __future__ import annotations

import json
from pathlib import Path

from generator.conformance._observation import LoadRun
from generator.conformance._scenarios import Limits, _complete_response, _Scenarios
from tests.conformance.cases import CONTRACT

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"


def test_a_response_is_complete_only_with_its_whole_body() -> None:
    assert _complete_response(HEAD + b"\r\nhel") is None
    assert _complete_response(HEAD) is None
    assert _complete_response(HEAD + b"\r\nhelloHTTP/1.1") == (200, False, b"HTTP/1.1")
    closing = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    assert _complete_response(closing) == (503, True, b"")


def test_the_load_access_lines_become_counts() -> None:
    access = CONTRACT.logging.access.fields
    scenarios = _Scenarios(Path("unused"), CONTRACT, Limits())
    path = scenarios._path("load")

    def line(url: str, status: int) -> str:
        return json.dumps({"msg": "request", access.path: url, access.status: status})

    other = line(scenarios._path("other"), 200)
    run = LoadRun(env={}, stdout=[line(path, 200), "not json", other, line(path, 200)])
    run.stdout.append(line(path, 503))
    scenarios._tally(run, path)
    assert run.logged == {"200": 2, "503": 1}
    assert run.stdout == ["not json", other]
