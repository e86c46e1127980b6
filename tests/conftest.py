"""Shared fixtures: invoking the CLI, locating tools, and generating services once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.template import bundled_template_dir

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = bundled_template_dir()
LANGUAGES = ("go", "rust")


def require_tools(*names: str) -> None:
    """Skip when a toolchain is missing locally; fail in CI, where every test must run."""
    path = tool_env()["PATH"]
    missing = [name for name in names if shutil.which(name, path=path) is None]
    if not missing:
        return
    message = f"needs {', '.join(missing)} on PATH (./scripts/test installs the linters)"
    if os.environ.get("SCAFFOLD_REQUIRE_TOOLCHAINS"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


Invoke = Callable[..., CliResult]


@pytest.fixture
def invoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run `scaffold ARGS...` in-process with tmp_path as the working directory."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str, stdin: str | None = None) -> CliResult:
        result = CliRunner().invoke(app, list(args), input=stdin)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


def snapshot(path: Path) -> list[str]:
    """Every path under a directory, for 'nothing was written' assertions."""
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def cargo_target_dir() -> str:
    """One target directory for all Rust builds of the session (see scripts/test)."""
    return os.environ.get("SCAFFOLD_CARGO_TARGET_DIR", str(ROOT / ".cache" / "cargo-target"))


def tool_env() -> dict[str, str]:
    """Environment for make/go/cargo: repo-local linters on PATH, shared cargo target dir."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(
        [str(ROOT / ".tools" / "bin"), str(Path(sys.executable).parent), env.get("PATH", "")]
    )
    env["CARGO_TARGET_DIR"] = cargo_target_dir()
    env.setdefault("GOFLAGS", "-mod=readonly")
    return env


def make(service: Path, target: str, timeout: int = 1500) -> None:
    """Run `make TARGET` in a generated service; fail with the tail of its output."""
    result = subprocess.run(
        ["make", target],
        cwd=service,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
    assert result.returncode == 0, f"make {target} failed in {service}:\n{tail}"


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


def lines(text: str) -> Sequence[str]:
    return [line for line in text.splitlines() if line.strip()]


TOOLS = {"go": ("make", "go", "golangci-lint"), "rust": ("make", "cargo")}


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
