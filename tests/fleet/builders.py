"""A fleet of real services on local bare remotes: what the tests and the benchmark run against.

Every service is made by `scaffold new` from a golden repository and pushed to its own bare
repository, as a platform team's services live in their own repositories on a git server.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from generator._git import git
from generator.new import NewOptions, new_service
from generator.template import TemplateSource

_IDENTITY = ("-c", "user.name=fleet-demo", "-c", "user.email=fleet@localhost")


def make_service_repo(
    golden: Path, remotes: Path, work: Path, name: str, language: str
) -> tuple[Path, Path]:
    """Create service name from golden's newest release; return its bare remote and its clone."""
    checkout = work / name
    new_service(
        NewOptions(
            name=name,
            language=language,
            directory=checkout,
            defaults=True,
            template=TemplateSource(str(golden)),
        ),
        progress=lambda _: None,
        show=lambda *_: None,
    )
    remote = remotes / f"{name}.git"
    git(remotes, "init", "--quiet", "--bare", "-b", "main", str(remote))
    git(checkout, "remote", "add", "origin", str(remote))
    git(checkout, "push", "--quiet", "origin", "main")
    return remote, checkout


def commit_all(checkout: Path, message: str, *, push: bool = True) -> None:
    """Commit every change in checkout (and push main), as a service team would."""
    git(checkout, "add", "-A")
    git(checkout, *_IDENTITY, "-c", "commit.gpgsign=false", "commit", "-q", "-m", message)
    if push:
        git(checkout, "push", "--quiet", "origin", "main")


def write_fleet_file(path: Path, remotes: Sequence[Path]) -> Path:
    """A fleet.yml listing remotes in order."""
    lines = ["services:"] + [f"  - repo: {remote}" for remote in remotes]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_fleet(
    golden: Path,
    root: Path,
    count: int,
    languages: Sequence[str] = ("go", "rust"),
    progress: Callable[[str], None] = lambda _: None,
) -> list[tuple[Path, Path]]:
    """count services named svc-NNN, alternating languages; return (remote, checkout) pairs."""
    remotes, work = root / "remotes", root / "work"
    remotes.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(count):
        name = f"svc-{i:03d}"
        progress(f"creating {name}")
        made.append(make_service_repo(golden, remotes, work, name, languages[i % len(languages)]))
    return made
