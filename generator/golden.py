"""Golden template sources: the bundled templates, a platform team's git repository, or a path.

`scaffold golden init` starts a team's own versioned repository from the bundled templates;
`scaffold new --template` and `scaffold update`/`check` read templates from such a source.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from generator.errors import UsageError
from generator.git import check_ref, check_source, git
from generator.paths import user_path
from generator.project import init_git
from generator.staging import check_target, staged
from generator.template import bundled_template_dir

INITIAL_TAG = "v1.0.0"
_VERSION_TAG = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")

PLATFORM_README = """\
# Golden service templates

This repository is the platform team's golden template for Go (gin) and Rust (axum) services,
created with `scaffold golden init`. Service teams generate from it with

    scaffold new NAME --template {source}

and every service records the version (git tag) it was generated from.

## Layout

| Path | What it is |
| --- | --- |
| `copier.yml` | Questions; `_subdirectory` picks `go-gin/` or `rust-axum/` from `language` |
| `shared/contract.yml` | The platform contract; both languages and `scaffold check` read it |
| `shared/ownership.yml` | Files the platform owns in every service (drift-checked) |
| `go-gin/`, `rust-axum/` | The two service templates (`*.jinja` files are rendered) |

## Changing a template

1. Edit the files; keep contract values in `shared/contract.yml` only.
2. Test every variant: `scaffold smoke --template .` renders, builds, tests, lints and runs them.
3. Commit, then tag a new version: `git tag v1.1.0` (semantic versions, `vMAJOR.MINOR.PATCH`).
4. Roll it out: in each service, `scaffold check` reports "behind", and `scaffold update`
   applies the change while keeping the service team's own edits (conflicts appear as standard
   git conflict markers). `scaffold update --dry-run` previews the diff.
"""

TEMPLATE_CI = """\
name: templates

on:
  push:
    branches: [main]
    tags: ["v*"]
  pull_request:

permissions:
  contents: read

concurrency:
  group: templates-${{ github.ref }}
  cancel-in-progress: true

jobs:
  smoke:
    runs-on: ubuntu-24.04
    timeout-minutes: 60
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - uses: actions/setup-go@v5
        with:
          go-version: "1.26"
      - uses: dtolnay/rust-toolchain@1.95.0
        with:
          components: clippy, rustfmt
      - name: Install scaffold
        run: pip install "scaffold-services=={version}"
      - name: Render, build, test, lint and run every variant
        run: scaffold smoke --template . --junit smoke.xml
"""


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
    """Yield a local directory holding the template at the requested ref."""
    if source.src is None:
        yield bundled_template_dir()
        return
    local = Path(source.src)
    if local.is_dir() and not (local / ".git").exists():
        yield local  # a plain directory: no versions to choose from
        return
    with tempfile.TemporaryDirectory(prefix="scaffold-template-") as tmp:
        clone = Path(tmp) / "template"
        _git("clone", "--quiet", "--", source.src, str(clone), cwd=Path(tmp))
        ref = source.ref or latest_tag(clone)
        if ref:
            _git("checkout", "--quiet", ref, "--", cwd=clone)
        yield clone


def latest_tag(repo: Path) -> str | None:
    """Return the highest vX.Y.Z tag of a local git repository, if any."""
    tags = _git("tag", "--list", cwd=repo).split()
    versions = [
        (tuple(int(n) for n in m.groups()), t) for t in tags if (m := _VERSION_TAG.match(t))
    ]
    return max(versions)[1] if versions else None


def remote_latest_tag(src: str) -> str | None:
    """Return the highest vX.Y.Z tag of a template source (path or URL) without cloning it."""
    check_source(src, origin="the template source")
    refs = _git("ls-remote", "--tags", "--refs", "--", src, cwd=Path.cwd())
    tags = [line.split("refs/tags/", 1)[1] for line in refs.splitlines() if "refs/tags/" in line]
    versions = [
        (tuple(int(n) for n in m.groups()), t) for t in tags if (m := _VERSION_TAG.match(t))
    ]
    return max(versions)[1] if versions else None


def init_golden(
    destination: Path, version: str, progress: Callable[[str], None] = lambda _: None
) -> Path:
    """Create a golden-template git repository at destination, tagged INITIAL_TAG."""
    target = user_path(destination, flag="DIR")
    check_target(target)
    progress("copying the bundled templates and creating the repository")
    with staged(target) as repo:
        shutil.copytree(
            bundled_template_dir(), repo, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        (repo / "README.md").write_text(PLATFORM_README.format(source=target), encoding="utf-8")
        workflow = repo / ".github" / "workflows" / "templates.yml"
        workflow.parent.mkdir(parents=True)
        workflow.write_text(TEMPLATE_CI.replace("{version}", version), encoding="utf-8")
        init_git(repo, f"Golden templates from scaffold {version}")
        _git("tag", INITIAL_TAG, cwd=repo)
    return target


def _git(*args: str, cwd: Path) -> str:
    return git(cwd, *args, error=UsageError, hint="check the template source and ref")
