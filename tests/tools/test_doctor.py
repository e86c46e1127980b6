"""`scaffold doctor`: every tool, pinned against found; exit 4 when a required one is missing."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from generator.template import Template
from generator.tools import go_tools, node_tools
from generator.tools._validators import composecheck_path
from tests.conftest import TEMPLATES, Invoke, require_tools

ACTIONLINT = Template.load(TEMPLATES).tools.go_tools.actionlint
GO_TOOLS = go_tools(Template.load(TEMPLATES).tools)
NODE_TOOLS = node_tools(Template.load(TEMPLATES).tools)
GOLANGCI_LINT = re.search(
    r"golangci-lint/v2 (v\S+)", (TEMPLATES / "go-gin/tools/go.mod").read_text()
).group(1)  # type: ignore[union-attr]


def stub(path: Path, output: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho '{output}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def stub_go_tools(cache: Path, *, but: str = "") -> None:
    """Every tool scaffold provisions in the cache at its pinned version, except the one named but.

    The cache is $SCAFFOLD_TOOLS_DIR (the cache fixture), where the validators' paths point.
    """
    for tool in GO_TOOLS:
        if tool.name != but:
            stub(cache / tool.name / tool.version / tool.name, tool.version)
    if but != "composecheck":
        stub(composecheck_path(), "")
    for node_tool in NODE_TOOLS:
        if node_tool.package != but:
            node_tool.package_dir.mkdir(parents=True, exist_ok=True)
            (node_tool.package_dir / "package.json").write_text("{}")


def rows(stdout: str) -> dict[str, dict[str, object]]:
    return {row["tool"]: row for row in json.loads(stdout)["tools"]}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCAFFOLD_TOOLS_DIR", str(tmp_path / "tools"))
    return tmp_path / "tools"


def test_reports_a_missing_linter_with_its_pin_and_fix_and_exits_4(
    invoke: Invoke, cache: Path
) -> None:
    require_tools("rustup")
    stub_go_tools(cache, but="actionlint")
    result = invoke("doctor", "--lang", "rust", "--json")
    assert result.exit_code == 4
    found = rows(result.stdout)
    assert {"python", "git", "make", "rust", "clippy", "rustfmt", "hadolint", "actionlint"} <= set(
        found
    )
    assert "go" not in found  # --lang rust
    assert found["actionlint"]["pinned"] == ACTIONLINT
    assert found["actionlint"]["usable"] is False
    assert f"go install github.com/rhysd/actionlint/cmd/actionlint@{ACTIONLINT}" in str(
        found["actionlint"]["fix"]
    )
    assert found["rust"]["pinned"] == "1.95.0 (rust-toolchain.toml)"
    assert found["rust"]["usable"] is True
    assert json.loads(result.stdout)["usable"] is False
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("error: 1 required tool(s) not usable: actionlint")
    )


def test_all_usable_exits_0_and_prints_a_table(invoke: Invoke, cache: Path) -> None:
    require_tools("rustup")
    stub_go_tools(cache)
    result = invoke("doctor", "--lang", "rust")
    assert result.exit_code == 0, result.stdout + result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.split() == ["tool", "pinned", "found", "status", "needed", "by"]
    actionlint = next(line for line in lines if line.startswith("actionlint"))
    assert actionlint.split()[:4] == ["actionlint", ACTIONLINT, ACTIONLINT, "ok"]


@pytest.mark.parametrize("missing", ["composecheck", "renovate", "@backstage/catalog-model"])
def test_a_missing_deploy_validator_is_reported_with_how_to_install_it(
    invoke: Invoke, cache: Path, missing: str
) -> None:
    stub_go_tools(cache, but=missing)
    result = invoke("doctor", "--lang", "rust", "--json")
    assert result.exit_code == 4
    row = rows(result.stdout)[missing]
    assert row["usable"] is False
    assert row["needed_by"] == "scaffold smoke (deploy step)"
    assert "scaffold doctor --install" in str(row["fix"])
    assert ("go build" if missing == "composecheck" else "npm install --ignore-scripts") in str(
        row["fix"]
    )


def test_a_wrong_version_in_the_cache_is_not_usable(invoke: Invoke, cache: Path) -> None:
    stub(cache / "actionlint" / ACTIONLINT / "actionlint", "v1.6.0")
    result = invoke("doctor", "--lang", "rust", "--json")
    assert rows(result.stdout)["actionlint"]["usable"] is False


def test_without_rustup_the_rust_rows_say_how_to_get_it(
    invoke: Invoke, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("git", "make"):
        real = shutil.which(tool)
        assert real is not None
        (bin_dir / tool).symlink_to(real)
    monkeypatch.setenv("PATH", str(bin_dir))
    result = invoke("doctor", "--lang", "rust", "--json")
    assert result.exit_code == 4
    found = rows(result.stdout)
    for tool in ("rust", "clippy", "rustfmt"):
        assert found[tool]["usable"] is False
        assert "https://rustup.rs" in str(found[tool]["fix"])
    assert found["docker"]["required"] is False
    assert "docker" not in result.stderr.strip().splitlines()[-1]


@pytest.mark.slow
def test_install_provisions_actionlint_and_golangci_lint_is_the_pinned_one(
    invoke: Invoke, cache: Path
) -> None:
    require_tools("go", "rustup")
    result = invoke("doctor", "--install", "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    found = rows(result.stdout)
    assert all(row["usable"] for row in found.values() if row["required"])
    assert found["golangci-lint"]["pinned"] == f"{GOLANGCI_LINT} (tools/go.mod)"
    assert found["golangci-lint"]["found"] == GOLANGCI_LINT.removeprefix("v")
    for tool in GO_TOOLS:
        assert tool.path.is_file()
        assert os.access(tool.path, os.X_OK)
        assert found[tool.name]["found"] == tool.version  # kube-score's via `go version -m`
