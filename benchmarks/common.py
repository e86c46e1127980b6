"""Paths, subprocess helpers, small statistics and number formatting shared by the sections."""

from __future__ import annotations

import os
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
TEMPLATES = ROOT / "templates"
VENV_BIN = ROOT / ".venv" / "bin"
# Shared with the test suite (tests/conftest.py, scripts/test), so Rust builds start warm.
SHARED_CARGO_TARGET = ROOT / ".cache" / "cargo-target"
LANGUAGES = ("go", "rust")
SERVICE_NAME = "bench-svc"
HELLO_PATH = "/v1/hello/world"
HELLO_BODY = {"message": "hello, world"}
OUTPUT_TAIL_LINES = 30


class BenchError(Exception):
    """A benchmark could not run; the message says why and, where it can, what to do."""


def log(message: str) -> None:
    """Progress on stderr, so stdout carries only the tables."""
    print(f"  · {message}", file=sys.stderr, flush=True)


def median(values: Sequence[float]) -> float:
    if not values:
        raise BenchError("no samples to take a median of")
    return float(statistics.median(values))


def tail(output: bytes | str, lines: int = OUTPUT_TAIL_LINES) -> str:
    text = output.decode(errors="replace") if isinstance(output, bytes) else output
    return "\n".join(text.rstrip().splitlines()[-lines:])


@dataclass
class CommandLog:
    """The exact commands of a run, in first-use order and without repeats, for RESULTS.md.

    Paths are shown under `$REPO` (the repository root) and `$WORK` (the run's temporary
    directory), so the listing reads the same on every machine.
    """

    workdir: Path | None = None
    lines: list[str] = field(default_factory=list)

    def display(self, text: str) -> str:
        if self.workdir is not None:
            text = text.replace(str(self.workdir), "$WORK")
        return text.replace(str(ROOT), "$REPO")

    def add(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        command = shlex.join(argv)
        if env:
            command = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items()) + (
                " " + command
            )
        if cwd is not None and cwd != ROOT:
            command = f"(cd {shlex.quote(str(cwd))} && {command})"
        self.add_text(command)

    def add_text(self, command: str) -> None:
        shown = self.display(command)
        if shown not in self.lines:
            self.lines.append(shown)


def run(
    argv: Sequence[str],
    *,
    timeout: float,
    commands: CommandLog | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> float:
    """Run a command to completion with `env` added to ours; return its wall time in seconds.

    Output is captured (and shown only on failure), so terminal speed never enters a timing.
    """
    if commands is not None:
        commands.add(argv, cwd=cwd, env=env)
    full_env = {**os.environ, **(env or {})}
    start = time.perf_counter()
    try:
        result = subprocess.run(
            list(argv),
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"`{shlex.join(argv)}` did not finish within {timeout:.0f} s") from None
    except FileNotFoundError:
        raise BenchError(f"`{argv[0]}` is not installed (run scripts/bench to set up)") from None
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        where = f" in {cwd}" if cwd else ""
        raise BenchError(
            f"`{shlex.join(argv)}`{where} failed with exit code {result.returncode}:\n"
            + tail(result.stdout + result.stderr)
        )
    return elapsed


def output_of(argv: Sequence[str], timeout: float = 30) -> str:
    """First line a command prints (stdout or stderr, whatever its exit code), or 'not found'."""
    try:
        result = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return "not found"
    lines = (result.stdout + result.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"


def fmt_int(value: float) -> str:
    return f"{value:,.0f}"


def fmt_ms(seconds: float) -> str:
    """Milliseconds with enough digits for both sub-millisecond and multi-second values."""
    ms = seconds * 1000
    if ms < 10:
        return f"{ms:.2f}"
    if ms < 100:
        return f"{ms:.1f}"
    return f"{ms:,.0f}"


def fmt_mib(size_bytes: float) -> str:
    return f"{size_bytes / (1024 * 1024):.1f}"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}x"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table: readable as plain text too."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def scaffold_new_argv(language: str, dest: Path) -> list[str]:
    """The `scaffold new` command line both the generation and the build benchmarks use."""
    return [
        str(VENV_BIN / "scaffold"),
        "new",
        SERVICE_NAME,
        "--lang",
        language,
        "--defaults",
        "--no-git",
        "--dir",
        str(dest),
    ]
