"""`scaffold golden init`: a platform team's own versioned template repository."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from generator._git import git, init_git
from generator._paths import user_path
from generator._staging import check_target, staged
from generator.errors import UsageError
from generator.template import bundled_template_dir

INITIAL_TAG = "v1.0.0"

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
