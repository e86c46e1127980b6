"""The benchmark harness's own pieces: what each server variant is started with, and the span
counting that proves tracing was on during the load."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from benchmarks.builds import build_sink, check_versions
from benchmarks.common import BenchError, CommandLog
from benchmarks.servers import SAMPLED_RATIO, Kind, Server, SpanSink, Variant
from tests.conftest import LANGUAGES, require_tools


def _export(spans_per_scope: list[int]) -> bytes:
    request = trace_service_pb2.ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    for count in spans_per_scope:
        scope = resource_spans.scope_spans.add()
        for index in range(count):
            scope.spans.append(trace_pb2.Span(name=f"span {index}"))
    return bytes(request.SerializeToString())


def _post(endpoint: str, path: str, body: bytes) -> int:
    parts = urlsplit(endpoint)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        connection.request(
            "POST", path, body=body, headers={"Content-Type": "application/x-protobuf"}
        )
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.slow
def test_the_sink_counts_the_spans_of_every_trace_export(tmp_path: Path) -> None:
    require_tools("go", "taskset")
    binary = build_sink(tmp_path, CommandLog(workdir=tmp_path))
    with SpanSink(binary, cpu=0) as sink:
        assert _post(sink.endpoint, "/v1/traces", _export([2, 1])) == 200
        assert _post(sink.endpoint, "/v1/metrics", b"ignored") == 200
        assert sink.span_count == 3
        assert _post(sink.endpoint, "/v1/traces", _export([4])) == 200
        assert sink.span_count == 7
        assert sink.span_count == 7, "reading the count twice must not count twice"
        assert _post(sink.endpoint, "/v1/traces", b"not protobuf") == 200
        with pytest.raises(BenchError, match="could not count"):
            _ = sink.span_count


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (Kind.BARE, {}),
        (Kind.SKELETON_OFF, {"OTEL_SDK_DISABLED": "true"}),
        (
            Kind.SKELETON_OTLP,
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:1"},
        ),
        (
            Kind.SKELETON_SAMPLED,
            {
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:1",
                "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": SAMPLED_RATIO,
            },
        ),
    ],
)
def test_each_variant_gets_a_minimal_environment(
    monkeypatch: pytest.MonkeyPatch, kind: Kind, expected: dict[str, str]
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "debug")  # the caller's settings never leak in
    env = Variant("go", kind, Path("/bin/true")).env(8080, "http://x:1")
    assert env.pop("PATH") == os.environ["PATH"]
    assert env.pop("PORT") == "8080"
    if kind is not Kind.BARE:
        assert env.pop("METRICS_PORT").isdigit()
    assert env == expected


def test_cpu_time_is_read_from_the_server_process() -> None:
    server = Server(Variant("go", Kind.BARE, Path(sys.executable)), cpu=0)
    with pytest.raises(BenchError, match="not running"):
        server.cpu_seconds()
    burn = (
        "import time\n"
        "end = time.process_time() + 0.3\n"
        "while time.process_time() < end: pass\n"
        "print('done', flush=True)\n"
        "time.sleep(30)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", burn], stdout=subprocess.PIPE)
    server._process = process  # what start() sets, without the HTTP readiness wait
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == b"done\n"
        assert 0.25 <= server.cpu_seconds() < 5
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_baselines_use_the_templates_framework_versions(
    generated: Callable[[str], Path], language: str
) -> None:
    notes = check_versions(language, generated(language))
    assert not [note for note in notes if "WARNING" in note], notes
