"""The benchmark harness's own pieces: what each server variant is started with, and the span
counting that proves tracing was on during the load."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from benchmarks.__main__ import parse_args, variants_for
from benchmarks.ablation import PARTS, Edit, Part, apply, parts_for
from benchmarks.builds import build_sink, check_versions, lock_drift
from benchmarks.common import BenchError, CommandLog
from benchmarks.report import METRICS, Report, ratio, serving_section
from benchmarks.servers import SAMPLED_RATIO, Kind, Server, SpanSink, Variant
from benchmarks.serving import ServerStats, ServingSettings
from benchmarks.wrk import Load, WrkResult
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
            Kind.STANDARD,
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
    server = Server(Variant("go", Kind.BARE, Path(sys.executable)), cpu=0, log_cpu=0)
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


_LOGGING_SERVER = """#!{python}
import http.server, os, sys
# More than a pipe holds: were nothing reading stdout, this would block before serving.
for _ in range(1024):
    sys.stdout.write("x" * 1023 + "\\n")
sys.stdout.flush()


class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Ok).serve_forever()
"""


def test_server_logs_go_to_a_pipe_that_a_reader_drains(tmp_path: Path) -> None:
    binary = tmp_path / "logging-server"
    binary.write_text(_LOGGING_SERVER.format(python=sys.executable))
    binary.chmod(0o755)
    server = Server(Variant("go", Kind.BARE, binary), cpu=0, log_cpu=0)
    try:
        assert server.start() < 10
        assert server._process is not None
        assert server._log_reader is not None
        pipe = Path(f"/proc/{server._process.pid}/fd/1").readlink()
        assert str(pipe).startswith("pipe:")
        assert Path(f"/proc/{server._log_reader.pid}/fd/0").readlink() == pipe
    finally:
        server.stop()
    assert server._log_reader is None


def test_the_standard_stack_exports_and_says_when_it_is_ready() -> None:
    standard = Variant("rust", Kind.STANDARD, Path("/bin/true"))
    assert standard.kind.exports
    assert standard.ready_path == "/readyz"
    assert standard.label == "rust standard stack, tracing → OTLP"
    with pytest.raises(BenchError, match="needs an OTLP receiver"):
        standard.env(8080, None)


def test_every_language_runs_its_standard_stack_beside_the_others() -> None:
    settings = parse_args([])
    paths = {language: Path(f"/{language}") for language in settings.languages}
    ablated = {part: Path(f"/{part.slug}") for part in parts_for(settings.languages)}
    variants = variants_for(settings, paths, paths, paths, ablated)
    for language in settings.languages:
        kinds = {v.kind for v in variants if v.language == language}
        assert kinds == set(Kind)
        parts = [v.part for v in variants if v.language == language and v.part is not None]
        assert parts == parts_for((language,))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_baselines_use_the_templates_framework_versions(
    generated: Callable[[str], Path], language: str
) -> None:
    notes = check_versions(language, generated(language))
    assert not [note for note in notes if "WARNING" in note], notes
    baselines = ("bare-gin", "std-gin") if language == "go" else ("bare-axum", "std-axum")
    assert [note.split(":", 1)[0] for note in notes] == list(baselines)


def test_lock_drift_is_a_shared_crate_at_another_compatible_version() -> None:
    skeleton = {"tokio": {"1.54.1"}, "base64": {"0.23.1"}, "syn": {"2.0.119", "3.0.10"}}
    assert lock_drift(skeleton, {"tokio": {"1.54.1"}, "syn": {"2.0.119"}}) == []
    # Another major version, for a crate only the baseline uses: another crate to the build.
    assert lock_drift(skeleton, {"base64": {"0.22.1", "0.23.1"}}) == []
    assert lock_drift(skeleton, {"tokio": {"1.55.0"}}) == ["tokio"]
    assert lock_drift(skeleton, {"base64": {"0.23.2"}, "syn": {"3.0.9"}}) == ["base64", "syn"]
    assert lock_drift(skeleton, {"metrics": {"0.24.6"}}) == []


def _stats(language: str, kind: Kind, rps: float, cpu_us: float) -> ServerStats:
    stats = ServerStats(Variant(language, kind, Path("/bin/true")), binary_bytes=1 << 20)
    stats.startup = [0.005]
    stats.rss_idle = 10 << 20
    stats.rss_peaks = [20 << 20]
    for _ in range(2):
        stats.rounds.append(WrkResult(rps, 0.0003, 0.001, int(rps * 2), 0, 0))
        stats.cpu_per_request.append(cpu_us / 1e6)
    stats.requests_sent = int(rps * 4)
    stats.spans_received = stats.requests_sent if kind.exports else None
    return stats


def _serving_report(stats: list[ServerStats]) -> str:
    load = Load(cpu=1, threads=1, connections=32)
    settings = ServingSettings(2, 2, 1, 0.5, 3, server_cpu=0, load=load)
    report = Report(command="python -m benchmarks", quick=True, machine=[])
    report.serving, report.serving_settings = stats, settings
    return "\n".join(serving_section(report))


def test_the_report_compares_the_skeleton_with_the_standard_stack() -> None:
    text = _serving_report(
        [
            _stats("go", Kind.SKELETON_OTLP, 33_000, 30.0),
            _stats("go", Kind.BARE, 110_000, 9.0),
            _stats("go", Kind.STANDARD, 30_000, 34.0),
            _stats("rust", Kind.SKELETON_OTLP, 94_000, 10.0),
            _stats("rust", Kind.STANDARD, 80_000, 12.0),
        ]
    )
    table = text.split("### Skeleton / standard stack (ratios)\n\n", 1)[1].split("\n\n", 1)[0]
    rows = table.splitlines()
    assert rows[0].startswith("| language | throughput | p50 | p99 | CPU/req |")
    assert rows[2].startswith("| go | 1.10x | 1.00x | 1.00x | 0.88x |")
    assert rows[3].startswith("| rust | 1.18x | 1.00x | 1.00x | 0.83x |")
    assert (
        "- go, skeleton, tracing → OTLP vs standard stack, tracing → OTLP: throughput 1.10x "
        "(target ≥ 1.10x: yes), CPU/req 0.88x (target ≤ 0.90x: yes)"
    ) in text
    assert "- rust, skeleton, tracing → OTLP vs standard stack, tracing → OTLP:" in text
    # The standard stack has its own rows in the server and Rust / Go tables.
    assert "| go standard stack, tracing → OTLP | 30,000 |" in text
    assert "| standard stack, tracing → OTLP | 2.67x |" in text


def test_a_target_missed_against_the_standard_stack_reads_no() -> None:
    text = _serving_report(
        [
            _stats("go", Kind.SKELETON_OTLP, 30_000, 33.0),
            _stats("go", Kind.STANDARD, 30_000, 33.0),
        ]
    )
    assert (
        "throughput 1.00x (target ≥ 1.10x: **no**), CPU/req 1.00x (target ≤ 0.90x: **no**)"
    ) in text


def test_no_standard_stack_table_without_both_servers() -> None:
    text = _serving_report([_stats("go", Kind.SKELETON_OTLP, 30_000, 33.0)])
    assert "standard stack (ratios)" not in text


def test_a_standard_stack_that_exported_nothing_is_called_out() -> None:
    standard = _stats("go", Kind.STANDARD, 30_000, 33.0)
    standard.spans_received = 0
    text = _serving_report([_stats("go", Kind.SKELETON_OTLP, 30_000, 33.0), standard])
    assert "the receiver got no spans** for 120,000 requests: the standard stack" in text


def test_ratios_pair_the_rounds_so_a_slow_stretch_cancels() -> None:
    # The machine slowed down after the first round, for both servers alike. Round by round the
    # skeleton does 1.5x, 1.4x and 1.6x the standard stack; the ratio of the two medians (160
    # over 100) would say 1.6x.
    skeleton = _stats("go", Kind.SKELETON_OTLP, 0, 0)
    standard = _stats("go", Kind.STANDARD, 0, 0)
    skeleton.rounds = [WrkResult(rps, 0.001, 0.002, int(rps), 0, 0) for rps in (300, 140, 160)]
    standard.rounds = [WrkResult(rps, 0.001, 0.002, int(rps), 0, 0) for rps in (200, 100, 100)]
    throughput = next(metric for metric in METRICS if metric.name == "throughput")
    assert skeleton.requests_per_second / standard.requests_per_second == pytest.approx(1.6)
    assert ratio(throughput, skeleton, standard) == pytest.approx(1.5)


def test_the_skeleton_and_its_standard_stack_run_back_to_back() -> None:
    settings = parse_args(["--quick"])
    paths = {language: Path(f"/{language}") for language in settings.languages}
    kinds = [v.kind for v in variants_for(settings, paths, paths, paths, {})]
    at = kinds.index(Kind.SKELETON_OTLP)
    assert kinds[at + 1] is Kind.STANDARD


def test_metrics_measured_once_are_a_ratio_of_their_values() -> None:
    skeleton = _stats("rust", Kind.SKELETON_OTLP, 100, 10)
    standard = _stats("rust", Kind.STANDARD, 100, 10)
    skeleton.binary_bytes, standard.binary_bytes = 3 << 20, 2 << 20
    binary = next(metric for metric in METRICS if metric.name == "binary")
    assert ratio(binary, skeleton, standard) == pytest.approx(1.5)


# -- the ablation -----------------------------------------------------------------------------


@pytest.mark.parametrize("part", PARTS, ids=lambda part: f"{part.language}-{part.slug}")
def test_every_ablation_edit_applies_to_the_current_template(
    generated: Callable[[str], Path], part: Part, tmp_path: Path
) -> None:
    service = tmp_path / "svc"
    shutil.copytree(generated(part.language), service)
    before = {p: p.read_text() for p in service.rglob("*") if p.is_file()}
    apply(part, service)
    changed = [p for p in service.rglob("*") if p.is_file() and p.read_text() != before[p]]
    assert changed, "the edits changed nothing"


def test_an_ablation_edit_the_template_outgrew_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "internal").mkdir()
    (tmp_path / "internal" / "workers.go").write_text("package x\n\tgo p.work(job)\n")
    stale = Part(
        "go", "workers", "reuse", "go job()", "", (Edit("internal/workers.go", "gone", ""),)
    )
    with pytest.raises(BenchError, match="0 occurrences of 'gone'"):
        apply(stale, tmp_path)
    moved = Part("go", "workers", "reuse", "go job()", "", (Edit("x/workers.go", "go", ""),))
    with pytest.raises(BenchError, match=re.escape("0 source files end with 'x/workers.go'")):
        apply(moved, tmp_path)


def test_the_ablation_table_keeps_a_part_only_for_a_measured_saving_or_a_stated_reason() -> None:
    fast = Part("go", "workers", "goroutine reuse", "go job()", "", ())
    slow = Part("go", "log-output", "buffered log output", "write per line", "", ())
    needed = Part("go", "drain", "drain tracking", "Shutdown", "no dropped requests", ())
    noisy = Part("rust", "log-writer", "buffered writer", "stdout", "", ())
    # The main skeleton is slower than the ablation's own: each part is compared with the
    # skeleton that ran right before it, never with this one.
    stats = [_stats("go", Kind.SKELETON_OTLP, 20_000, 50.0)]
    for part, cpu in ((fast, 33.0), (slow, 30.9), (needed, 29.0)):
        beside = _stats("go", Kind.SKELETON_OTLP, 30_000, 30.0)
        beside.variant = Variant("go", Kind.SKELETON_OTLP, Path("/x"), baseline_for=part)
        ablated = _stats("go", Kind.ABLATED, 29_000, cpu)
        ablated.variant = Variant("go", Kind.ABLATED, Path("/x"), part)
        stats += [beside, ablated]
    beside.cpu_per_request = [25e-6, 35e-6]  # the rounds disagree: 25/29 and 35/29
    # A part whose rounds disagree as much, with no other reason to be there, is not judged on
    # the median: one round more could turn the verdict.
    noisy_beside = _stats("rust", Kind.SKELETON_OTLP, 30_000, 30.0)
    noisy_beside.variant = Variant("rust", Kind.SKELETON_OTLP, Path("/x"), baseline_for=noisy)
    noisy_beside.cpu_per_request = [25e-6, 35e-6, 31e-6]
    noisy_ablated = _stats("rust", Kind.ABLATED, 29_000, 29.0)
    noisy_ablated.variant = Variant("rust", Kind.ABLATED, Path("/x"), noisy)
    noisy_ablated.cpu_per_request = [29e-6, 29e-6, 29e-6]
    stats += [noisy_beside, noisy_ablated]
    text = _serving_report(stats)
    table = text.split("### Ablation", 1)[1]
    assert "| go | goroutine reuse | go job() | 30.0 | 33.0 | +9.1% | +9% to +9% |" in table
    assert "kept: saves enough |" in table
    assert "| go | buffered log output | write per line | 30.0 | 30.9 | +2.9% |" in table
    assert "**replace with the library** |" in table
    assert "| 30.0 | 29.0 | -3.4% | -21% to +14% | 1.03x |" in table
    assert "kept for what the library lacks: no dropped requests |" in table
    assert "| go skeleton, tracing → OTLP (beside drain) | 30,000 |" in text
    assert "- go, buffered log output: saves +2.9% of CPU/req against write per line " in table
    assert "(target ≥ 5%: **no**)" in table
    assert (
        "| rust | buffered writer | stdout | 31.0 | 29.0 | -6.9% | -21% to +14% | 1.03x | "
        "**inconclusive**: 1 of 3 rounds fall on the other side of 5%" in table
    )
    assert "- rust, buffered writer: saves -6.9% of CPU/req against stdout " in table
    assert "(target ≥ 5%: inconclusive)" in table
