"""Rendering a service: the one module that runs copier.

A service is rendered into a staging folder beside the target, committed to git there, and only
then moved into place with a single rename (generator.staging), so a failure, Ctrl-C or SIGTERM
at any point leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import __version__
from generator.errors import TemplateError, UsageError
from generator.git import check_ref, check_source, git
from generator.paths import inside
from generator.staging import staged
from generator.template import TRUST_HINT

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
    trust: bool = False


def create_service(request: ServiceRequest, progress: Progress = _silent) -> Path:
    """Render, optionally commit, and move the service into place; return its path."""
    target = request.target.absolute()
    with staged(target) as rendered:
        progress(f"rendering {request.answers.get('language', '?')} template")
        render(
            request.template,
            rendered,
            request.answers,
            vcs_ref=request.vcs_ref,
            trust=request.trust,
        )
        if request.git:
            progress("creating git repository with an initial commit")
            init_git(rendered, f"Initial commit from scaffold {__version__}")
    return target


def render(
    template: Path | str,
    destination: Path,
    answers: Mapping[str, Any],
    vcs_ref: str | None = None,
    *,
    trust: bool = False,
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
            unsafe=trust,
            vcs_ref=vcs_ref,
            cleanup_on_error=True,
        )
    except copier.errors.UnsafeTemplateError as error:
        raise _refused(error) from None
    except (ValueError, OSError, jinja2.TemplateError, copier.errors.CopierError) as error:
        raise TemplateError(
            f"the template could not be rendered: {_last_line(error)}",
            hint="check the answers passed with --data, or the template source",
        ) from error


def update(service: Path, to: str | None, *, trust: bool = False) -> None:
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
            unsafe=trust,
        )
    except copier.errors.UnsafeTemplateError as error:
        raise _refused(error) from None
    except (ValueError, OSError, jinja2.TemplateError, copier.errors.CopierError) as error:
        raise TemplateError(
            f"the update failed: {_last_line(error)}",
            hint="check --to and that the template source is reachable",
        ) from error


def _refused(error: BaseException) -> TemplateError:
    """Copier's refusal of a code-running template, with a hint that applies to scaffold."""
    reason = _last_line(error).split(". ")[0]  # drop copier's advice about its own --trust
    return TemplateError(f"refused: {reason}", hint=TRUST_HINT)


def _last_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[-1] if text else repr(error)


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

    if not path.is_dir():
        raise UsageError(f"{path} is not a directory", hint="pass the path of a service")
    answers_path = inside(path, ANSWERS_FILE, source="the service")
    if not answers_path.is_file():
        raise UsageError(
            f"{path} is not a scaffold service (no {ANSWERS_FILE})",
            hint="run this inside a service created by `scaffold new`, or pass its path",
        )
    try:
        answers = yaml.safe_load(answers_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"{answers_path} is not UTF-8 text", hint="restore it from git") from None
    except (OSError, yaml.YAMLError) as error:
        # Only the first line: YAML errors quote the file, and the file is untrusted.
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UsageError(
            f"cannot read {answers_path}: {reason}", hint="restore it from git"
        ) from None
    if not isinstance(answers, dict) or not {"service_name", "language"} <= set(answers):
        raise UsageError(
            f"{answers_path} lacks service_name or language", hint="restore it from git"
        )
    origin = f"{ANSWERS_FILE}"
    if "_src_path" in answers:
        check_source(str(answers["_src_path"]), origin=f"{origin} _src_path")
    if "_commit" in answers:
        check_ref(str(answers["_commit"]), origin=f"{origin} _commit")
    return ServiceInfo(path, str(answers["service_name"]), str(answers["language"]), answers)
