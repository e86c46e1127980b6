"""`scaffold update`: bring a service up to a newer golden template version, keeping local edits."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from generator._git import check_ref, git
from generator._paths import inside
from generator.errors import UsageError
from generator.template import ServiceInfo, latest_version, load_service, update

CONFLICT_MARKER = "<<<<<<< "


@dataclass(frozen=True)
class UpdateResult:
    """What an update did (or, with dry_run, would do)."""

    service: str
    from_version: str
    to_version: str
    changed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    diff: str = ""


def update_service(
    path: Path,
    to: str | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] = lambda _: None,
    *,
    trust: bool = False,
) -> UpdateResult:
    """Update the service at path; with dry_run, work on a throwaway clone and return the diff.

    trust (--trust) lets the template run code during the update (copier's tasks, migrations).
    """
    if to is not None:
        check_ref(to, origin="--to")
    info = load_service(path)
    _require_updatable(info)
    src = str(info.answers["_src_path"])
    to = to or latest_version(src)  # the same choice `new` and `check` make, passed to copier
    progress(f"updating {info.name} from {src} to {to or 'HEAD'} (three-way merge)")
    if not dry_run:
        return _update_in(info, path, to, trust)
    with tempfile.TemporaryDirectory(prefix="scaffold-update-") as tmp:
        clone = Path(tmp) / path.name
        git(path.parent, "clone", "--quiet", "--", str(path.absolute()), str(clone))
        result = _update_in(load_service(clone), clone, to, trust)
        git(clone, "add", "-A")
        diff = git(clone, "diff", "--cached", "--no-color")
        return UpdateResult(
            info.name,
            result.from_version,
            result.to_version,
            result.changed,
            result.conflicts,
            diff,
        )


def _require_updatable(info: ServiceInfo) -> None:
    if "_commit" not in info.answers or "_src_path" not in info.answers:
        raise UsageError(
            f"{info.name} was generated from the bundled templates, which have no version history",
            hint="scaffold check still detects drift; to get updates, generate from a golden "
            "repository (scaffold golden init, scaffold new --template)",
        )
    if not (info.path / ".git").exists():
        raise UsageError(
            f"{info.path} is not a git repository",
            hint="scaffold update needs git to merge template changes with yours; git init first",
        )
    dirty = git(info.path, "status", "--porcelain").splitlines()
    if dirty:
        raise UsageError(
            f"the working tree has uncommitted changes ({len(dirty)} paths, e.g. {dirty[0][3:]})",
            hint="commit or stash them first, so the update can be reviewed and undone",
        )


def _update_in(info: ServiceInfo, path: Path, to: str | None, trust: bool) -> UpdateResult:
    before = str(info.answers["_commit"])
    update(path, to, trust=trust)
    after = str(load_service(path).answers.get("_commit", before))
    changed = [line[3:] for line in git(path, "status", "--porcelain", "-uall").splitlines()]
    conflicts = [name for name in changed if _has_conflict(path, name)]
    return UpdateResult(info.name, before, after, changed, conflicts)


def _has_conflict(service: Path, name: str) -> bool:
    """Whether a changed file holds conflict markers (never read through a symlink outside)."""
    try:
        text = inside(service, name, source="git status").read_text(encoding="utf-8")
    except (UsageError, OSError, UnicodeDecodeError):
        return False
    return any(line.startswith(CONFLICT_MARKER) for line in text.splitlines())
