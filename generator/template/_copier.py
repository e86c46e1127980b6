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
from generator.template._template import TRUST_HINT


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
