"""Helpers the tests share: running tools as a user would, git, template copies, assertions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

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
    require(f"{', '.join(missing)} on PATH")


def require(what: str) -> None:
    """Skip, saying what is missing; fail instead in CI, where every test must run."""
    message = f"needs {what}"
    if os.environ.get("SCAFFOLD_REQUIRE_TOOLCHAINS"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


Invoke = Callable[..., CliResult]


def snapshot(path: Path) -> list[str]:
    """Every path under a directory, for 'nothing was written' assertions."""
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def one_line_error(stderr: str) -> bool:
    """Whether stderr is progress lines plus exactly one `error: …` line, and no traceback."""
    lines = [line for line in stderr.splitlines() if not line.startswith("  · ")]
    return len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in stderr


def lines(text: str) -> Sequence[str]:
    return [line for line in text.splitlines() if line.strip()]


def cargo_target_dir() -> str:
    """One target directory for all Rust builds of the session (see scripts/test)."""
    return os.environ.get("SCAFFOLD_CARGO_TARGET_DIR", str(ROOT / ".cache" / "cargo-target"))


def tool_env() -> dict[str, str]:
    """Environment for make/go/cargo: the user's PATH as it is (no linters added), shared target.

    The services pin and provision their own linters, so nothing is put on PATH for them: a
    missing provisioning step fails here as it would for a new user.
    """
    env = dict(os.environ)
    env["CARGO_TARGET_DIR"] = cargo_target_dir()
    env.setdefault("GOFLAGS", "-mod=readonly")
    return env


def make(
    service: Path, target: str, timeout: int = 1500, env: Mapping[str, str] | None = None
) -> None:
    """Run `make TARGET` in a generated service (env added to the usual); fail with its tail."""
    result = subprocess.run(
        ["make", target],
        cwd=service,
        env={**tool_env(), **(env or {})},
        stdin=subprocess.DEVNULL,  # cargo's rustc probe reads stdin and caches what it got
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
    assert result.returncode == 0, f"make {target} failed in {service}:\n{tail}"


def git(cwd: Path, *args: str) -> str:
    """Run git as the test's user would; fail the test when git fails."""
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def replace_in(path: Path, old: str, new: str) -> None:
    """Edit a file in place, failing when the text to replace is not there."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def release(golden: Path, tag: str, edits: dict[str, tuple[str, str]]) -> None:
    """Platform team: edit template files (old -> new text), commit, tag."""
    for name, (old, new) in edits.items():
        replace_in(golden / name, old, new)
    git(golden, "commit", "-qam", f"release {tag}")
    git(golden, "tag", tag)


def template_copy(destination: Path, edit: Callable[[Path], None], *, tagged: bool) -> Path:
    """The bundled templates with one edit, as a plain directory or a repository tagged v1.0.0."""
    shutil.copytree(TEMPLATES, destination, ignore=shutil.ignore_patterns("__pycache__"))
    edit(destination)
    if tagged:
        git(destination, "init", "-q", "-b", "main")
        git(destination, "add", "-A")
        git(destination, "commit", "-qm", "template")
        git(destination, "tag", "v1.0.0")
    return destination


def build_wheel(dist: Path) -> Path:
    """Build a wheel of this checkout into dist and return it (what PyPI users install)."""
    root = Path(__file__).resolve().parents[1]
    build = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"),
            *("-w", str(dist), str(root)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("*.whl")
    return wheel
