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

from generator.check import check_service
from generator.contract_check import ContractChecker, Observation, _samples
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

MUTATIONS: list[tuple[str, str, list[Edit], set[str]]] = []


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
