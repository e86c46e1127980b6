"""The one place that runs git, so every git failure reads the same and names its command."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from generator.errors import ScaffoldError, ToolchainError


def git(
    cwd: Path,
    *args: str,
    error: type[ScaffoldError] = ToolchainError,
    hint: str = "",
    check: bool = True,
) -> str:
    """Run git in cwd and return its stdout; raise `error` with git's last line on failure."""
    executable = shutil.which("git")
    if executable is None:
        raise ToolchainError("git is not installed", hint="install git")
    env = {k: v for k, v in os.environ.items() if k not in {"GIT_DIR", "GIT_WORK_TREE"}}
    result = subprocess.run(
        [executable, *args], cwd=cwd, capture_output=True, text=True, check=False, env=env
    )
    if result.returncode != 0 and check:
        lines = (result.stderr or result.stdout).strip().splitlines()
        command = next(arg for arg in args if not arg.startswith("-") and "=" not in arg)
        raise error(f"git {command} failed: {lines[-1] if lines else result.returncode}", hint=hint)
    return result.stdout if result.returncode == 0 else ""
