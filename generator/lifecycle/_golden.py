"""`scaffold golden init`: a platform team's own versioned template repository."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import jinja2

from generator._git import git, init_git
from generator._paths import user_path
from generator._staging import check_target, staged
from generator.errors import UsageError
from generator.template import Template, bundled_template_dir

INITIAL_TAG = "v1.0.0"
# The subject of the golden repository's first commit: `scaffold update --template` finds there
# the version holding the bundled templates of a given scaffold version.
INITIAL_COMMIT = "Golden templates from scaffold {version}"

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
| `shared/ownership.yml` | What the platform owns in every service (drift-checked): files, and \
directories such as `internal/platform/` and `src/platform/`; the rest is the team's |
| `go-gin/`, `rust-axum/` | The two service templates (`*.jinja` files are rendered) |

## Changing a template

1. Edit the files; keep contract values in `shared/contract.yml` only, and tool versions in
   `shared/tools.yml` only.
2. Commit, then test every variant of that commit: `scaffold smoke --template . --ref HEAD`
   renders, builds, tests, lints and runs them (without `--ref`, smoke takes the newest tag).
   CI (`.github/workflows/templates.yml`) does the same on every push and pull request.
3. Tag a new version: `git tag v1.1.0` (semantic versions, `vMAJOR.MINOR.PATCH`).
4. Roll it out: in each service, `scaffold check` reports "behind", and `scaffold update`
   applies the change while keeping the service team's own edits (conflicts appear as standard
   git conflict markers). `scaffold update --dry-run` previews the diff. A service generated
   from scaffold's bundled templates moves onto this repository, and gets the same updates, with
   `scaffold update --template {source}`.
"""

# The golden repository's own CI. Rendered with the pins of shared/tools.yml ([[ ]] marks
# scaffold's values; ${{ }} is GitHub's). One job per language, each a fresh runner with only the
# language toolchains: scaffold provisions the linters it runs into SCAFFOLD_TOOLS_DIR (cached
# here), Go services build their pinned golangci-lint with `go tool`, and rustup installs the
# toolchain the Rust services' rust-toolchain.toml names.
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
    name: smoke (${{ matrix.language }})
    runs-on: ubuntu-24.04
    timeout-minutes: 60
    strategy:
      fail-fast: false
      matrix:
        language: [go, rust]
    env:
      LANGUAGE: ${{ matrix.language }}
      SCAFFOLD_VERSION: "[[ version ]]"
    steps:
      - uses: [[ actions.checkout ]]
        with:
          persist-credentials: false
          fetch-depth: 0  # the tags: scaffold compares the commit under test with them
      - name: Keep scaffold's tool cache and the cargo target directory outside the checkout
        run: |
          echo "SCAFFOLD_TOOLS_DIR=$RUNNER_TEMP/scaffold-tools" >> "$GITHUB_ENV"
          echo "CARGO_TARGET_DIR=$RUNNER_TEMP/cargo-target" >> "$GITHUB_ENV"
      - uses: [[ actions.setup_python ]]
        with:
          python-version: "3.11"
      - uses: [[ actions.setup_go ]]
        with:
          go-version: "[[ go ]]"
          cache-dependency-path: |
            go-gin/go.sum
            go-gin/tools/go.sum
      - uses: [[ actions.cache ]]
        with:
          path: |
            ${{ runner.temp }}/scaffold-tools
            ${{ runner.temp }}/cargo-target
            ~/.cargo/registry
          key: smoke-${{ matrix.language }}-${{ hashFiles('shared/tools.yml', 'shared/rust/*') }}
      - name: Install the pinned Rust toolchain
        if: matrix.language == 'rust'
        run: rustup toolchain install "[[ rust ]]" --profile minimal --component clippy,rustfmt
      - name: Install scaffold
        run: python -m pip install "scaffold-services==$SCAFFOLD_VERSION"
      - name: Check the tools
        run: scaffold doctor --template . --ref HEAD --lang "$LANGUAGE" --install
      # --ref HEAD: the commit under test (without it, smoke takes the newest tag).
      - name: Render, build, test, lint and run every variant
        run: scaffold smoke --template . --ref HEAD --lang "$LANGUAGE" --junit "smoke-$LANGUAGE.xml"
      - uses: [[ actions.upload_artifact ]]
        if: ${{ !cancelled() }}
        with:
          name: smoke-${{ matrix.language }}
          path: smoke-${{ matrix.language }}.xml
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
        workflow.write_text(template_ci(version), encoding="utf-8")
        init_git(repo, INITIAL_COMMIT.format(version=version))
        _git("tag", INITIAL_TAG, cwd=repo)
    return target


def template_ci(version: str) -> str:
    """Render the golden repository's workflow with the bundled templates' pins and version."""
    pins = Template.load(bundled_template_dir()).tools
    environment = jinja2.Environment(
        variable_start_string="[[",
        variable_end_string="]]",
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML, not HTML  # noqa: S701
    )
    values = {**pins.model_dump(), "version": version}
    return environment.from_string(TEMPLATE_CI).render(values)


def _git(*args: str, cwd: Path) -> str:
    return git(cwd, *args, error=UsageError, hint="check the template source and ref")
