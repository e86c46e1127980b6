"""`scaffold fleet status`: which template version every service runs, and what drifted.

Three stages, so each kind of work runs where it is cheapest:
1. read (threads, network-bound): one `git ls-remote` and one depth-1 fetch per repository into
   the fleet cache, then its tree exported to a scratch directory and its answers file read;
2. per template source, once: its newest release, and a checkout of each version in use;
3. drift (processes, CPU-bound): each service against a fresh render of the version it records,
   by the rules of `scaffold check` (generator.conformance.platform_diffs).
A service that cannot be read is reported with a one-line error; the others still are.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from generator import __version__
from generator._git import git
from generator.conformance import platform_diffs, recorded_source, render_platform_files
from generator.errors import ScaffoldError
from generator.fleet._file import Fleet
from generator.fleet._model import Entry, FleetStatus, ServiceStatus
from generator.fleet._repo import (
    branch_version,
    export_tree,
    fetch_head,
    fleet_cache,
    proposed_branches,
    remote_heads,
)
from generator.fleet._speed import index_sync_is_a_no_op
from generator.fleet._workers import workers
from generator.template import (
    ServiceInfo,
    Template,
    TemplateSource,
    checked_out,
    latest_version,
    load_service,
    version_key,
)

Progress = Callable[[ServiceStatus], None]


@dataclass(frozen=True)
class _Read:
    """A service whose default branch was read: its files in a scratch directory."""

    status: ServiceStatus
    directory: Path
    source: TemplateSource
    heads: dict[str, str]


def default_jobs() -> int:
    return os.cpu_count() or 1


def fleet_status(
    fleet: Fleet,
    *,
    jobs: int | None = None,
    trust: bool = False,
    progress: Progress = lambda _: None,
    cache: Path | None = None,
) -> FleetStatus:
    """Report every service of the fleet, in the fleet file's order."""
    jobs = jobs or default_jobs()
    cache = cache or fleet_cache()
    renders = cache / "renders"
    with tempfile.TemporaryDirectory(prefix="scaffold-fleet-") as tmp, ExitStack() as stack:
        with ThreadPoolExecutor(max_workers=max(4, 2 * jobs)) as threads:
            reads = list(
                threads.map(
                    lambda pair: _read(pair[1], cache, Path(tmp) / str(pair[0]), trust),
                    enumerate(fleet.services),
                )
            )
        latest = _latest_versions(reads)
        templates = {
            key: stack.enter_context(checked_out(TemplateSource(key[0], key[1], trust)))
            for key in {_template_key(r) for r in reads if isinstance(r, _Read)}
        }
        results: list[ServiceStatus] = []
        with workers(jobs) as pool:
            futures: list[ServiceStatus | Future[list[str]]] = []
            for read in reads:
                if isinstance(read, ServiceStatus):
                    futures.append(read)
                    continue
                template_dir = templates[_template_key(read)]
                futures.append(
                    pool.submit(_drift, read.directory, template_dir, read.source, renders)
                )
            for read, future in zip(reads, futures, strict=True):
                status = _finish(read, future, latest)
                if isinstance(read, _Read):  # disk use stays flat in the fleet's size
                    shutil.rmtree(read.directory, ignore_errors=True)
                progress(status)
                results.append(status)
    return FleetStatus(results)


def _read(entry: Entry, cache: Path, scratch: Path, trust: bool) -> _Read | ServiceStatus:
    name = entry.label
    try:
        heads = remote_heads(entry.repo)
        _require_branch(heads, entry)
        mirror, commit = fetch_head(entry.repo, entry.branch, cache)
        export_tree(mirror, commit, scratch)
        info = load_service(scratch)
    except ScaffoldError as error:
        return ServiceStatus(entry.repo, entry.branch, name, error=error.one_line())
    source = recorded_source(info, trust=trust)
    answers = info.answers
    status = ServiceStatus(
        repo=entry.repo,
        branch=entry.branch,
        name=entry.name or info.name,
        language=info.language,
        owner=entry.owner or str(answers.get("owner") or ""),
        source=str(source.src) if source.src else "bundled",
        version=str(answers.get("template_version") or "") or None
        if source.bundled
        else str(source.ref),
    )
    return _Read(status, scratch, source, heads)


def _require_branch(heads: dict[str, str], entry: Entry) -> None:
    if entry.branch not in heads:
        raise ScaffoldError(f"{entry.repo} has no branch {entry.branch!r}")


def _template_key(read: _Read) -> tuple[str | None, str | None]:
    return (read.source.src, read.source.ref)


def _latest_versions(reads: list[_Read | ServiceStatus]) -> dict[str | None, str | None]:
    """Return each template source's newest release (the bundled ones: scaffold's version)."""
    latest: dict[str | None, str | None] = {None: __version__}
    for read in reads:
        src = read.source.src if isinstance(read, _Read) else None
        if src is not None and src not in latest:
            try:
                latest[src] = latest_version(src)
            except ScaffoldError:
                latest[src] = None
    return latest


def _finish(
    read: _Read | ServiceStatus,
    drift: ServiceStatus | Future[list[str]],
    latest: dict[str | None, str | None],
) -> ServiceStatus:
    if isinstance(read, ServiceStatus) or isinstance(drift, ServiceStatus):
        return read if isinstance(read, ServiceStatus) else read.status
    status = read.status
    newest = latest.get(read.source.src)
    have = version_key(status.version or "")
    want = version_key(newest) if newest else None
    behind = have is not None and want is not None and want > have
    proposed = sorted(
        (key, branch)
        for branch in proposed_branches(read.heads)
        if (key := version_key(branch_version(branch))) is not None
        if have is not None and key > have
    )
    status = replace(
        status, latest=newest, behind=behind, proposed=proposed[-1][1] if proposed else None
    )
    try:
        return replace(status, drift=drift.result())
    except ScaffoldError as error:
        return replace(status, error=f"drift: {error.one_line()}")


def _drift(service: Path, template_dir: Path, source: TemplateSource, renders: Path) -> list[str]:
    """Return the drifted platform-owned files of one service (runs in a worker process)."""
    info: ServiceInfo = load_service(service)
    template = _template(template_dir, source.trust)
    answers = info.template_answers
    key = json.dumps([_template_id(template_dir), answers, source.trust], sort_keys=True)
    stored = renders / f"{hashlib.sha256(key.encode()).hexdigest()}.json.gz"
    try:
        expected = json.loads(gzip.decompress(stored.read_bytes()))
    except (OSError, ValueError, EOFError):
        with index_sync_is_a_no_op():  # a render into a fresh temporary directory
            expected = render_platform_files(info, source, template)
        _store(stored, gzip.compress(json.dumps(expected).encode()))
    _, diffs = platform_diffs(info, source, template, expected=expected)
    return sorted(diffs)


def _store(path: Path, data: bytes) -> None:
    """Write a cache entry whole or not at all (workers and other runs may read it meanwhile)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_bytes(data)
    partial.replace(path)


_IDS: dict[Path, str] = {}


def _template_id(directory: Path) -> str:
    """Identify a template's content: its commit, or (the bundled ones) a hash of its files."""
    if directory not in _IDS:
        if (directory / ".git").exists():
            _IDS[directory] = git(directory, "rev-parse", "HEAD").strip()
        else:
            digest = hashlib.sha256()
            for path in sorted(directory.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
                    digest.update(path.read_bytes())
            _IDS[directory] = digest.hexdigest()
    return _IDS[directory]


_TEMPLATES: dict[tuple[Path, bool], Template] = {}


def _template(directory: Path, trust: bool) -> Template:
    """Each worker loads each template version once."""
    key = (directory, trust)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = Template.load(directory, trusted=trust)
    return _TEMPLATES[key]
