"""`scaffold smoke`: template CI that renders, builds, tests, lints and runs every variant.

Variants come from the template's shared/smoke.yml. Each variant is rendered with scripted
answers, then passes through the same steps a service team would run (static checks, the deploy
artifacts' validators, make build, make test, make lint) and `scaffold check --run`. The first
failing step ends a variant; the others keep going, so one broken language never hides the state
of the other. Whatever goes wrong in a step (a command failing, an exception) fails that step of
that variant only.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from generator import deploy, report, tools
from generator.conformance import observe, verify
from generator.errors import ScaffoldError, UsageError
from generator.report import Result, Suite
from generator.template import Template, TemplateSource, checked_out, render

Progress = Callable[[str], None]
STEPS = ("render", "static", "deploy", "build", "test", "lint", "contract")
# The provisioned tools each step runs; a step fails closed when one of its own is missing.
STATIC_TOOLS = ("hadolint", "actionlint")
DEPLOY_TOOLS = ("kustomize", "kube-score", "compose", "renovate", "catalog_model", "node")
DEPLOY_CHECKS = (
    deploy.check_kubernetes,
    deploy.check_compose,
    deploy.check_catalog,
    deploy.check_renovate,
)
_RESIDUE = re.compile(r"(?<!\$)\{\{|\{%|%\}|\{#|#\}")
_TAIL_LINES = 25


@dataclass(frozen=True)
class Variant:
    """One combination of answers."""

    answers: Mapping[str, Any]

    @property
    def language(self) -> str:
        return str(self.answers["language"])

    @property
    def name(self) -> str:
        rest = "-".join(f"{v}" for k, v in self.answers.items() if k != "language")
        return f"{self.language}-{rest}" if rest else self.language


def variant_suite(variant: Variant, steps: Sequence[Result]) -> Suite:
    """Build one variant's Suite: a Result per step run, every step expected."""
    return Suite(
        name=variant.name,
        results=tuple(steps),
        group=f"scaffold.smoke.{variant.language}",
        expected=STEPS,
        properties={"answers": dict(variant.answers)},
    )


def variants(axes: Mapping[str, Sequence[Any]], matrix: str, language: str | None) -> list[Variant]:
    """Enumerate the full product, or a greedy all-pairs cover of it (deterministic)."""
    if language is not None:
        axes = {**axes, "language": [language]}
    keys = list(axes)
    product = [dict(zip(keys, values, strict=True)) for values in itertools.product(*axes.values())]
    if matrix == "full":
        return [Variant(answers) for answers in product]
    if matrix != "default":
        raise UsageError(f"unknown matrix {matrix!r}", hint="use --matrix default or full")
    uncovered = {pair for combo in product for pair in _pairs(combo)}
    uncovered |= {((k, v),) for k in keys for v in axes[k]}
    chosen: list[dict[str, Any]] = []
    while uncovered:
        best = max(product, key=lambda combo: len(_cover(combo) & uncovered))
        chosen.append(best)
        uncovered -= _cover(best)
    return [Variant(answers) for answers in chosen]


def _pairs(combo: Mapping[str, Any]) -> set[tuple[tuple[str, Any], ...]]:
    items = sorted(combo.items(), key=lambda kv: kv[0])
    return {(a, b) for a, b in itertools.combinations(items, 2)}


def _cover(combo: Mapping[str, Any]) -> set[tuple[tuple[str, Any], ...]]:
    return _pairs(combo) | {((k, v),) for k, v in combo.items()}


@dataclass
class Smoke:
    """Runs the variants of one template source."""

    source: TemplateSource
    workdir: Path
    env: Mapping[str, str]
    progress: Progress

    def run(self, selected: Iterable[Variant], jobs: int = 1) -> list[Suite]:
        selected = list(selected)
        with checked_out(self.source) as template_dir:
            template = Template.load(template_dir, trusted=self.source.trust)
            source = self.source.src or str(template_dir)
            linters = provision_linters(template, self.progress)
            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                return list(pool.map(lambda v: self._one(linters, source, v, template), selected))

    def _one(self, linters: Linters, source: str, variant: Variant, template: Template) -> Suite:
        service = self.workdir / variant.name / str(variant.answers["service_name"])
        steps: list[tuple[str, Callable[[], str]]] = [
            ("render", lambda: self._render(source, service, variant)),
            ("static", lambda: _static(service, linters)),
            ("deploy", lambda: _deploy(service, template, linters)),
            ("build", lambda: self._build(service, template)),
            ("test", lambda: self._make(service, "test")),
            ("lint", lambda: self._make(service, "lint")),
            ("contract", lambda: _contract(service, variant, template)),
        ]
        results: list[Result] = []
        for step, action in steps:
            self.progress(f"{variant.name}: {step}")
            result = _step(step, action)
            results.append(result)
            self.progress(
                f"{variant.name}: {step} {'ok' if result.passed else 'FAILED'} "
                f"({result.seconds or 0:.1f} s)"
            )
            if not result.passed:
                break
        return variant_suite(variant, results)

    def _render(self, source: str, service: Path, variant: Variant) -> str:
        if service.parent.exists():
            shutil.rmtree(service.parent)
        service.parent.mkdir(parents=True)
        answers = {**variant.answers, "description": f"Smoke test of {variant.name}."}
        render(source, service, answers, vcs_ref=self.source.ref, trust=self.source.trust)
        return f"rendered into {service}"

    def _make(self, service: Path, target: str) -> str:
        return _run(["make", target], service, self.env)

    def _build(self, service: Path, template: Template) -> str:
        """Build the service, and its probe build for the contract step."""
        built = self._make(service, "build")
        probe = self._make(service, template.contract.probe.make_target)
        return f"{built}\n{probe}".strip()


class StepFailed(Exception):
    """A step's command failed; the message holds the tail of its output."""


# The tools the static and deploy steps run, by name: a path, or why it could not be provisioned.
Linters = Mapping[str, Path | ScaffoldError]


def provision_linters(template: Template, progress: Progress) -> Linters:
    """Find or install, once for every variant, the pinned tools the static and deploy steps run.

    A failure is kept, not raised: every variant's step that needs the tool then fails with it
    (fail closed, one line naming the tool, its version and the command that installs it).
    """
    found: dict[str, Path | ScaffoldError] = {}
    _provide(found, "hadolint", tools.hadolint)
    for tool in tools.go_tools(template.tools):
        _provide(found, tool.name, partial(tools.ensure, tool, progress))
    pins = template.tools
    _provide(found, "node", tools.node)
    _provide(found, "compose", lambda: tools.ensure_compose_checker(progress))
    _provide(found, "renovate", lambda: tools.ensure_renovate(pins, progress))
    _provide(found, "catalog_model", lambda: tools.ensure_catalog_model(pins, progress))
    return found


def _provide(found: dict[str, Path | ScaffoldError], name: str, find: Callable[[], Path]) -> None:
    try:
        found[name] = find()
    except ScaffoldError as error:
        found[name] = error


def needed(linters: Linters, names: Sequence[str]) -> dict[str, Path]:
    """Return the named tools' paths, or raise why the first missing one is missing."""
    paths = {}
    for name in names:
        linter = linters.get(name)
        if isinstance(linter, ScaffoldError):
            raise linter
        if linter is None:
            raise StepFailed(f"{name} was not provisioned")
        paths[name] = linter
    return paths


def _step(name: str, action: Callable[[], str]) -> Result:
    """Run one step; any exception fails it (and only it) with the reason as its output.

    Catching everything is the point: smoke reports every variant, so a bug or a crash in one
    variant's step must not take the table, the JSON and the JUnit of the others with it.
    """
    started = time.monotonic()
    try:
        output, passed = action(), True
    except StepFailed as failure:
        output, passed = str(failure), False
    except ScaffoldError as error:
        output, passed = error.one_line(), False
    except Exception as error:  # see the docstring
        output, passed = f"{type(error).__name__}: {error}", False
    detail = next(iter(output.splitlines()), "")
    return Result(name, passed, detail, time.monotonic() - started, output)


def _run(command: list[str], cwd: Path, env: Mapping[str, str]) -> str:
    result = subprocess.run(
        command,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,  # builds never read the user's terminal
        capture_output=True,
        text=True,
        check=False,
    )
    output = report.printable(result.stdout + result.stderr).strip()
    tail = "\n".join(output.splitlines()[-_TAIL_LINES:])
    if result.returncode != 0:
        raise StepFailed(f"`{' '.join(command)}` exited {result.returncode}:\n{tail}")
    return tail


def is_template_residue(path: Path, line: str) -> bool:
    """Whether a rendered line still holds Jinja syntax ({{ in a Rust format string is Rust's)."""
    rust_format = path.suffix == ".rs" and "{{" in line and "format" in line
    return bool(_RESIDUE.search(line)) and not rust_format


def matching_lines(service: Path, matches: Callable[[Path, str], bool]) -> list[str]:
    """Every `file:line: text` of the service's text files (not .git) for which matches holds."""
    found = []
    for path in sorted(service.rglob("*")):
        if not path.is_file() or ".git" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if matches(path, line):
                found.append(f"{path.relative_to(service)}:{number}: {line.strip()}")
    return found


def _static(service: Path, linters: Linters) -> str:
    """No template residue; hadolint and actionlint clean; lockfile matches the manifest."""
    residue = matching_lines(service, is_template_residue)
    if residue:
        raise StepFailed("unrendered template syntax:\n" + "\n".join(residue[:10]))
    env = dict(os.environ)
    linters = needed(linters, STATIC_TOOLS)
    workflows = sorted(str(p) for p in (service / ".github/workflows").glob("*.yml"))
    checks = [
        [str(linters["hadolint"]), "Dockerfile"],
        [str(linters["actionlint"]), *workflows],
    ]
    if (service / "go.mod").is_file():
        checks.append(["go", "mod", "tidy", "-diff"])
    if (service / "Cargo.toml").is_file():
        checks.append(["cargo", "metadata", "--locked", "--format-version", "1", "--no-deps"])
    for command in checks:
        if shutil.which(command[0]) is None:
            raise StepFailed(f"{command[0]} is not installed")
        _run(command, service, env)
    return "no template residue; hadolint, actionlint and lockfile checks clean"


def _deploy(service: Path, template: Template, linters: Linters) -> str:
    """Kubernetes manifests, local stack, catalog entry and Renovate config: every validator."""
    validators = needed(linters, DEPLOY_TOOLS)
    return "\n".join(check(service, template, validators) for check in DEPLOY_CHECKS)


def _contract(service: Path, variant: Variant, template: Template) -> str:
    name = str(variant.answers["service_name"])
    contract = template.contract
    binary, probe = contract.build.binary_for(name), contract.probe.binary_for(name)
    results = verify(contract, name, observe(service / binary, contract, probe=service / probe))
    failed = [r for r in results if not r.passed]
    if failed:
        raise StepFailed("\n".join(f"{r.name}: {r.detail}" for r in failed))
    return f"{len(results)} contract items passed"


def summary_table(results: Sequence[Suite]) -> str:
    """One row per variant, one column per step: ok, FAIL, or - when it did not run."""
    rows = []
    for suite in results:
        marks = {r.name: "ok" if r.passed else "FAIL" for r in suite.results}
        rows.append([suite.name, *(marks.get(s, "-") for s in STEPS), f"{suite.seconds:.1f}s"])
    return report.table(("variant", *STEPS, "time"), rows)


def junit_xml(results: Sequence[Suite]) -> str:
    """JUnit XML: one test case per variant and step, classname scaffold.smoke.<language>."""
    return report.junit_xml(results, name="scaffold-smoke")


def to_json(results: Sequence[Suite]) -> str:
    """Machine-readable results; a step's output is kept only when it failed."""
    return json.dumps(
        {
            "passed": all(r.passed for r in results),
            "variants": [
                {
                    "name": r.name,
                    "answers": r.properties["answers"],
                    "passed": r.passed,
                    "seconds": round(r.seconds, 3),
                    "steps": [
                        {
                            "step": s.name,
                            "passed": s.passed,
                            "seconds": round(s.seconds or 0.0, 3),
                            "output": s.output if not s.passed else "",
                        }
                        for s in r.results
                    ],
                }
                for r in results
            ],
        },
        indent=2,
    )


def default_workdir() -> Path:
    """Create a fresh directory for rendered variants (kept only with --keep)."""
    return Path(tempfile.mkdtemp(prefix="scaffold-smoke-"))
