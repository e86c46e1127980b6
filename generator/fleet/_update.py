"""`scaffold fleet update`: propose a template version to many services, one branch each.

For each selected service, in the fleet file's order: clone its default branch into a scratch
directory, run the three-way update of `scaffold update`, commit it on `scaffold/update-<version>`,
push that branch and ask the forge to propose it (a pull request on GitHub). The default branch is
never written. A service whose update branch already exists is `proposed` and left alone, so
re-running a command does only what is left, and `--wave` walks the fleet canaries first.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

from generator._git import check_ref, git
from generator._paths import inside
from generator.errors import ScaffoldError, UsageError
from generator.fleet._file import Fleet
from generator.fleet._forge import Forge
from generator.fleet._model import Entry
from generator.fleet._repo import UPDATE_BRANCH, branch_version, remote_heads
from generator.fleet._speed import index_sync_is_a_no_op
from generator.fleet._workers import workers
from generator.lifecycle import update_service
from generator.template import ANSWERS_FILE, ServiceInfo, load_service, render, version_key

Outcome = Literal["updated", "would-update", "conflict", "up-to-date", "proposed", "failed"]
_IDENTITY = ("-c", "user.name=scaffold", "-c", "user.email=scaffold@localhost")


@dataclass(frozen=True)
class ServiceUpdate:
    """What `fleet update` did to one service.

    files: the files the template changed (updated) or that conflict (conflict); kept: the
    service's own edits to template files, which the update kept; proposal: the pull request's
    URL, or the pushed branch with the local forge.
    """

    repo: str
    name: str
    outcome: Outcome
    branch: str | None = None
    proposal: str | None = None
    files: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    detail: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class FleetUpdate:
    """Every selected service's outcome, in the fleet file's order."""

    version: str
    services: list[ServiceUpdate]

    @property
    def exit_code(self) -> int:
        """0 when nothing conflicted or failed, else 1."""
        return int(any(s.outcome in ("conflict", "failed") for s in self.services))

    def count(self, outcome: Outcome) -> int:
        return sum(s.outcome == outcome for s in self.services)

    def to_dict(self) -> dict[str, object]:
        return {"version": self.version, "services": [s.to_dict() for s in self.services]}


def parse_wave(raw: str | None, total: int) -> int:
    """Return how many services a wave takes: N, or P% of the selected services (rounded up)."""
    if raw is None:
        return total
    match = re.fullmatch(r"(\d+)(%?)", raw.strip())
    if not match or int(match.group(1)) == 0 or (match.group(2) and int(match.group(1)) > 100):
        raise UsageError(
            f"--wave {raw!r} is not a count or a percentage", hint="e.g. --wave 5 or --wave 10%"
        )
    number = int(match.group(1))
    return math.ceil(total * number / 100) if match.group(2) else number


def fleet_update(
    fleet: Fleet,
    version: str,
    forge: Forge,
    *,
    only: list[str] | None = None,
    wave: str | None = None,
    jobs: int = 2,
    dry_run: bool = False,
    trust: bool = False,
    progress: Callable[[ServiceUpdate], None] = lambda _: None,
) -> FleetUpdate:
    """Propose version to the selected services; see the module docstring."""
    check_ref(version, origin="--to")
    selected = fleet.select(only or [])
    size = parse_wave(wave, len(selected))
    branch = UPDATE_BRANCH.format(version=version)
    # Waves count only services that still need the update, found from their branches alone.
    with ThreadPoolExecutor(max_workers=max(4, 2 * jobs)) as threads:
        heads = list(threads.map(_heads, selected))
    outcomes: dict[int, ServiceUpdate] = {}
    todo: list[int] = []
    for index, (entry, found) in enumerate(zip(selected, heads, strict=True)):
        if isinstance(found, ServiceUpdate):
            outcomes[index] = found
        elif branch in found and not (forge.name != "local" and _unproposed(forge, entry, branch)):
            outcomes[index] = ServiceUpdate(entry.repo, entry.label, "proposed", branch)
        elif entry.branch not in found:
            detail = f"no branch {entry.branch!r}"
            outcomes[index] = ServiceUpdate(entry.repo, entry.label, "failed", detail=detail)
        else:
            todo.append(index)
    for index in sorted(outcomes):
        progress(outcomes[index])
    # Within the wave, services already at the version do not count: keep going past them.
    pending = iter(todo)
    with workers(jobs) as pool:
        acted = 0
        while acted < size:
            batch = [i for _, i in zip(range(size - acted), pending, strict=False)]
            if not batch:
                break
            futures = [
                pool.submit(_update_one, selected[i], version, branch, dry_run, trust)
                for i in batch
            ]
            for index, future in zip(batch, futures, strict=True):
                result = _proposed(future.result(), selected[index], forge)
                outcomes[index] = result
                progress(result)
                acted += result.outcome != "up-to-date"
    return FleetUpdate(version, [outcomes[i] for i in sorted(outcomes)])


def _heads(entry: Entry) -> dict[str, str] | ServiceUpdate:
    try:
        return remote_heads(entry.repo)
    except ScaffoldError as error:
        return ServiceUpdate(entry.repo, entry.label, "failed", detail=error.one_line())


def _unproposed(forge: Forge, entry: Entry, branch: str) -> bool:
    """Whether a pushed branch still lacks its pull request (a run stopped between the two)."""
    try:
        return forge.find(entry.repo, branch) is None
    except ScaffoldError:
        return True  # proposing again says what is wrong, as that service's failure


def _update_one(
    entry: Entry, version: str, branch: str, dry_run: bool, trust: bool
) -> tuple[ServiceUpdate, str]:
    """Update one service and push its branch (in a worker process); return it and the PR body."""
    name = entry.label
    try:
        with tempfile.TemporaryDirectory(prefix="scaffold-fleet-update-") as tmp:
            return _update_in(Path(tmp) / name, entry, version, branch, dry_run, trust)
    except ScaffoldError as error:
        return ServiceUpdate(entry.repo, name, "failed", detail=error.one_line()), ""


def _proposed(pushed: tuple[ServiceUpdate, str], entry: Entry, forge: Forge) -> ServiceUpdate:
    """Ask the forge to propose a pushed branch (here, in the parent: it holds the token)."""
    result, body = pushed
    if result.outcome != "updated" or result.branch is None:
        return result
    try:
        url = forge.find(entry.repo, result.branch)
        if url is None:
            title = f"Update {result.name} to template {branch_version(result.branch)}"
            url = forge.propose(
                entry.repo, base=entry.branch, branch=result.branch, title=title, body=body
            )
    except ScaffoldError as error:
        detail = f"branch {result.branch} pushed, but not proposed: {error.one_line()}"
        return replace(result, outcome="failed", detail=detail)
    return replace(result, proposal=url)


def _update_in(
    work: Path, entry: Entry, version: str, branch: str, dry_run: bool, trust: bool
) -> tuple[ServiceUpdate, str]:
    name = entry.label
    if branch in remote_heads(entry.repo):  # pushed since the listing: a stopped run's work
        body = f"Updates {name} to template {version} with `scaffold fleet update`."
        return ServiceUpdate(entry.repo, name, "updated", branch, detail="pushed earlier"), body
    git(
        work.parent,
        *("clone", "--quiet", "--no-tags", "--single-branch", "--branch", entry.branch),
        *("--", entry.repo, str(work)),
        error=UsageError,
        hint="check the fleet file's repo:",
    )
    info = load_service(work)
    name = entry.name or info.name
    recorded = str(info.answers.get("_commit") or "")
    have, want = version_key(recorded), version_key(version)
    if have is not None and want is not None and have >= want:
        return ServiceUpdate(entry.repo, name, "up-to-date", detail=f"at {recorded}"), ""
    edits = _local_edits(work, info, trust)
    if git(work, "config", "--bool", "core.fileMode", check=False).strip() == "true":
        with index_sync_is_a_no_op():
            result = update_service(work, to=version, trust=trust)
    else:  # a filesystem without executable bits: copier keeps the index in step itself
        result = update_service(work, to=version, trust=trust)
    change = f"{recorded} -> {version}"
    if result.conflicts:
        detail = f"{change}: {len(result.conflicts)} files conflict; nothing pushed"
        return ServiceUpdate(
            entry.repo, name, "conflict", files=result.conflicts, detail=detail
        ), ""
    kept = [name for name in edits if (work / name).is_file()]
    outcome: Outcome = "would-update" if dry_run else "updated"
    update = ServiceUpdate(entry.repo, name, outcome, branch, None, result.changed, kept, change)
    body = _body(name, recorded, version, result.changed, kept)
    if dry_run:
        return update, body
    git(work, "checkout", "--quiet", "-b", branch)
    git(work, "add", "-A")
    git(
        work,
        *(*_identity(work), "-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify"),
        *("-m", f"Update to template {version}", "-m", body),
    )
    # The refspec names the update branch only: the default branch is never pushed.
    git(
        work,
        *("push", "--quiet", "origin", f"refs/heads/{branch}:refs/heads/{branch}"),
        error=UsageError,
        hint="check that you may push branches to the repository",
    )
    return update, body


def _local_edits(work: Path, info: ServiceInfo, trust: bool) -> list[str]:
    """Return the template's files the service changed: a render of its version, compared."""
    answers = info.template_answers
    src, ref = str(info.answers["_src_path"]), str(info.answers["_commit"])
    with tempfile.TemporaryDirectory(prefix="scaffold-fleet-base-") as tmp:
        base = Path(tmp) / info.name
        with index_sync_is_a_no_op():  # a fresh temporary directory
            render(src, base, answers, vcs_ref=ref, trust=trust)
        edited = []
        for path in base.rglob("*"):
            name = path.relative_to(base).as_posix()
            if not path.is_file() or name == ANSWERS_FILE:
                continue
            try:  # the service is untrusted: never read through a link that leaves it
                ours = inside(work, name, source="the service")
            except UsageError:
                continue
            if ours.is_file() and ours.read_bytes() != path.read_bytes():
                edited.append(name)
        return sorted(edited)


def _identity(work: Path) -> tuple[str, ...]:
    """Use the user's git identity if set, else scaffold's (CI runners often have none)."""
    return () if git(work, "config", "user.email", check=False).strip() else _IDENTITY


def _body(name: str, before: str, version: str, changed: list[str], kept: list[str]) -> str:
    lines = [
        f"`scaffold fleet update` moves {name} from template {before or '(unknown)'} to {version},",
        "with the same three-way merge as `scaffold update`.",
        "",
        f"### Template changes ({len(changed)} files)",
        *[f"- `{path}`" for path in changed],
    ]
    if kept:
        lines += ["", f"### Local edits kept ({len(kept)} files)", *[f"- `{p}`" for p in kept]]
    lines += ["", "Review the diff, let CI run `make build test lint`, then merge."]
    return "\n".join(lines)
