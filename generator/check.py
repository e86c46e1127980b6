"""`scaffold check`: tells whether this service still keeps the platform contract.

With run=True the service is built (or its bin/NAME reused) and driven through every runtime
item of the contract by generator.contract_check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.contract_check import CheckResult, ContractChecker, Report
from generator.errors import ToolchainError
from generator.project import load_service
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

    def to_dict(self) -> dict[str, object]:
        return {
            "service": self.service,
            "language": self.language,
            "passed": self.passed,
            "results": [result.to_dict() for result in self.results],
        }


def check_service(
    path: Path, *, run: bool, build: bool = True, progress: Progress = lambda _: None
) -> CheckOutcome:
    """Run the checks on the service at path."""
    info = load_service(path)
    contract = Template.load(bundled_template_dir()).contract
    report = Report()
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
