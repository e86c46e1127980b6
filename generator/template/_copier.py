"""The one module that runs copier: render a template, or update a service in place.

copier's own failures (its errors, plain ValueErrors for invalid answers, Jinja errors) all become
one TemplateError here; its refusal of a code-running template gets a hint that applies to
scaffold (--trust).
"""

from __future__ import annotations

from collections.abc import Mapping
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
