"""New directories appear whole or not at all.

Everything scaffold creates (a service, a golden repository) is built in a hidden staging folder
beside the target and moved into place with one rename. Ctrl-C, SIGTERM and SIGHUP (the CLI turns
them into KeyboardInterrupt) and every failure remove the staging folder; a staging folder left by
a process that was killed outright is removed by the next run.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from generator.errors import Aborted, UsageError

_MARK = ".scaffold-"


def check_target(target: Path) -> None:
    """Refuse a target that exists and is not an empty directory."""
    try:
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise UsageError(f"{target} exists and is not a directory", hint="choose another --dir")
        if target.is_dir() and any(target.iterdir()):
            raise UsageError(
                f"{target} already exists and is not empty",
                hint="choose another --dir, or remove the directory first",
            )
    except OSError as error:
        raise UsageError(f"cannot use {target}: {error.strerror}", hint="check --dir") from None


@contextlib.contextmanager
def staged(target: Path) -> Iterator[Path]:
    """Yield a path to build the new directory at; on success it becomes target in one rename.

    The rename fails, and the target is left as it is, when another process filled the target in
    the meantime (two `scaffold new` runs racing for one directory: the first one wins whole).
    """
    check_target(target)
    parent = target.parent
    # Unique to this call, so cleaning up by name never touches a concurrent run's folder.
    prefix = f".{target.name}{_MARK}{os.getpid()}-{secrets.token_hex(4)}-"
    try:
        try:
            parent.mkdir(parents=True, exist_ok=True)
            remove_stale_staging(parent, target.name)
            staging = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        except OSError as error:
            raise UsageError(
                f"cannot write in {parent}: {error.strerror}", hint="choose another --dir"
            ) from None
        work = staging / target.name
        yield work
        try:
            work.rename(target)  # replaces an empty directory atomically; never a full one
        except OSError as error:
            raise UsageError(
                f"{target} was created by another process meanwhile ({error.strerror}); "
                "it was left as it is",
                hint="choose another --dir",
            ) from None
    except KeyboardInterrupt:
        raise Aborted("interrupted; nothing was written") from None
    finally:
        # By name, not by variable: a signal may land between mkdtemp and the assignment.
        for leftover in _entries(parent, prefix):
            shutil.rmtree(leftover, ignore_errors=True)


def remove_stale_staging(parent: Path, name: str) -> list[Path]:
    """Remove staging folders for name whose process no longer runs; return what was removed."""
    removed = []
    for entry in _entries(parent, f".{name}{_MARK}"):
        pid = entry.name.removeprefix(f".{name}{_MARK}").split("-", 1)[0]
        if entry.is_dir() and not entry.is_symlink() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _entries(parent: Path, prefix: str) -> list[Path]:
    """Entries of parent whose name starts with prefix (no glob: names may hold [ or *)."""
    try:
        return [entry for entry in parent.iterdir() if entry.name.startswith(prefix)]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
