"""One variant's crash fails that variant's step only; smoke still reports every variant (fast).

The variants are really rendered; the steps after render are replaced by stand-ins, one of which
raises, so no toolchain is needed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml

from generator.lifecycle import smoke
from tests.conftest import TEMPLATES, Invoke


def crash_for_rust(service: Path, linters: object) -> str:
    if (service / "Cargo.toml").is_file():
        raise RuntimeError("the linter crashed")
    return "clean"


def test_a_step_that_raises_fails_only_its_variant(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    golden = tmp_path / "golden"
    shutil.copytree(TEMPLATES, golden, ignore=shutil.ignore_patterns("__pycache__"))
    (golden / "shared" / "smoke.yml").write_text(
        yaml.safe_dump({"axes": {"language": ["go", "rust"], "service_name": ["payments"]}})
    )
    monkeypatch.setattr(smoke, "provision_linters", lambda template, progress: {})
    monkeypatch.setattr(smoke, "_static", crash_for_rust)
    monkeypatch.setattr(smoke, "_deploy", lambda service, template, linters: "validated")
    monkeypatch.setattr(smoke.Smoke, "_make", lambda self, service, target: f"make {target}")
    monkeypatch.setattr(smoke, "_contract", lambda service, variant, template: "all passed")
    junit, report = tmp_path / "smoke.xml", tmp_path / "smoke.json"

    result = invoke(
        "smoke", "--template", str(golden), "--junit", str(junit), "--json", str(report)
    )

    assert result.exit_code == 1, result.stdout + result.stderr
    assert "go-payments" in result.stdout
    assert "1/2 variants passed" in result.stdout
    variants = {v["name"]: v for v in json.loads(report.read_text())["variants"]}
    assert variants["go-payments"]["passed"] is True
    assert [s["step"] for s in variants["go-payments"]["steps"]] == list(smoke.STEPS)
    rust = variants["rust-payments"]
    assert rust["passed"] is False
    assert [(s["step"], s["passed"]) for s in rust["steps"]] == [
        ("render", True),
        ("static", False),
    ]
    assert rust["steps"][-1]["output"] == "RuntimeError: the linter crashed"
    cases = ET.fromstring(junit.read_text()).findall("testcase")
    assert len(cases) == 2 * len(smoke.STEPS)
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["rust-payments static"]
    skipped = [c.get("name") for c in cases if c.find("skipped") is not None]
    assert skipped == [f"rust-payments {step}" for step in smoke.STEPS[2:]]
