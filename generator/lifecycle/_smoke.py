"""`scaffold smoke`: template CI that renders, builds, tests, lints and runs every variant.

Variants come from the template's shared/smoke.yml. Each variant is rendered with scripted
answers, then passes through the same steps a service team would run (static checks, make build,
make test, make lint) and `scaffold check --run`. The first failing step ends a variant; the
others keep going, so one broken language never hides the state of the other.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from generator.conformance import observe, verify
from generator.errors import UsageError
from generator.template import Template, TemplateSource, checked_out, render

Progress = Callable[[str], None]
STEPS = ("render", "static", "build", "test", "lint", "contract")
_RESIDUE = re.compile(r"(?<!\$)\{\{|\{%|%\}|\{#|#\}")
_TAIL_LINES = 25
# Colour codes and the control characters XML 1.0 cannot carry, stripped from step output.
_UNPRINTABLE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|[\x00-\x08\x0b\x0c\x0e-\x1f]")


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


@dataclass
class StepResult:
    """The outcome of one step of one variant."""

    step: str
    passed: bool
    seconds: float
    output: str = ""


@dataclass
class VariantResult:
    """Every step run for one variant; steps after a failure are not run."""

    variant: Variant
    steps: list[StepResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(step.passed for step in self.steps) and len(self.steps) == len(STEPS)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


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

    def run(self, selected: Iterable[Variant], jobs: int = 1) -> list[VariantResult]:
        selected = list(selected)
        with checked_out(self.source) as template_dir:
            template = Template.load(template_dir, trusted=self.source.trust)
            source = self.source.src or str(template_dir)
            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                return list(pool.map(lambda v: self._one(template, source, v), selected))

    def _one(self, template: Template, source: str, variant: Variant) -> VariantResult:
        result = VariantResult(variant)
        service = self.workdir / variant.name / str(variant.answers["service_name"])
        steps: list[tuple[str, Callable[[], str]]] = [
            ("render", lambda: self._render(source, service, variant)),
            ("static", lambda: _static(service)),
            ("build", lambda: self._make(service, "build")),
            ("test", lambda: self._make(service, "test")),
            ("lint", lambda: self._make(service, "lint")),
            ("contract", lambda: _contract(service, variant, template)),
        ]
        for step, action in steps:
            self.progress(f"{variant.name}: {step}")
            started = time.monotonic()
            try:
                output, passed = action(), True
            except StepFailed as failure:
                output, passed = str(failure), False
            result.steps.append(StepResult(step, passed, time.monotonic() - started, output))
            self.progress(
                f"{variant.name}: {step} {'ok' if passed else 'FAILED'} "
                f"({time.monotonic() - started:.1f} s)"
            )
            if not passed:
                break
        return result

    def _render(self, source: str, service: Path, variant: Variant) -> str:
        if service.parent.exists():
            shutil.rmtree(service.parent)
        service.parent.mkdir(parents=True)
        answers = {**variant.answers, "description": f"Smoke test of {variant.name}."}
        try:
            render(source, service, answers, vcs_ref=self.source.ref, trust=self.source.trust)
        except Exception as error:
            raise StepFailed(str(error)) from None
        return f"rendered into {service}"

    def _make(self, service: Path, target: str) -> str:
        return _run(["make", target], service, self.env)


class StepFailed(Exception):
    """A step's command failed; the message holds the tail of its output."""


def _run(command: list[str], cwd: Path, env: Mapping[str, str]) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    output = _UNPRINTABLE.sub("", result.stdout + result.stderr).strip()
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


def _static(service: Path) -> str:
    """No template residue; hadolint and actionlint clean; lockfile matches the manifest."""
    residue = matching_lines(service, is_template_residue)
    if residue:
        raise StepFailed("unrendered template syntax:\n" + "\n".join(residue[:10]))
    env = dict(os.environ)
    checks = [
        ["hadolint", "Dockerfile"],
        ["actionlint", *sorted(str(p) for p in (service / ".github/workflows").glob("*.yml"))],
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


def _contract(service: Path, variant: Variant, template: Template) -> str:
    name = str(variant.answers["service_name"])
    contract = template.contract
    results = verify(contract, name, observe(service / contract.build.binary_for(name), contract))
    failed = [r for r in results if not r.passed]
    if failed:
        raise StepFailed("\n".join(f"{r.name}: {r.detail}" for r in failed))
    return f"{len(results)} contract items passed"


def summary_table(results: list[VariantResult]) -> str:
    """Format a fixed-width table: one row per variant, one column per step."""
    width = max([len("variant"), *(len(r.variant.name) for r in results)])
    header = f"{'variant':<{width}}  " + "  ".join(f"{s:<8}" for s in STEPS) + "  time"
    rows = [header]
    for result in results:
        marks = {step.step: "ok" if step.passed else "FAIL" for step in result.steps}
        cells = "  ".join(f"{marks.get(s, '-'):<8}" for s in STEPS)
        rows.append(f"{result.variant.name:<{width}}  {cells}  {result.seconds:6.1f}s")
    return "\n".join(rows)


def junit_xml(results: list[VariantResult]) -> str:
    """JUnit XML: one test case per variant and step, classname scaffold.smoke.<language>."""
    suite = ET.Element("testsuite", name="scaffold-smoke")
    tests = failures = skipped = 0
    for result in results:
        ran = {step.step: step for step in result.steps}
        for step_name in STEPS:
            tests += 1
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"scaffold.smoke.{result.variant.language}",
                name=f"{result.variant.name} {step_name}",
            )
            step = ran.get(step_name)
            if step is None:
                skipped += 1
                ET.SubElement(case, "skipped", message="an earlier step failed")
                continue
            case.set("time", f"{step.seconds:.3f}")
            if not step.passed:
                failures += 1
                failure = ET.SubElement(case, "failure", message=f"{step_name} failed")
                failure.text = _UNPRINTABLE.sub("", step.output)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)


def to_json(results: list[VariantResult]) -> str:
    """Machine-readable results."""
    return json.dumps(
        {
            "passed": all(r.passed for r in results),
            "variants": [
                {
                    "name": r.variant.name,
                    "answers": dict(r.variant.answers),
                    "passed": r.passed,
                    "seconds": round(r.seconds, 3),
                    "steps": [
                        {
                            "step": s.step,
                            "passed": s.passed,
                            "seconds": round(s.seconds, 3),
                            "output": s.output if not s.passed else "",
                        }
                        for s in r.steps
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
