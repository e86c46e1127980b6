"""Provisioning the deploy validators fails closed: a one-line error with the manual command."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from generator.errors import ToolchainError
from generator.template import Template
from generator.tools import NodeTool, ensure_compose_checker, ensure_node_tool
from tests.conftest import TEMPLATES

PIN = Template.load(TEMPLATES).tools.node_tools.renovate


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty tool cache and a PATH holding only what a test puts there."""
    monkeypatch.setenv("SCAFFOLD_TOOLS_DIR", str(tmp_path / "tools"))
    path = tmp_path / "bin"
    path.mkdir()
    monkeypatch.setenv("PATH", str(path))
    return path


def script(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def fake_npm(bin_dir: Path, integrity: str) -> None:
    """An npm that 'installs' renovate and records the given integrity, as npm does."""
    lock = {"packages": {"node_modules/renovate": {"version": PIN.version, "integrity": integrity}}}
    script(bin_dir / "node", "exit 0")
    script(
        bin_dir / "npm",
        'PATH=/usr/bin:/bin\nwhile [ "$1" != "--prefix" ]; do shift; done; p="$2"\n'
        'mkdir -p "$p/node_modules/renovate"\n'
        'echo "{}" > "$p/node_modules/renovate/package.json"\n'
        f"echo '{json.dumps(lock)}' > \"$p/node_modules/.package-lock.json\"",
    )


def test_without_go_composecheck_fails_with_the_build_command(bin_dir: Path) -> None:
    with pytest.raises(ToolchainError) as raised:
        ensure_compose_checker()
    assert raised.value.message == "composecheck cannot be built: go is not on PATH"
    assert "GOFLAGS=-mod=readonly go build -trimpath -o" in raised.value.hint


def test_without_node_an_npm_validator_fails(bin_dir: Path) -> None:
    with pytest.raises(ToolchainError, match="node is not on PATH"):
        ensure_node_tool(NodeTool("renovate", PIN.version, PIN.integrity))


def test_a_package_with_another_integrity_is_refused_and_not_kept(bin_dir: Path) -> None:
    fake_npm(bin_dir, "sha512-" + "A" * 86 + "==")
    tool = NodeTool("renovate", PIN.version, PIN.integrity)
    with pytest.raises(ToolchainError) as raised:
        ensure_node_tool(tool)
    assert f"renovate {PIN.version} could not be installed: integrity mismatch" in (
        raised.value.message
    )
    assert f"npm install --ignore-scripts --no-audit --no-fund --prefix {tool.prefix}" in (
        raised.value.hint
    )
    assert not tool.installed()
    assert list(tool.prefix.parent.iterdir()) == []


def test_the_pinned_integrity_is_installed_once(bin_dir: Path) -> None:
    fake_npm(bin_dir, PIN.integrity)
    tool = NodeTool("renovate", PIN.version, PIN.integrity)
    assert ensure_node_tool(tool) == tool.package_dir
    (bin_dir / "npm").unlink()  # a second call installs nothing
    assert ensure_node_tool(tool) == tool.package_dir
