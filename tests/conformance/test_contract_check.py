"""Slow: `scaffold check --run` passes on default services, and fails exactly where broken.

A checker that cannot fail proves nothing: each mutation below breaks one contract item in a
copy of a generated service, rebuilds it, and expects exactly the matching items to fail.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.conformance import ContractChecker, Observation, check_service
from generator.conformance._checker import _samples
from generator.template import Template
from tests.conftest import LANGUAGES, TEMPLATES, make

pytestmark = pytest.mark.slow
CONTRACT = Template.load(TEMPLATES).contract


@pytest.mark.parametrize("language", LANGUAGES)
def test_check_run_passes_every_item(built: Callable[[str], Path], language: str) -> None:
    service = built(language).parent.parent
    outcome = check_service(service, run=True, build=False)
    failed = {r.item: r.detail for r in outcome.results if not r.passed}
    assert failed == {}
    assert len(outcome.results) >= 20
    assert outcome.exit_code == 0


def observe(binary: Path) -> Observation:
    checker = ContractChecker(binary, "payments", CONTRACT)
    checker.run(lambda _: None)
    assert checker.observation is not None
    return checker.observation


def shapes(seen: Observation) -> dict[str, Any]:
    access = [line for line in seen.logs if "url.path" in line]
    hello = [s for s in seen.spans if s.attributes.get("url.path") == "/v1/hello/world"]
    samples = _samples(seen.metrics_text)
    return {
        "access_log_keys": [sorted(line) for line in access],
        "span_attribute_keys": sorted(hello[0].attributes) if hello else None,
        "span_name_kind": (hello[0].name, hello[0].kind) if hello else None,
        "problem_keys": {key: sorted(seen.responses[key].json()) for key in ("404", "405", "413")},
        "metric_names": sorted({name for name, _, _ in samples if name.startswith("http_")}),
        "metric_label_sets": sorted(
            {tuple(sorted(labels)) for name, labels, _ in samples if name.startswith("http_")}
        ),
    }


def test_go_and_rust_are_identical_from_outside(built: Callable[[str], Path]) -> None:
    go, rust = (shapes(observe(built(language))) for language in LANGUAGES)
    assert go["span_attribute_keys"] is not None
    assert go == rust


Edit = tuple[str, str, str]  # file, old text, new text

TRACING_ITEMS = {
    "route.template",  # no span carries the route
    "trace.propagation",
    "trace.server_span",
    "trace.untraced_paths",
    "shutdown.flushes_spans",
    "otel.traces_exporter_none",  # no trace ids in the logs
    "metrics.exposed",  # the same middleware records the histogram
}

MUTATIONS: list[tuple[str, str, list[Edit], set[str]]] = [
    (
        "go",
        "drop the tracing middleware",
        [
            (
                "internal/httpserver/observe.go",
                "ctx, endSpan := s.startSpan(r.Context(), r)",
                "ctx, endSpan := r.Context(), func(outcome) {}",
            )
        ],
        TRACING_ITEMS,
    ),
    (
        "go",
        "rename a log key",
        [("internal/contract/contract.go", '"duration_ms"', '"duration"')],
        {"logs.access"},
    ),
    (
        "go",
        "change a route template",
        [
            (
                "internal/httpserver/pathtemplate.go",
                'segments[i] = "{" + name + "}"',
                'segments[i] = ":" + name',
            )
        ],
        {"route.template"},
    ),
    (
        "go",
        "break shutdown",
        [
            ("internal/httpserver/server.go", '\t"net/http"\n', '\t"net/http"\n\t"os"\n'),
            (
                "internal/httpserver/server.go",
                "\tcase <-ctx.Done():\n\t}",
                "\tcase <-ctx.Done():\n\t\tos.Exit(0)\n\t}",
            ),
        ],
        {"shutdown.graceful", "shutdown.flushes_spans"},
    ),
    (
        "rust",
        "drop the tracing middleware",
        [
            (
                "src/http/mod.rs",
                "Some(telemetry) => app.layer(axum::middleware::from_fn_with_state(\n"
                "            telemetry,\n            observe::observe,\n        )),",
                "Some(_) => app,",
            )
        ],
        TRACING_ITEMS,
    ),
    (
        "rust",
        "rename a log key",
        [("src/contract.rs", '"duration_ms"', '"duration"')],
        {"logs.access"},
    ),
    (
        "rust",
        "change a route template",
        [("src/contract.rs", '"/v1/hello/{name}"', '"/v1/hello/{who}"')],
        {"route.template"},
    ),
    (
        "rust",
        "break shutdown",
        [("src/server.rs", "() = shutdown => {}", "() = shutdown => std::process::exit(0),")],
        {"shutdown.graceful", "shutdown.flushes_spans"},
    ),
]


@pytest.mark.parametrize(
    ("language", "what", "edits", "expected"),
    MUTATIONS,
    ids=[f"{m[0]}-{m[1]}" for m in MUTATIONS],
)
def test_each_item_can_fail(
    built: Callable[[str], Path],
    tmp_path: Path,
    language: str,
    what: str,
    edits: list[Edit],
    expected: set[str],
) -> None:
    source = built(language).parent.parent
    service = tmp_path / "payments"
    shutil.copytree(source, service, ignore=shutil.ignore_patterns("bin", "target", ".git"))
    for name, old, new in edits:
        path = service / name
        text = path.read_text()
        assert old in text, f"{what}: {old!r} not in {name}"
        path.write_text(text.replace(old, new, 1))
    make(service, "build")
    report = ContractChecker(service / "bin" / "payments", "payments", CONTRACT).run(lambda _: None)
    failed = {r.item for r in report.results if not r.passed}
    assert failed == expected, {r.item: r.detail for r in report.results if not r.passed}
