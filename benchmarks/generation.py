"""Section 2: how long generating a service takes, against a bare `copier copy`.

Both commands render the same template with default answers into a fresh directory, as
separate processes (interpreter start-up and imports included, as a user sees it), in
alternating order after one untimed warm-up each (page cache, bytecode).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import (
    SERVICE_NAME,
    TEMPLATES,
    VENV_BIN,
    CommandLog,
    log,
    median,
    run,
    scaffold_new_argv,
)

TIMEOUT = 300
# The targets of issue 7.
NEW_OVER_COPIER_TARGET = 1.2
HELP_TARGET_SECONDS = 0.25


@dataclass
class Timings:
    label: str
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return median(self.seconds)


@dataclass
class GenerationResult:
    scaffold_new: dict[str, Timings]
    copier_copy: dict[str, Timings]
    scaffold_help: Timings
    python_floor: Timings

    def ratio(self, language: str) -> float:
        return self.scaffold_new[language].median / self.copier_copy[language].median


def _copier_copy(language: str, dest: Path) -> list[str]:
    return [
        str(VENV_BIN / "copier"),
        "copy",
        "--defaults",
        "--data",
        f"service_name={SERVICE_NAME}",
        "--data",
        f"language={language}",
        str(TEMPLATES),
        str(dest),
    ]


def measure(
    languages: tuple[str, ...], runs: int, help_runs: int, workdir: Path, commands: CommandLog
) -> GenerationResult:
    base = workdir / "generation"
    base.mkdir(parents=True, exist_ok=True)
    result = GenerationResult(
        scaffold_new={lang: Timings(f"scaffold new --lang {lang}") for lang in languages},
        copier_copy={lang: Timings(f"copier copy (language={lang})") for lang in languages},
        scaffold_help=Timings("scaffold --help"),
        python_floor=Timings("python -c pass (interpreter floor)"),
    )
    dest = base / SERVICE_NAME

    def once(make_argv: Callable[[str, Path], list[str]], language: str) -> float:
        try:
            return run(make_argv(language, dest), timeout=TIMEOUT, commands=commands)
        finally:
            shutil.rmtree(dest, ignore_errors=True)

    pair = ((scaffold_new_argv, result.scaffold_new), (_copier_copy, result.copier_copy))
    for language in languages:
        for make_argv, _ in pair:
            once(make_argv, language)  # warm-up, not timed
        for index in range(runs):
            log(f"generation {language}: run {index + 1}/{runs}")
            for make_argv, timings in pair if index % 2 == 0 else reversed(pair):
                timings[language].seconds.append(once(make_argv, language))

    log(f"scaffold --help x {help_runs}")
    help_argv = [str(VENV_BIN / "scaffold"), "--help"]
    floor_argv = [sys.executable, "-c", "pass"]
    run(help_argv, timeout=TIMEOUT)  # warm-up
    for index in range(help_runs):
        for argv, series in ((help_argv, result.scaffold_help), (floor_argv, result.python_floor))[
            :: 1 if index % 2 == 0 else -1
        ]:
            series.seconds.append(run(argv, timeout=TIMEOUT, commands=commands))
    return result
