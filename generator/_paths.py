"""Paths from untrusted places (templates, answers files, flags), confined and checked.

Templates and service repositories are untrusted input: a path they name is read only when it
resolves, symlinks followed, to somewhere inside their own root.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from generator.errors import UsageError


def inside(root: Path, relative: str | Path, *, source: str) -> Path:
    """Return root/relative if it stays inside root once resolved, else raise a UsageError.

    source says where the path came from (e.g. "shared/ownership.yml"), for the message.
    """
    name = str(relative)
    pure = PurePosixPath(name)
    base = root.resolve()
    if not name or pure.is_absolute() or ".." in pure.parts or "\x00" in name:
        raise UsageError(
            f"{name!r} (from {source}) is outside {root}",
            hint="paths in templates and answers files must be relative and stay inside",
        )
    candidate = base / pure
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop on Python 3.11
        raise UsageError(f"{name!r} (from {source}) cannot be resolved: {error}") from None
    if not resolved.is_relative_to(base):
        raise UsageError(
            f"{name!r} (from {source}) resolves outside {root}, to {resolved}",
            hint="nothing outside a template or service is read; remove the symlink",
        )
    return candidate


def user_path(raw: Path, *, flag: str) -> Path:
    """Expand ~ and make a path from the command line absolute, or say why it cannot be used."""
    try:
        expanded = raw.expanduser()
    except RuntimeError:  # ~nosuchuser
        raise UsageError(
            f"{flag} {raw}: no such user's home directory", hint=f"spell the {flag} path out"
        ) from None
    path = expanded.absolute()
    try:
        path.exists()  # surfaces ENAMETOOLONG and EACCES now rather than mid-render
    except (OSError, ValueError) as error:  # ValueError: an embedded NUL byte
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise UsageError(f"{flag} {raw}: {reason}", hint=f"choose another {flag}") from None
    return path
