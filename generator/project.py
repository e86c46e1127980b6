"""Rendering a service: the one module that runs copier.

A service is rendered into a temporary directory beside the target, committed to git there, and
only then moved into place with a single rename, so a failure or Ctrl-C at any point leaves
nothing half-written.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import __version__
from generator.errors import Aborted, TemplateError, UsageError
from generator.git import git

Progress = Callable[[str], None]


def _silent(_: str) -> None:
    """Progress sink that discards messages."""


@dataclass(frozen=True)
class ServiceRequest:
    """Everything needed to render one service."""

    template: Path | str
    target: Path
    answers: Mapping[str, Any]
    git: bool = True
    vcs_ref: str | None = None


def check_target(target: Path) -> None:
    """Refuse a target that exists and is not an empty directory."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise UsageError(f"{target} exists and is not a directory", hint="choose another --dir")
    if target.is_dir() and any(target.iterdir()):
        raise UsageError(
            f"{target} already exists and is not empty",
            hint="choose another --dir, or remove the directory first",
        )


def create_service(request: ServiceRequest, progress: Progress = _silent) -> Path:
    """Render, optionally commit, and move the service into place; return its path."""
    target = request.target.absolute()
    check_target(target)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create {parent}: {error.strerror}", hint="check --dir") from None
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.scaffold-", dir=parent))
    try:
        rendered = staging / target.name
        progress(f"rendering {request.answers.get('language', '?')} template")
        render(request.template, rendered, request.answers, vcs_ref=request.vcs_ref)
        if request.git:
            progress("creating git repository with an initial commit")
            init_git(rendered, f"Initial commit from scaffold {__version__}")
        if target.is_dir():  # an empty directory the user made: replace it
            target.rmdir()
        rendered.rename(target)
    except KeyboardInterrupt:
        raise Aborted("interrupted; nothing was written") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def render(
    template: Path | str,
    destination: Path,
    answers: Mapping[str, Any],
    vcs_ref: str | None = None,
) -> None:
    """Run copier non-interactively with the given answers (defaults for the rest)."""
    import copier  # deferred: importing copier costs ~0.3 s, and --help should not pay it
    import jinja2

    try:
        copier.run_copy(
            str(template),
            destination,
            data=dict(answers),
            defaults=True,
            quiet=True,
            unsafe=False,
            vcs_ref=vcs_ref,
            cleanup_on_error=True,
        )
    except (ValueError, OSError, jinja2.TemplateError, copier.errors.CopierError) as error:
        message = str(error).strip().splitlines()[-1] if str(error).strip() else repr(error)
        raise TemplateError(
            f"the template could not be rendered: {message}",
            hint="check the answers passed with --data, or the template source",
        ) from error


def update(service: Path, to: str | None) -> None:
    """Run copier's three-way update in place; conflicts become inline git-style markers."""
    import copier
    import jinja2

    try:
        copier.run_update(
            service,
            defaults=True,
            overwrite=True,
            skip_answered=True,
            vcs_ref=to,
            conflict="inline",
            quiet=True,
            unsafe=False,
        )
    except (ValueError, OSError, jinja2.TemplateError, copier.errors.CopierError) as error:
        lines = str(error).strip().splitlines()
        raise TemplateError(
            f"the update failed: {lines[-1] if lines else repr(error)}",
            hint="check --to and that the template source is reachable",
        ) from error


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


@dataclass(frozen=True)
class ServiceInfo:
    """A generated service, as recorded in its copier answers file."""

    path: Path
    name: str
    language: str
    answers: Mapping[str, Any]


ANSWERS_FILE = ".copier-answers.yml"


def load_service(path: Path) -> ServiceInfo:
    """Read a service's answers file, or explain why the directory is not a scaffold service."""
    import yaml

    answers_path = path / ANSWERS_FILE
    if not answers_path.is_file():
        raise UsageError(
            f"{path} is not a scaffold service (no {ANSWERS_FILE})",
            hint="run this inside a service created by `scaffold new`, or pass its path",
        )
    try:
        answers = yaml.safe_load(answers_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise UsageError(
            f"cannot read {answers_path}: {error}", hint="restore it from git"
        ) from None
    if not isinstance(answers, dict) or not {"service_name", "language"} <= set(answers):
        raise UsageError(
            f"{answers_path} lacks service_name or language", hint="restore it from git"
        )
    return ServiceInfo(path, str(answers["service_name"]), str(answers["language"]), answers)
