"""`scaffold smoke` provisions the linters it runs, and fails closed when it cannot (fast)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from generator.template import Template
from tests.conftest import TEMPLATES, Invoke

TEMPLATE = Template.load(TEMPLATES)
ACTIONLINT = TEMPLATE.tools.go_tools.actionlint


def test_a_linter_that_cannot_be_installed_fails_the_static_step_with_the_command(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    golden = tmp_path / "golden"
    shutil.copytree(TEMPLATES, golden, ignore=shutil.ignore_patterns("__pycache__"))
    (golden / "shared" / "smoke.yml").write_text(
        yaml.safe_dump({"axes": {"language": ["go"], "service_name": ["payments"]}})
    )
    bin_dir = tmp_path / "bin"  # git and make, but no go: actionlint cannot be built
    bin_dir.mkdir()
    for tool in ("git", "make"):
        real = shutil.which(tool)
        assert real is not None
        (bin_dir / tool).symlink_to(real)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    if shutil.which("go"):
        pytest.skip("go is in /usr/bin or /bin on this machine")
    monkeypatch.setenv("SCAFFOLD_TOOLS_DIR", str(tmp_path / "tools"))
    report = tmp_path / "smoke.json"

    result = invoke("smoke", "--template", str(golden), "--json", str(report))

    assert result.exit_code == 1
    (variant,) = json.loads(report.read_text())["variants"]
    assert [(s["step"], s["passed"]) for s in variant["steps"]] == [
        ("render", True),
        ("static", False),
    ]
    output = variant["steps"][1]["output"]
    assert output.count("\n") == 0
    assert f"actionlint {ACTIONLINT} cannot be installed: go is not on PATH" in output
    assert f"go install github.com/rhysd/actionlint/cmd/actionlint@{ACTIONLINT}" in output


def test_a_deploy_validator_that_could_not_be_provisioned_fails_the_deploy_step_only(
    tmp_path: Path,
) -> None:
    from generator.errors import ToolchainError
    from generator.lifecycle import _smoke as smoke

    missing = ToolchainError("node is not on PATH", hint="install Node.js")
    linters = {name: Path("/nonexistent") / name for name in smoke.DEPLOY_TOOLS}
    linters["node"] = missing  # type: ignore[assignment]
    # The static step does not need it ...
    assert smoke.needed(linters, ["kustomize"]) == {"kustomize": Path("/nonexistent/kustomize")}
    # ... the deploy step fails with the reason, before any validator runs.
    result = smoke._step("deploy", lambda: smoke._deploy(tmp_path, TEMPLATE, linters))
    assert result.passed is False
    assert result.output == "node is not on PATH (hint: install Node.js)"
    unprovisioned = {k: v for k, v in linters.items() if k != "renovate"}
    assert smoke._step(
        "deploy", lambda: smoke._deploy(tmp_path, TEMPLATE, unprovisioned)
    ).output == ("renovate was not provisioned")
