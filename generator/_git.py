"""The one place that runs git, so every git failure reads the same and names its command.

Template sources and refs come from flags and from services' answers files, which are untrusted:
they are checked here before git sees them (a leading dash would be read as an option, e.g.
`--upload-pack=CMD`), and callers put them after `--`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from generator.errors import ScaffoldError, ToolchainError, UsageError

# Settings that keep git from running anything a repository or URL asks for: the ext:: transport
# runs a command by design, and a repository's core.fsmonitor runs one on every `git status`.
_HARDENING = ("-c", "protocol.ext.allow=never", "-c", "core.fsmonitor=false")


def git(
    cwd: Path,
    *args: str,
    error: type[ScaffoldError] = ToolchainError,
    hint: str = "",
    check: bool = True,
) -> str:
    """Run git in cwd and return its stdout; raise `error` with git's last line on failure."""
    env = {k: v for k, v in os.environ.items() if k not in {"GIT_DIR", "GIT_WORK_TREE"}}
    result = subprocess.run(
        [_executable(), *_HARDENING, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if result.returncode != 0 and check:
        command = next(arg for arg in args if not arg.startswith("-") and "=" not in arg)
        raise error(f"git {command} failed: {_reason(result)}", hint=hint)
    return result.stdout if result.returncode == 0 else ""


def _reason(result: subprocess.CompletedProcess[str]) -> str:
    """Return git's own reason: its first fatal/error line, not the advice printed after it."""
    lines = (result.stderr or result.stdout).strip().splitlines()
    for line in lines:
        if line.startswith(("fatal: ", "error: ")):
            return line.split(": ", 1)[1]
    return lines[-1] if lines else str(result.returncode)


def _executable() -> str:
    executable = shutil.which("git")
    if executable is None:
        raise ToolchainError("git is not installed", hint="install git")
    return executable


def check_source(src: str, *, origin: str) -> str:
    """Return a template source (path or git URL) that git cannot mistake for an option."""
    if not src or src.startswith("-") or any(ord(c) < 0x20 for c in src):
        raise UsageError(
            f"{origin}: {src!r} is not a template source",
            hint="give a path or a git URL (https://, ssh://, git@host:repo)",
        )
    return src


def check_ref(ref: str, *, origin: str) -> str:
    """Return a git tag, branch or commit name that is well formed (`git check-ref-format`)."""
    well_formed = bool(ref) and not ref.startswith("-") and ref.isprintable()
    if well_formed:
        result = subprocess.run(
            [_executable(), "check-ref-format", "--allow-onelevel", ref],
            capture_output=True,
            check=False,
        )
        well_formed = result.returncode == 0
    if not well_formed:
        raise UsageError(
            f"{origin}: {ref!r} is not a git tag, branch or commit",
            hint="e.g. v1.2.0; `git tag --list` in the template repository shows the versions",
        )
    return ref


def init_git(repo: Path, message: str) -> None:
    """Create a git repository with one commit holding every rendered file."""
    hint = "pass --no-git to skip creating a repository"
    identity: list[str] = []
    if not git(repo.parent, "config", "user.email", check=False).strip():
        identity = ["-c", "user.name=scaffold", "-c", "user.email=scaffold@localhost"]
    git(repo, "init", "-q", "-b", "main", hint=hint)
    git(repo, "add", "-A", hint=hint)
    git(
        repo,
        *identity,
        "-c",
        "commit.gpgsign=false",
        "commit",
        "-q",
        "--no-verify",
        "-m",
        message,
        hint=hint,
    )
