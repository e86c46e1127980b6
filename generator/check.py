"""`scaffold check`: tells whether this service still keeps the platform contract.

With run=True the service is built (or its bin/NAME reused) and driven through every runtime
item of the contract by generator.contract_check.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator import __version__
from generator.contract_check import CheckResult, ContractChecker, Report
from generator.errors import ToolchainError
from generator.golden import TemplateSource, checked_out, remote_latest_tag
from generator.paths import inside
from generator.project import ServiceInfo, load_service, render
from generator.template import Template, bundled_template_dir

Progress = Callable[[str], None]


@dataclass(frozen=True)
class CheckOutcome:
    """All results of one `scaffold check` run."""

    service: str
    language: str
    results: list[CheckResult]

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)

    @property
    def exit_code(self) -> int:
        """0, or the OR of 1 (runtime contract), 8 (behind) and 16 (drifted platform files)."""
        code = 0
        for result in self.results:
            if not result.passed:
                code |= {"template.version": EXIT_BEHIND, "platform_files.drift": EXIT_DRIFTED}.get(
                    result.item, EXIT_RUNTIME
                )
        return code

    def to_dict(self) -> dict[str, object]:
        return {
            "service": self.service,
            "language": self.language,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "results": [result.to_dict() for result in self.results],
        }


def check_service(
    path: Path,
    *,
    run: bool,
    build: bool = True,
    trust: bool = False,
    progress: Progress = lambda _: None,
) -> CheckOutcome:
    """Run the checks on the service at path; trust lets its template run code (--trust)."""
    info = load_service(path)
    contract = Template.load(bundled_template_dir()).contract
    report = Report()
    progress("comparing with the template (version and platform-owned files)")
    report.results.extend(static_checks(info, trust=trust))
    if run:
        binary = path / contract["build"]["binary"].replace("{name}", info.name)
        if build or not binary.is_file():
            progress(f"building {info.name} (make build)")
            built = _make_build(path)
            report.results.append(built)
            if not built.passed:
                return CheckOutcome(info.name, info.language, report.results)
        report.results.extend(ContractChecker(binary, info.name, contract).run(progress).results)
    return CheckOutcome(info.name, info.language, report.results)


def _make_build(path: Path) -> CheckResult:
    make = shutil.which("make")
    if make is None:
        raise ToolchainError("make is not installed", hint="install make, or pass --no-build")
    result = subprocess.run(
        [make, "build"], cwd=path, capture_output=True, text=True, check=False, env=dict(os.environ)
    )
    if result.returncode != 0:
        tail = " | ".join((result.stdout + result.stderr).strip().splitlines()[-3:])
        return CheckResult("build", False, f"make build failed: {tail}")
    return CheckResult("build", True, "make build")


# -- static checks: version lag and drift of platform-owned files ------------------------------

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")
EXIT_RUNTIME, EXIT_BEHIND, EXIT_DRIFTED = 1, 8, 16


def static_checks(info: ServiceInfo, *, trust: bool = False) -> list[CheckResult]:
    """Report whether the service is behind its template and whether platform files drifted."""
    answers = info.answers
    if "_commit" in answers and "_src_path" in answers:
        src, recorded = str(answers["_src_path"]), str(answers["_commit"])
        latest = remote_latest_tag(src)
        behind = bool(latest and _version(latest) > _version(recorded))
        version = CheckResult(
            "template.version",
            not behind,
            f"behind: {recorded} -> {latest} available (run scaffold update)"
            if behind
            else f"{recorded} is the newest version of {src}",
        )
        return [version, _drift(info, TemplateSource(src, recorded, trust))]
    recorded = str(answers.get("template_version") or "unknown")
    if recorded != __version__:
        return [
            CheckResult(
                "template.version",
                False,
                f"behind: generated from bundled templates {recorded}, scaffold has {__version__}",
            )
        ]
    return [
        CheckResult("template.version", True, f"bundled templates {recorded}"),
        _drift(info, TemplateSource()),
    ]


def _version(tag: str) -> tuple[int, ...]:
    match = _VERSION.match(tag)
    return tuple(int(n) for n in match.groups()) if match else (0, 0, 0)


def _drift(info: ServiceInfo, source: TemplateSource) -> CheckResult:
    """Render the recorded version with the recorded answers and diff the platform files.

    Both the template and the service are untrusted: every owned path must resolve inside the
    fresh render and inside the service, so neither can make the diff print another file.
    """
    answers = {k: v for k, v in info.answers.items() if not k.startswith("_")}
    with tempfile.TemporaryDirectory(prefix="scaffold-check-") as tmp:
        fresh = Path(tmp) / info.name
        with checked_out(source) as template_dir:
            owned = Template.load(template_dir, trusted=source.trust).ownership["platform_owned"]
            render(
                source.src or template_dir, fresh, answers, vcs_ref=source.ref, trust=source.trust
            )
        diffs = []
        for name in owned:
            expected = inside(fresh, name, source="the template's shared/ownership.yml")
            actual = inside(info.path, name, source="the service's platform-owned files")
            if not expected.is_file():
                continue
            want = _text(expected)
            have = _text(actual) if actual.is_file() else ""
            if want != have:
                diffs.append(
                    "".join(
                        difflib.unified_diff(
                            want.splitlines(keepends=True),
                            have.splitlines(keepends=True),
                            f"template/{name}",
                            f"service/{name}",
                        )
                    )
                )
    if diffs:
        names = [d.splitlines()[1].removeprefix("+++ service/") for d in diffs]
        return CheckResult(
            "platform_files.drift",
            False,
            f"drifted: {', '.join(names)}",
            diff="".join(diffs),
        )
    return CheckResult("platform_files.drift", True, f"{len(owned)} platform-owned paths match")


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return f"(not UTF-8 text: {path.stat().st_size} bytes)\n"
