"""Slow: `scaffold smoke` passes on the bundled templates and fails closed on broken copies.

Each broken copy narrows its own smoke.yml to one variant per language, so a test builds at most
two services; the Go build cache and the shared cargo target directory keep that warm.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import yaml

from generator.lifecycle._smoke import STEPS
from tests.conftest import TEMPLATES, Invoke, require_tools, tool_env

pytestmark = pytest.mark.slow


@pytest.fixture
def smoke_env(monkeypatch: pytest.MonkeyPatch) -> None:
    require_tools("make", "go", "cargo")
    for key, value in tool_env().items():
        monkeypatch.setenv(key, value)


Break = Callable[[Path], None]


def broken_copy(tmp_path: Path, breaks: Break) -> Path:
    golden = tmp_path / "golden"
    shutil.copytree(TEMPLATES, golden, ignore=shutil.ignore_patterns("__pycache__"))
    (golden / "shared" / "smoke.yml").write_text(
        yaml.safe_dump({"axes": {"language": ["go", "rust"], "service_name": ["payments"]}})
    )
    breaks(golden)
    return golden


def run_smoke(invoke: Invoke, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], ET.Element]:
    junit, report = tmp_path / "smoke.xml", tmp_path / "smoke.json"
    result = invoke("smoke", *args, "--junit", str(junit), "--json", str(report))
    return result.exit_code, json.loads(report.read_text()), ET.fromstring(junit.read_text())


def failed_cases(junit: ET.Element) -> list[str]:
    return [
        str(case.get("name")) for case in junit.iter("testcase") if case.find("failure") is not None
    ]


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


@pytest.mark.usefixtures("smoke_env")
def test_smoke_passes_on_the_bundled_templates(invoke: Invoke, tmp_path: Path) -> None:
    code, report, junit = run_smoke(invoke, tmp_path)
    assert code == 0, json.dumps(report, indent=1)[-3000:]
    languages = {v["answers"]["language"] for v in report["variants"]}
    assert languages == {"go", "rust"}
    assert all(v["passed"] for v in report["variants"])
    assert failed_cases(junit) == []
    assert int(junit.get("tests", "0")) == len(report["variants"]) * len(STEPS)


@pytest.mark.usefixtures("smoke_env")
def test_go_compile_error_fails_exactly_the_go_variants(invoke: Invoke, tmp_path: Path) -> None:
    def breaks(golden: Path) -> None:
        append(
            golden / "go-gin/internal/platform/problem/problem.go.jinja",
            '\nvar _ int = "not an int"\n',
        )

    golden = broken_copy(tmp_path, breaks)
    code, report, junit = run_smoke(invoke, tmp_path, "--template", str(golden))
    assert code == 1
    outcome = {v["answers"]["language"]: v for v in report["variants"]}
    assert outcome["rust"]["passed"] is True
    assert outcome["go"]["passed"] is False
    assert outcome["go"]["steps"][-1]["step"] == "build"
    assert failed_cases(junit) == ["go-payments build"]


@pytest.mark.usefixtures("smoke_env")
def test_hadolint_error_fails_the_rust_variants(invoke: Invoke, tmp_path: Path) -> None:
    def breaks(golden: Path) -> None:
        append(golden / "rust-axum/Dockerfile.jinja", "\nRUN apt-get install -y curl\n")

    golden = broken_copy(tmp_path, breaks)
    code, _, junit = run_smoke(invoke, tmp_path, "--template", str(golden), "--lang", "rust")
    assert code == 1
    assert failed_cases(junit) == ["rust-payments static"]
    failure = next(c for c in junit.iter("testcase") if c.find("failure") is not None)
    assert "hadolint" in (failure.find("failure").text or "")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("what", "breaks", "step", "evidence"),
    [
        (
            "actionlint",
            lambda g: append(
                g / "go-gin/.github/workflows/ci.yml.jinja", "\n  bogus-job:\n    runs-on: 42\n"
            ),
            "static",
            "actionlint",
        ),
        (
            "probe path",
            lambda g: replace(
                g / "shared/deploy/base/deployment.yaml.jinja",
                "path: {{ contract.routes.liveness }}",
                "path: /healthz",
            ),
            "deploy",
            "livenessProbe.httpGet.path: /healthz",
        ),
        (
            "template residue",
            lambda g: (g / "go-gin/LEFTOVER.md").write_text("Hello {{ service_name }}\n"),
            "static",
            "unrendered template syntax",
        ),
        (
            "renamed log key",
            lambda g: replace(
                g / "go-gin/internal/platform/contract/contract.go.jinja",
                "{{ (mapping[key] if mapping else key) | tojson }}",
                "{{ (mapping[key] if mapping else key) | replace('duration_ms', 'duration') "
                "| tojson }}",
            ),
            "contract",
            "logs.access",
        ),
    ],
)
@pytest.mark.usefixtures("smoke_env")
def test_smoke_catches_and_names_the_breakage(
    invoke: Invoke, tmp_path: Path, what: str, breaks: Break, step: str, evidence: str
) -> None:
    golden = broken_copy(tmp_path, breaks)
    code, _, junit = run_smoke(invoke, tmp_path, "--template", str(golden), "--lang", "go")
    assert code == 1, what
    assert failed_cases(junit) == [f"go-payments {step}"], what
    failure = next(c for c in junit.iter("testcase") if c.find("failure") is not None)
    assert evidence in (failure.find("failure").text or ""), what  # type: ignore[union-attr]
