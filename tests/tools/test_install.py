"""Provisioning the pinned Go linters into the tool cache: once, atomically, failing closed."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
import yaml

from generator.errors import TemplateError, ToolchainError
from generator.template import Template
from generator.tools import GoTool, ensure, hadolint, tools_dir
from tests.helpers import template_copy

ACTIONLINT = GoTool("actionlint", "v1.7.12")


def fake_go(bin_dir: Path, body: str) -> Path:
    """A `go` on PATH that logs its arguments and runs body (a shell snippet)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    go = bin_dir / "go"
    go.write_text(f'#!/bin/sh\necho "$@" >> "{bin_dir}/calls"\n{body}\n')
    go.chmod(go.stat().st_mode | stat.S_IXUSR)
    return go


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCAFFOLD_TOOLS_DIR", str(tmp_path / "tools"))
    return tmp_path / "tools"


def test_tools_dir_is_overridable_and_defaults_to_the_user_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SCAFFOLD_TOOLS_DIR", str(tmp_path / "mine"))
    assert tools_dir() == tmp_path / "mine"
    monkeypatch.delenv("SCAFFOLD_TOOLS_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert tools_dir() == tmp_path / "xdg" / "scaffold" / "tools"


def test_installs_once_into_a_versioned_directory_and_reuses_it(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    fake_go(
        bin_dir,
        'printf "#!/bin/sh\\necho v1.7.12\\n" > "$GOBIN/actionlint"; chmod +x "$GOBIN/actionlint"',
    )
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    said: list[str] = []

    path = ensure(ACTIONLINT, said.append)
    assert path == cache / "actionlint" / "v1.7.12" / "actionlint"
    assert path.is_file()
    assert said == [f"installing actionlint v1.7.12 into {path.parent} (first use only)"]
    calls = (bin_dir / "calls").read_text().splitlines()
    assert calls == ["install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"]

    assert ensure(ACTIONLINT, said.append) == path
    assert len((bin_dir / "calls").read_text().splitlines()) == 1  # reused, not reinstalled
    assert sorted(p.name for p in (cache / "actionlint").iterdir()) == ["v1.7.12"]


def test_a_failed_install_names_tool_version_and_command_and_leaves_nothing(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    fake_go(bin_dir, 'echo "go: module lookup disabled by GOPROXY=off" >&2; exit 1')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")

    with pytest.raises(ToolchainError) as raised:
        ensure(ACTIONLINT)
    line = raised.value.one_line()
    assert "actionlint v1.7.12 could not be installed: go: module lookup disabled" in line
    assert "go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12" in line
    assert "\n" not in line
    assert list((cache / "actionlint").iterdir()) == []  # no half-written tool to trust later


def test_without_go_the_error_says_how_to_install(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ToolchainError) as raised:
        ensure(ACTIONLINT)
    assert raised.value.exit_code == 4
    assert "actionlint v1.7.12 cannot be installed: go is not on PATH" in raised.value.message
    assert "go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12" in raised.value.hint
    assert not cache.exists()


@pytest.mark.parametrize(
    "go_tools",
    [
        {"actionlint": {"module": "example.com/evil", "version": "v1.0.0"}},
        {"actionlint": "v1.7.12", "evil": "v1.0.0"},
        {"actionlint": "latest"},
    ],
)
def test_a_template_chooses_versions_never_modules(tmp_path: Path, go_tools: object) -> None:
    def edit(root: Path) -> None:
        pins = yaml.safe_load((root / "shared/tools.yml").read_text())
        pins["go_tools"] = go_tools
        (root / "shared/tools.yml").write_text(yaml.safe_dump(pins))

    template = template_copy(tmp_path / "t", edit, tagged=False)
    with pytest.raises(TemplateError, match=r"shared/tools.yml: go_tools"):
        Template.load(template)


def test_a_template_without_tools_yml_uses_the_bundled_pins(tmp_path: Path) -> None:
    template = template_copy(
        tmp_path / "t", lambda root: (root / "shared/tools.yml").unlink(), tagged=False
    )
    assert Template.load(template).tools.go_tools.actionlint.startswith("v")


def test_hadolint_comes_with_scaffold(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert hadolint() == Path(sys.executable).parent / "hadolint"
