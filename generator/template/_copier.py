"""The one module that runs copier: render a template, or update a service in place.

copier's own failures (its errors, plain ValueErrors for invalid answers, Jinja errors) all become
one TemplateError here; its refusal of a code-running template gets a hint that applies to
scaffold (--trust).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from generator.errors import TemplateError
from generator.template._answers import ANSWERS_FILE, rewrite_answers
from generator.template._source import version_key
from generator.template._template import TRUST_HINT, bundled_template_dir


def render(
    template: Path | str,
    destination: Path,
    answers: Mapping[str, Any],
    vcs_ref: str | None = None,
    *,
    trust: bool = False,
) -> None:
    """Run copier non-interactively with the given answers (defaults for the rest).

    A render of the bundled templates records no `_src_path`: copier would write this machine's
    path to them, which means nothing anywhere else (`template_version` records their version).
    """
    import copier  # deferred: importing copier costs ~0.3 s, and --help should not pay it

    hint = "check the answers passed with --data, or the template source"
    with _as_template_error("the template could not be rendered", hint):
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
    answers_path = destination / ANSWERS_FILE
    if _is_bundled(template) and answers_path.is_file():
        rewrite_answers(answers_path, {"_src_path": None})
    _record_version(destination, vcs_ref)


def update(service: Path, to: str | None, *, trust: bool = False) -> None:
    """Run copier's three-way update in place; conflicts become inline git-style markers."""
    import copier

    hint = "check --to and that the template source is reachable"
    with _as_template_error("the update failed", hint):
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
    _record_version(service, to)


def _record_version(service: Path, version: str | None) -> None:
    """Record the version tag copier was asked for as `_commit` (Renovate's current version).

    copier records `git describe --tags`, which names any tag of the commit: another tag on the
    same commit (`latest`, `stable`) would otherwise stand in for the version.
    """
    answers_path = service / ANSWERS_FILE
    if version is None or version_key(version) is None or not answers_path.is_file():
        return
    import yaml

    recorded = yaml.safe_load(answers_path.read_text(encoding="utf-8"))
    if isinstance(recorded, dict) and recorded.get("_commit") not in (None, version):
        rewrite_answers(answers_path, {"_commit": version})


def _is_bundled(template: Path | str) -> bool:
    local = Path(template)
    return local.is_dir() and local.resolve() == bundled_template_dir().resolve()


@contextmanager
def _as_template_error(failed: str, hint: str) -> Iterator[None]:
    """Turn every way copier fails into one TemplateError (see the module docstring)."""
    import copier
    import jinja2

    try:
        yield
    except copier.errors.UnsafeTemplateError as error:
        reason = _last_line(error).split(". ")[0]  # drop copier's advice about its own --trust
        raise TemplateError(f"refused: {reason}", hint=TRUST_HINT) from None
    except (ValueError, OSError, jinja2.TemplateError, copier.errors.CopierError) as error:
        raise TemplateError(f"{failed}: {_last_line(error)}", hint=hint) from error


def _last_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[-1] if text else repr(error)
