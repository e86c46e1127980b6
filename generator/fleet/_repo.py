"""A service repository seen from afar: its branches, and its default branch's files.

`fleet status` must not clone 200 repositories on every run. Each repository gets a bare mirror
in the fleet cache that holds only the newest commit of its default branch (a depth-1 fetch, so
a re-run transfers only what changed); its tree is exported into a scratch directory to be read.
Repositories are untrusted: git runs hardened (generator._git) and the export refuses links and
paths that leave the directory (tarfile's "data" filter).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

from generator._git import git
from generator.errors import ToolchainError, UsageError

UPDATE_BRANCH = "scaffold/update-{version}"
_UPDATE_PREFIX = "scaffold/update-"


def fleet_cache() -> Path:
    """Return the mirrors' directory: $SCAFFOLD_FLEET_CACHE, else the user cache directory."""
    override = os.environ.get("SCAFFOLD_FLEET_CACHE")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("scaffold")) / "fleet"


def remote_heads(repo: str) -> dict[str, str]:
    """Every branch of a repository and its commit, read with one `git ls-remote`."""
    out = git(
        Path(tempfile.gettempdir()),
        "ls-remote",
        "--heads",
        "--",
        repo,
        error=UsageError,
        hint=_HINT,
    )
    heads: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref.startswith("refs/heads/"):
            heads[ref.removeprefix("refs/heads/")] = sha
    return heads


def proposed_branches(heads: dict[str, str]) -> list[str]:
    """Return the `scaffold/update-<version>` branches among a repository's branches."""
    return sorted(name for name in heads if name.startswith(_UPDATE_PREFIX))


def branch_version(branch: str) -> str:
    """Return the version a `scaffold/update-<version>` branch proposes."""
    return branch.removeprefix(_UPDATE_PREFIX)


def fetch_head(repo: str, branch: str, cache: Path) -> tuple[Path, str]:
    """Fetch the newest commit of branch into the repository's mirror; return it and the commit."""
    mirror = cache / _mirror_name(repo)
    if not (mirror / "HEAD").is_file():
        mirror.mkdir(parents=True, exist_ok=True)
        git(mirror, "init", "--quiet", "--bare")
    git(
        mirror,
        *("fetch", "--quiet", "--depth", "1", "--no-tags", "--force", "--"),
        _fetchable(repo),
        f"+refs/heads/{branch}:refs/fleet/head",
        error=UsageError,
        hint=_HINT,
    )
    return mirror, git(mirror, "rev-parse", "refs/fleet/head").strip()


def export_tree(mirror: Path, commit: str, destination: Path) -> None:
    """Write the files of commit into destination (a new directory), refusing what leaves it."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit],
        cwd=mirror,
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        reason = archive.stderr.decode(errors="replace").strip().splitlines()
        raise ToolchainError(f"git archive failed: {reason[-1] if reason else archive.returncode}")
    destination.mkdir(parents=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(destination, filter="data")
    except tarfile.TarError as error:
        raise UsageError(f"the repository's files cannot be read safely: {error}") from None


def _mirror_name(repo: str) -> str:
    """Name a repository's mirror: readable, and unique by a hash of the URL."""
    digest = hashlib.sha256(repo.encode()).hexdigest()[:16]
    tail = re.sub(r"[^A-Za-z0-9._-]+", "-", repo.rstrip("/").rsplit("/", 1)[-1])[:40]
    return f"{tail}-{digest}.git"


def _fetchable(repo: str) -> str:
    """Return a local path as a file:// URL: git ignores --depth for a plain path."""
    return Path(repo).as_uri() if repo.startswith("/") else repo


_HINT = "check the fleet file's repo: and that you can read it (git ls-remote REPO)"
