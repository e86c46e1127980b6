"""What the numbers were measured on: CPUs, memory, kernel, toolchains, load at the start."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import output_of


def _first_value(path: Path, key: str) -> str | None:
    """The value of the first `key: value` line of a /proc-style file, if there is one."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() == key:
            return value.strip()
    return None


def _os_name() -> str:
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    for line in text.splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return "unknown"


def _memory() -> str:
    total = _first_value(Path("/proc/meminfo"), "MemTotal")
    if total is None:
        return "unknown"
    kib = int(total.split()[0])
    return f"{kib / (1024 * 1024):.1f} GiB"


def describe() -> list[tuple[str, str]]:
    """Rows of (what, value) for the machine table."""
    uname = platform.uname()
    available = len(os.sched_getaffinity(0))
    load1, load5, _ = os.getloadavg()
    return [
        ("date (UTC)", datetime.now(UTC).strftime("%Y-%m-%d %H:%M")),
        ("CPUs (nproc)", f"{available} usable of {os.cpu_count()}"),
        ("CPU model", _first_value(Path("/proc/cpuinfo"), "model name") or uname.processor),
        ("memory", _memory()),
        ("kernel", f"{uname.system} {uname.release} {uname.machine}"),
        ("OS", _os_name()),
        ("load average at start (1 min, 5 min)", f"{load1:.2f}, {load5:.2f}"),
        ("go", output_of(["go", "version"])),
        ("rustc", output_of(["rustc", "--version"])),
        ("cargo", output_of(["cargo", "--version"])),
        ("wrk", output_of(["wrk", "-v"])),
        ("python", sys.version.split()[0]),
    ]
