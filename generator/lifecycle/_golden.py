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
5. Or roll it out to the whole fleet: list the services in `fleet.yml` (canaries first), then
   `scaffold fleet status fleet.yml --html fleet.html` shows who runs which version and what
   drifted, and `scaffold fleet update fleet.yml --to v1.1.0 --wave 10%` proposes the version as
   one branch (and pull request) per service, 10% at a time; re-run it for the next wave.
   `.github/workflows/fleet.yml` does both on GitHub Actions, sharded over runners
   (`scaffold fleet plan`); it needs a `FLEET_TOKEN` secret that reaches the services.
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


# The fleet workflow: `scaffold fleet plan` shards fleet.yml into a matrix, and each shard's job
# reports status (on schedule) or proposes a template version (by hand), on its own runner.
FLEET_CI = """\
name: fleet
on:
  workflow_dispatch:
    inputs:
      version:
        description: Template version to propose to every service (a tag of this repository)
        required: true
      wave:
        description: At most N services (or P%) per shard not yet proposed; empty for all
        required: false
        default: ""
  schedule:
    - cron: "17 6 * * 1-5"  # status every weekday morning
permissions:
  contents: read
concurrency:
  group: fleet
  cancel-in-progress: false
env:
  SCAFFOLD_VERSION: "[[ version ]]"
jobs:
  plan:
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    outputs:
      matrix: ${{ steps.plan.outputs.matrix }}
    steps:
      - uses: [[ actions.checkout ]]
        with:
          persist-credentials: false
      - uses: [[ actions.setup_python ]]
        with:
          python-version: "3.11"
      - name: Install scaffold
        run: python -m pip install "scaffold-services==$SCAFFOLD_VERSION"
      - name: Split fleet.yml into shards
        id: plan
        run: |
          matrix="$(scaffold fleet plan fleet.yml --shards 8 --format github-matrix)"
          echo "matrix=$matrix" >> "$GITHUB_OUTPUT"
  fleet:
    name: fleet ${{ matrix.shard }}
    needs: plan
    runs-on: ubuntu-24.04
    timeout-minutes: 60
    strategy:
      fail-fast: false
      matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}
    env:
      ONLY: ${{ matrix.only }}
      SHARD: ${{ strategy.job-index }}
    steps:
      - uses: [[ actions.checkout ]]
        with:
          persist-credentials: false
      - uses: [[ actions.setup_python ]]
        with:
          python-version: "3.11"
      - name: Install scaffold
        run: python -m pip install "scaffold-services==$SCAFFOLD_VERSION"
      # FLEET_TOKEN: a GitHub App or fine-grained token that may read the services' repositories
      # and, to propose updates, push branches and open pull requests there (contents and
      # pull requests: write). This workflow's own GITHUB_TOKEN only reaches this repository.
      - name: Let git use the fleet token for github.com
        env:
          FLEET_TOKEN: ${{ secrets.FLEET_TOKEN }}
        run: |
          git config --global credential.helper \\
            '!f() { echo username=x-access-token; echo "password=$FLEET_TOKEN"; }; f'
          git config --global user.name "scaffold fleet"
          git config --global user.email "scaffold-fleet@users.noreply.github.com"
      - name: Status
        if: github.event_name == 'schedule'
        env:
          FLEET_TOKEN: ${{ secrets.FLEET_TOKEN }}
        run: scaffold fleet status fleet.yml --only "$ONLY" --html "fleet-$SHARD.html"
      - name: Propose the version
        if: github.event_name == 'workflow_dispatch'
        env:
          FLEET_TOKEN: ${{ secrets.FLEET_TOKEN }}
          GITHUB_TOKEN: ${{ secrets.FLEET_TOKEN }}
          VERSION: ${{ inputs.version }}
          WAVE: ${{ inputs.wave }}
        run: |
          scaffold fleet update fleet.yml --to "$VERSION" --only "$ONLY" --forge github \\
            ${WAVE:+--wave "$WAVE"} --json > "fleet-$SHARD.json"
      - uses: [[ actions.upload_artifact ]]
        if: ${{ !cancelled() }}
        with:
          name: fleet-${{ strategy.job-index }}
          path: fleet-*
          if-no-files-found: ignore
"""

FLEET_FILE = """\
# The services built from this template, for `scaffold fleet` and .github/workflows/fleet.yml.
# Order matters: `fleet update --wave` takes services from the top, so list canaries first.
#
# services:
#   - repo: https://github.com/acme/payments.git   # a git URL (or a path)
#     branch: main                                 # default branch (default: main)
#   - repo: git@github.com:acme/ledger.git
#     name: ledger                                 # optional overrides: name, owner
services: []
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
        (workflow.parent / "fleet.yml").write_text(fleet_ci(version), encoding="utf-8")
        (repo / "fleet.yml").write_text(FLEET_FILE, encoding="utf-8")
        init_git(repo, INITIAL_COMMIT.format(version=version))
        _git("tag", INITIAL_TAG, cwd=repo)
    return target


def template_ci(version: str) -> str:
    """Render the golden repository's template workflow with the bundled pins and version."""
    return _workflow(TEMPLATE_CI, version)


def fleet_ci(version: str) -> str:
    """Render the golden repository's fleet workflow with the bundled pins and version."""
    return _workflow(FLEET_CI, version)


def _workflow(text: str, version: str) -> str:
    pins = Template.load(bundled_template_dir()).tools
    environment = jinja2.Environment(
        variable_start_string="[[",
        variable_end_string="]]",
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML, not HTML  # noqa: S701
    )
    values = {**pins.model_dump(), "version": version}
    return environment.from_string(text).render(values)


def _git(*args: str, cwd: Path) -> str:
    return git(cwd, *args, error=UsageError, hint="check the template source and ref")
