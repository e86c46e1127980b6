"""`scaffold update`: bring a service up to a newer golden template version, keeping local edits.

With a template (`--template URL`) the service first moves onto that golden repository: its
answers file records the repository and the tag that holds the templates the service was made
from (the base of copier's three-way merge), then the update runs as usual. A service made from
the bundled templates finds that tag through its `template_version`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import Version

from generator._git import check_ref, git
from generator._paths import inside
from generator.errors import UsageError
from generator.lifecycle._golden import INITIAL_COMMIT, INITIAL_TAG
from generator.template import (
    ANSWERS_FILE,
    ServiceInfo,
    TemplateSource,
    latest_version,
    load_service,
    rewrite_answers,
    tag_subjects,
    update,
    version_key,
)

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
    moved_to: str | None = None  # the golden repository the service now records, if it moved


@dataclass(frozen=True)
class _Move:
    """Record src and the tag base (the version the service was made from) before updating."""

    src: str
    base: str


def update_service(
    path: Path,
    to: str | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] = lambda _: None,
    *,
    template: str | None = None,
    base: str | None = None,
    trust: bool = False,
) -> UpdateResult:
    """Update the service at path; with dry_run, work on a throwaway clone and return the diff.

    template (--template, a golden repository's path or URL) moves the service onto that
    repository first; base (--from) names the tag there that holds the templates the service
    was made from, when scaffold cannot find it. trust (--trust) lets the template run code
    during the update (copier's tasks, migrations).
    """
    if to is not None:
        check_ref(to, origin="--to")
    if base is not None:
        check_ref(base, origin="--from")
        if template is None:
            raise UsageError("--from needs --template", hint="--from names a tag of --template")
    golden = str(TemplateSource.parse(template).src) if template is not None else None
    info = load_service(path)
    _require_updatable(info, moving=golden is not None)
    move = None
    if golden is not None:
        src = golden
        move = _Move(src, base or _base_tag(info, src))
        progress(f"moving {info.name} onto {src} at {move.base} ({_made_from(info)})")
    else:
        src = str(info.answers["_src_path"])
    to = to or latest_version(src)  # the same choice `new` and `check` make, passed to copier
    progress(f"updating {info.name} from {src} to {to or 'HEAD'} (three-way merge)")
    if not dry_run:
        return _update_in(path, to, trust, move)
    with tempfile.TemporaryDirectory(prefix="scaffold-update-") as tmp:
        clone = Path(tmp) / path.name
        git(path.parent, "clone", "--quiet", "--", str(path.absolute()), str(clone))
        result = _update_in(clone, to, trust, move)
        git(clone, "add", "-A")
        diff = git(clone, "diff", "--cached", "--no-color")
        return UpdateResult(
            info.name,
            result.from_version,
            result.to_version,
            result.changed,
            result.conflicts,
            diff,
            result.moved_to,
        )


def _made_from(info: ServiceInfo) -> str:
    if "_commit" in info.answers and "_src_path" in info.answers:
        return f"it was made from {info.answers['_src_path']} {info.answers['_commit']}"
    return f"it was made from the bundled templates {_template_version(info) or '(unknown)'}"


def _template_version(info: ServiceInfo) -> str:
    return str(info.answers.get("template_version") or "")


def _base_tag(info: ServiceInfo, src: str) -> str:
    """Return the tag of src that holds the templates the service was made from.

    A service from another golden repository (one that moved) names its tag; a service from the
    bundled templates names their version, which a tag of that version holds, or else the tag
    `scaffold golden init` put on the copy of those templates it started the repository from.
    """
    tags = tag_subjects(src)
    if "_commit" in info.answers and "_src_path" in info.answers:
        wanted = str(info.answers["_commit"])
        found = [wanted] if wanted in tags else []
        what = f"{wanted}, the version {info.name} records"
    else:
        wanted = _template_version(info)
        key = version_key(wanted)
        initial = INITIAL_COMMIT.format(version=wanted)
        found = [tag for tag in tags if key is not None and version_key(tag) == key]
        found = found or [tag for tag, subject in tags.items() if subject == initial]
        what = f"holding the bundled templates {wanted or '(unknown)'} {info.name} was made from"
    if not found:
        ordered = sorted(tags, key=_tag_order)
        listed = ", ".join(ordered[:10]) + (f" and {len(ordered) - 10} more" * (len(ordered) > 10))
        raise UsageError(
            f"{src} has no tag {what} (its tags: {listed or 'none'})",
            hint=f"pass --from TAG, the tag whose templates {info.name} was made from "
            f"(scaffold golden init tags its first version {INITIAL_TAG})",
        )
    return min(found, key=_tag_order)


def _tag_order(tag: str) -> tuple[bool, Version, str]:
    """Releases first, oldest first; then the other tags by name."""
    key = version_key(tag)
    return (key is None, key or Version("0"), tag)


def _require_updatable(info: ServiceInfo, *, moving: bool = False) -> None:
    if not moving and ("_commit" not in info.answers or "_src_path" not in info.answers):
        raise UsageError(
            f"{info.name} was generated from the bundled templates, which have no version history",
            hint="scaffold check still detects drift; to get updates, move it onto a golden "
            "repository: scaffold update --template URL (scaffold golden init creates one)",
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


def _update_in(path: Path, to: str | None, trust: bool, move: _Move | None) -> UpdateResult:
    info = load_service(path)
    if move is None:
        before = str(info.answers["_commit"])
        update(path, to, trust=trust)
    else:
        before = move.base
        _update_moved(path, to, trust, move)
    after = str(load_service(path).answers.get("_commit", before))
    changed = [line[3:] for line in git(path, "status", "--porcelain", "-uall").splitlines()]
    conflicts = [name for name in changed if _has_conflict(path, name)]
    moved_to = move.src if move else None
    return UpdateResult(info.name, before, after, changed, conflicts, moved_to=moved_to)


def _update_moved(path: Path, to: str | None, trust: bool, move: _Move) -> None:
    """Record the golden repository and the base tag, then update as usual.

    copier reads the base from the committed answers file and refuses a dirty tree, so the new
    record is committed for the update's duration only: afterwards HEAD is where it was, and the
    record is one more uncommitted change among the update's. If the update fails, the answers
    file is restored as well.
    """
    head = git(path, "rev-parse", "HEAD").strip()
    rewrite_answers(path / ANSWERS_FILE, {"_src_path": move.src, "_commit": move.base})
    git(path, "add", "--", ANSWERS_FILE)
    git(
        path,
        *("-c", "user.name=scaffold", "-c", "user.email=scaffold@localhost"),
        *("-c", "commit.gpgsign=false"),
        *("commit", "--quiet", "--no-verify", "-m", "scaffold: record the golden template"),
    )
    try:
        update(path, to, trust=trust)
    except BaseException:
        git(path, "reset", "--quiet", head)
        git(path, "checkout", "--quiet", head, "--", ANSWERS_FILE)
        raise
    git(path, "reset", "--quiet", head)


def _has_conflict(service: Path, name: str) -> bool:
    """Whether a changed file holds conflict markers (never read through a symlink outside)."""
    try:
        text = inside(service, name, source="git status").read_text(encoding="utf-8")
    except (UsageError, OSError, UnicodeDecodeError):
        return False
    return any(line.startswith(CONFLICT_MARKER) for line in text.splitlines())
