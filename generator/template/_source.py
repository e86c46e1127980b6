"""Where a template comes from, and which version of it: one rule for every command.

A source is the bundled templates, a plain directory, or a git repository (path or URL). Its
versions are its git tags, ordered by PEP 440 with pre-releases left out, exactly as copier orders
them; scaffold picks the version once (`resolved`) and passes it to copier explicitly, so the
questions it asks, the files copier renders and `scaffold check`'s verdicts all agree.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.version import InvalidVersion, Version

from generator._git import check_ref, check_source, git
from generator._paths import user_path
from generator.errors import UsageError
from generator.template._template import bundled_template_dir


@dataclass(frozen=True)
class TemplateSource:
    """Where templates come from: the bundled copy (src is None) or a path/git URL.

    trust is the user's --trust: only a trusted template may run code (copier's _tasks,
    _migrations, _jinja_extensions). The bundled templates need none.
    """

    src: str | None = None
    ref: str | None = None
    trust: bool = False

    def __post_init__(self) -> None:
        if self.src is not None:
            check_source(self.src, origin="the template source")
        if self.ref is not None:
            check_ref(self.ref, origin="the template version")

    @property
    def bundled(self) -> bool:
        return self.src is None

    @property
    def versioned(self) -> bool:
        """Whether the source is a git repository, whose tags are its versions."""
        if self.src is None:
            return False
        local = Path(self.src)
        return not local.is_dir() or (local / ".git").exists()

    def resolved(self) -> TemplateSource:
        """Return the source with its version pinned: the requested ref, else the newest tag."""
        if self.ref is not None or not self.versioned:
            return self
        return replace(self, ref=latest_version(str(self.src)))

    @classmethod
    def parse(
        cls, src: str | None, ref: str | None = None, *, trust: bool = False
    ) -> TemplateSource:
        """Build a source from user input; local paths become absolute (copier records them)."""
        if src is None:
            return cls(None, ref, trust)
        check_source(src, origin="--template")
        local = user_path(Path(src), flag="--template")
        return cls(str(local) if local.exists() else src, ref, trust)


@contextmanager
def checked_out(source: TemplateSource) -> Iterator[Path]:
    """Yield a local directory holding the template at the source's ref (newest tag if none)."""
    if source.src is None:
        yield bundled_template_dir()
        return
    if not source.versioned:
        yield Path(source.src)  # a plain directory: no versions to choose from
        return
    ref = source.resolved().ref
    with tempfile.TemporaryDirectory(prefix="scaffold-template-") as tmp:
        clone = Path(tmp) / "template"
        _git("clone", "--quiet", "--", source.src, str(clone), cwd=Path(tmp))
        if ref:
            _git("checkout", "--quiet", ref, "--", cwd=clone)
        yield clone


def version_key(tag: str) -> Version | None:
    """Return the PEP 440 version a tag names (a leading v allowed), or None if it names none."""
    try:
        return Version(tag)
    except InvalidVersion:
        return None


def newest(tags: Iterable[str]) -> str | None:
    """Return the newest release among tags, ignoring pre-releases and non-versions (as copier)."""
    releases = [
        (key, tag)
        for tag in tags
        if (key := version_key(tag)) is not None and not key.is_prerelease
    ]
    return max(releases)[1] if releases else None


def latest_version(src: str) -> str | None:
    """Return the newest release tag of a template repository (path or URL), without a clone."""
    check_source(src, origin="the template source")
    refs = _git("ls-remote", "--tags", "--refs", "--", src, cwd=Path.cwd())
    tags = (line.split("\trefs/tags/", 1)[1] for line in refs.splitlines() if "\trefs/" in line)
    return newest(tags)


def tag_subjects(src: str) -> dict[str, str]:
    """Return every tag of a template repository (path or URL) with its commit's subject line."""
    check_source(src, origin="the template source")
    with tempfile.TemporaryDirectory(prefix="scaffold-tags-") as tmp:
        clone = Path(tmp) / "template.git"
        _git("clone", "--quiet", "--bare", "--", src, str(clone), cwd=Path(tmp))
        # %(*subject) is the commit's subject for an annotated tag, %(subject) for a plain one.
        listing = _git(
            "for-each-ref",
            "--format=%(refname:strip=2)%00%(if)%(*objectname)%(then)%(*subject)"
            "%(else)%(subject)%(end)",
            "refs/tags",
            cwd=clone,
        )
    return dict(line.split("\0", 1) for line in listing.splitlines() if "\0" in line)


def _git(*args: str, cwd: Path) -> str:
    return git(cwd, *args, error=UsageError, hint="check the template source and ref")
