"""CPU profiles of the Go skeleton's hand-written parts: `python -m benchmarks.profile`.

The ablation in `python -m benchmarks` compares whole servers, and on a shared 2-core host a Go
server's CPU per request swings 10-15% from one round to the next, which drowns a part worth
5-10%. A CPU profile splits one process's CPU between call paths, so the share a part costs is
steady to about a percentage point whatever the host does meanwhile. For every Go part in
benchmarks/ablation.py with a `profile_focus`, this profiles the skeleton and the variant with
the library instead, under the same load as the serving benchmark (tracing exporting, logs to a
pipe), and prints the share of CPU spent in stacks through those functions in each, over a few
alternating rounds. What the part saves is the difference; the ablation's 5% bar applies to it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import ablation, builds
from benchmarks.ablation import ABLATION_CPU_TARGET, Part
from benchmarks.common import BENCH_DIR, BenchError, CommandLog, log, markdown_table, median
from benchmarks.servers import Kind, Server, SpanSink, Variant
from benchmarks.wrk import Load

PROFILE_PATH = "/debug/pprof/profile"  # the contract's profiling_path, plus the CPU profile
WARMUP_SECONDS = 2
# wrk runs a little longer than the profile, so the profile sees load from start to end.
LOAD_MARGIN_SECONDS = 2
PPROF_TIMEOUT = 120

_SEPARATOR = re.compile(r"^-+\+-+$")
_SAMPLE = re.compile(r"^\s*([\d.]+)(ns|us|µs|ms|s)\s+(\S.*)$")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}


@dataclass(frozen=True)
class Stack:
    """One distinct call stack of a profile and the CPU time sampled in it, leaf first."""

    seconds: float
    functions: tuple[str, ...]


def parse_traces(text: str) -> list[Stack]:
    """The stacks of `go tool pprof -traces` output (blocks between separator lines, each
    starting with the sampled time and the leaf function, one caller per line after)."""
    stacks: list[Stack] = []
    seconds: float | None = None
    functions: list[str] = []
    for line in text.splitlines():
        if _SEPARATOR.match(line.strip()):
            if seconds is not None:
                stacks.append(Stack(seconds, tuple(functions)))
            seconds, functions = None, []
            continue
        sample = _SAMPLE.match(line)
        if sample and seconds is None:
            seconds = float(sample.group(1)) * _UNIT_SECONDS[sample.group(2)]
            functions = [sample.group(3).strip()]
        elif seconds is not None and line.strip():
            functions.append(line.strip().removesuffix(" (inline)"))
    if seconds is not None:
        stacks.append(Stack(seconds, tuple(functions)))
    return stacks


def share(stacks: Sequence[Stack], focus: str) -> float:
    """The share of the profile's CPU time in stacks with a function matching focus (each
    sample counted once, however many of its frames match)."""
    pattern = re.compile(focus)
    total = sum(stack.seconds for stack in stacks)
    if total == 0:
        raise BenchError("the CPU profile has no samples: was the server under load?")
    matched = sum(s.seconds for s in stacks if any(pattern.search(f) for f in s.functions))
    return matched / total


@dataclass
class PartProfile:
    """A part's share of CPU, one value per round, in the skeleton and in its library variant."""

    part: Part
    with_part: list[float] = field(default_factory=list)
    with_library: list[float] = field(default_factory=list)

    @property
    def saved_points(self) -> float:
        """The median over rounds of (share with the library - share with the part)."""
        return median(
            [lib - own for own, lib in zip(self.with_part, self.with_library, strict=True)]
        )


def report(profiles: Sequence[PartProfile], *, rounds: int, seconds: int) -> str:
    """The markdown of benchmarks/PROFILES.md."""
    rows = []
    for profile in profiles:
        saved = profile.saved_points
        rows.append(
            [
                profile.part.part,
                profile.part.library,
                f"{median(profile.with_part):.1%}",
                f"{median(profile.with_library):.1%}",
                f"{saved * 100:+.1f} points",
                " / ".join(
                    f"{(lib - own) * 100:+.1f}"
                    for own, lib in zip(profile.with_part, profile.with_library, strict=True)
                ),
                "yes" if saved >= ABLATION_CPU_TARGET else "**no**",
            ]
        )
    header = [
        "hand-written part",
        "library equivalent",
        "CPU share with the part",
        "CPU share with the library",
        "saved by the part (median)",
        "saved, each round",
        f"saves ≥ {ABLATION_CPU_TARGET * 100:.0f} points",
    ]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    return "\n".join(
        [
            "# Go skeleton: CPU profiles of the hand-written parts",
            "",
            f"Produced by `python -m benchmarks.profile` on {when} UTC. How to read it: "
            "benchmarks/README.md (Profiling).",
            "",
            f"The Go skeleton (tracing → OTLP, logs to a pipe) under `wrk -t1 -c32`, server and "
            f"wrk pinned to a CPU each, profiled for {seconds} s with pprof, and the same service "
            "with each part swapped for its library (benchmarks/ablation.py), "
            f"{rounds} rounds taken in turn. A share is the part of the server's CPU time "
            "sampled in stacks through the part's functions (`profile_focus` in "
            "benchmarks/ablation.py). Work the runtime does elsewhere on a part's behalf "
            "(scheduling a new goroutine, cache misses on a fresh stack) is not in those "
            "stacks, so a saving here is a lower bound. This table decides a part only when "
            "the end-to-end ablation in RESULTS.md is inconclusive (its rounds disagree); the "
            f"bar is the same, {ABLATION_CPU_TARGET * 100:.0f} points of CPU.",
            "",
            markdown_table(header, rows),
            "",
        ]
    )


def _profile_once(
    variant: Variant,
    server_cpu: int,
    load: Load,
    endpoint: str,
    seconds: int,
    destination: Path,
) -> list[Stack]:
    """Run the server under load, take a CPU profile of it, return the profile's stacks."""
    server = Server(variant, server_cpu, load.cpu, endpoint)
    server.start()
    try:
        server.check_hello()
        load.run(server.url, WARMUP_SECONDS)
        failure: list[BaseException] = []

        def drive() -> None:
            try:
                load.run(server.url, seconds + LOAD_MARGIN_SECONDS)
            except BenchError as error:  # reported after the profile
                failure.append(error)

        driver = threading.Thread(target=drive)
        driver.start()
        time.sleep(LOAD_MARGIN_SECONDS / 2)
        url = f"http://127.0.0.1:{server.env['METRICS_PORT']}{PROFILE_PATH}?seconds={seconds}"
        with urllib.request.urlopen(url, timeout=seconds + 30) as response:
            destination.write_bytes(response.read())
        driver.join()
        if failure:
            raise failure[0]
    finally:
        server.stop()
    traces = subprocess.run(
        ["go", "tool", "pprof", "-traces", str(variant.binary), str(destination)],
        capture_output=True,
        text=True,
        timeout=PPROF_TIMEOUT,
        check=False,
    )
    if traces.returncode != 0:
        raise BenchError(f"go tool pprof failed on {destination}: {traces.stderr.strip()}")
    return parse_traces(traces.stdout)


def measure(rounds: int, seconds: int, workdir: Path) -> list[PartProfile]:
    commands = CommandLog(workdir=workdir)
    parts = [part for part in ablation.parts_for(("go",)) if part.profile_focus]
    service = builds.generate("go", workdir / "svc-go", commands)
    skeleton = builds.build_service("go", service, workdir, cold=False, commands=commands).binary
    variants = {
        part: builds.build_variant(
            "go", ablation.prepare(part, service, workdir, commands), commands
        )
        for part in parts
    }
    sink = builds.build_sink(workdir, commands)
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise BenchError("profiling needs 2 CPUs: one for the server, one for wrk")
    load = Load(cpu=cpus[1], threads=1, connections=32)
    profiles = [PartProfile(part) for part in parts]
    with SpanSink(sink, load.cpu) as receiver:
        for round_index in range(rounds):
            log(f"round {round_index + 1}/{rounds}: the skeleton")
            stacks = _profile_once(
                Variant("go", Kind.SKELETON_OTLP, skeleton, profiling=True),
                cpus[0],
                load,
                receiver.endpoint,
                seconds,
                workdir / f"skeleton-{round_index}.pprof",
            )
            _ = receiver.span_count  # lets the sink drop what it kept
            for profile in profiles:
                profile.with_part.append(share(stacks, profile.part.profile_focus))
            for profile in profiles:
                part = profile.part
                log(f"round {round_index + 1}/{rounds}: without {part.slug}")
                stacks = _profile_once(
                    Variant("go", Kind.ABLATED, variants[part], part, profiling=True),
                    cpus[0],
                    load,
                    receiver.endpoint,
                    seconds,
                    workdir / f"{part.slug}-{round_index}.pprof",
                )
                _ = receiver.span_count
                profile.with_library.append(share(stacks, part.profile_focus))
    return profiles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.profile",
        description="Profile the Go skeleton and each of its ablation variants under load, and "
        "print the share of CPU each hand-written part costs or saves; write "
        "benchmarks/PROFILES.md.",
        epilog="Takes about 3 minutes with warm caches. Needs go, wrk and taskset, and an idle "
        "machine. See benchmarks/README.md (Profiling).",
    )
    parser.add_argument("--rounds", type=int, default=3, help="profiles per server (3)")
    parser.add_argument("--seconds", type=int, default=10, help="seconds per profile (10)")
    parser.add_argument(
        "--output", type=Path, default=BENCH_DIR / "PROFILES.md", help="benchmarks/PROFILES.md"
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.seconds < 1:
        parser.error("--rounds and --seconds must be at least 1")
    missing = [tool for tool in ("go", "wrk", "taskset", "make") if shutil.which(tool) is None]
    if missing:
        print(f"error: missing {', '.join(missing)}; scripts/bench installs wrk", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="scaffold-profile-"))
    try:
        profiles = measure(args.rounds, args.seconds, workdir)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text = report(profiles, rounds=args.rounds, seconds=args.seconds)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
