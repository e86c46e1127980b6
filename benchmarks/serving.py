"""Section 1: generated services against bare gin and axum under wrk.

Every server runs pinned to one CPU and wrk to another. Start-up is measured first (spawn to the
first 200, several times per server, in alternating order). Then all servers run side by side,
idle ones costing nothing, and the rounds go through them forwards, then backwards, and so on,
so that drift on a shared machine (thermal, noisy neighbours) falls on every server alike.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from benchmarks.common import BenchError, CommandLog, log, median
from benchmarks.servers import Server, SpanSink, Variant
from benchmarks.wrk import Load, WrkResult

T = TypeVar("T")
IDLE_SETTLE_SECONDS = 1.0
FLUSH_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class ServingSettings:
    rounds: int
    seconds: int
    warmup_seconds: int
    pause_seconds: float
    startup_runs: int
    server_cpu: int
    load: Load


@dataclass
class ServerStats:
    """What was measured for one server; medians over rounds are properties."""

    variant: Variant
    binary_bytes: int
    startup: list[float] = field(default_factory=list)
    rss_idle: int = 0
    rounds: list[WrkResult] = field(default_factory=list)
    rss_peaks: list[int] = field(default_factory=list)
    cpu_per_request: list[float] = field(default_factory=list)  # seconds, one per round
    requests_sent: int = 0
    spans_received: int | None = None

    @property
    def requests_per_second(self) -> float:
        return median([r.requests_per_second for r in self.rounds])

    @property
    def rps_range(self) -> tuple[float, float]:
        values = [r.requests_per_second for r in self.rounds]
        return min(values), max(values)

    @property
    def p50(self) -> float:
        return median([r.p50 for r in self.rounds])

    @property
    def p99(self) -> float:
        return median([r.p99 for r in self.rounds])

    @property
    def cpu_us_per_request(self) -> float:
        """Server CPU time (user + system) per request, in microseconds: median over rounds."""
        return median(self.cpu_per_request) * 1e6

    @property
    def rss_load(self) -> int:
        return round(median(self.rss_peaks))

    @property
    def startup_median(self) -> float:
        return median(self.startup)

    @property
    def errors(self) -> int:
        return sum(r.socket_errors + r.non_2xx for r in self.rounds)


def _alternating(items: Sequence[T], round_index: int) -> list[T]:
    """Forwards on even rounds, backwards on odd ones, so linear drift cancels out."""
    return list(items) if round_index % 2 == 0 else list(reversed(items))


def measure(
    variants: Sequence[Variant], settings: ServingSettings, sink: Path, commands: CommandLog
) -> list[ServerStats]:
    """Measure every variant; `sink` is the built OTLP sink (builds.build_sink)."""
    stats = [ServerStats(v, binary_bytes=v.binary.stat().st_size) for v in variants]
    with ExitStack() as stack:
        # One receiver per exporting server, so that each one's spans are counted on their own.
        receivers: dict[str, SpanSink] = {
            v.label: stack.enter_context(SpanSink(sink, settings.load.cpu))
            for v in variants
            if v.kind.exports
        }
        endpoints = {label: r.endpoint for label, r in receivers.items()}
        _measure_startup(stats, settings, endpoints, commands)
        _measure_load(stats, settings, receivers, endpoints, commands)
    return stats


def _measure_startup(
    stats: Sequence[ServerStats],
    settings: ServingSettings,
    endpoints: dict[str, str],
    commands: CommandLog,
) -> None:
    for run in range(settings.startup_runs):
        log(f"start-up run {run + 1}/{settings.startup_runs}")
        for entry in _alternating(stats, run):
            server = Server(
                entry.variant,
                settings.server_cpu,
                settings.load.cpu,
                endpoints.get(entry.variant.label),
            )
            try:
                entry.startup.append(server.start(commands))
            finally:
                server.stop()


def _measure_load(
    stats: Sequence[ServerStats],
    settings: ServingSettings,
    receivers: dict[str, SpanSink],
    endpoints: dict[str, str],
    commands: CommandLog,
) -> None:
    servers: dict[int, Server] = {}
    try:
        for index, entry in enumerate(stats):
            server = Server(
                entry.variant,
                settings.server_cpu,
                settings.load.cpu,
                endpoints.get(entry.variant.label),
            )
            servers[index] = server
            server.start()
            server.check_hello()
            entry.requests_sent += 1
        time.sleep(IDLE_SETTLE_SECONDS)
        for index, entry in enumerate(stats):
            entry.rss_idle = servers[index].rss_bytes()
        spans_before = {label: r.span_count for label, r in receivers.items()}

        for index, entry in enumerate(stats):
            log(f"warm-up {settings.warmup_seconds} s: {entry.variant.label}")
            result = settings.load.run(
                servers[index].url, settings.warmup_seconds, commands=commands
            )
            entry.requests_sent += result.requests
            time.sleep(settings.pause_seconds)

        for round_index in range(settings.rounds):
            order = _alternating(list(range(len(stats))), round_index)
            for index in order:
                entry, server = stats[index], servers[index]
                log(
                    f"round {round_index + 1}/{settings.rounds}, {settings.seconds} s: "
                    f"{entry.variant.label}"
                )
                peak = [server.rss_bytes()]
                cpu_before = server.cpu_seconds()

                def sample(server: Server = server, peak: list[int] = peak) -> None:
                    peak[0] = max(peak[0], server.rss_bytes())

                result = settings.load.run(
                    server.url, settings.seconds, every_tick=sample, commands=commands
                )
                cpu_used = server.cpu_seconds() - cpu_before
                entry.rounds.append(result)
                entry.cpu_per_request.append(cpu_used / max(result.requests, 1))
                entry.rss_peaks.append(peak[0])
                entry.requests_sent += result.requests
                if result.non_2xx > result.requests // 100:
                    raise BenchError(
                        f"{entry.variant.label}: {result.non_2xx} of {result.requests} "
                        "responses were not 2xx; the numbers would not compare"
                    )
                time.sleep(settings.pause_seconds)
    finally:
        for server in servers.values():
            server.stop()  # skeletons flush their spans on SIGTERM
    time.sleep(FLUSH_WAIT_SECONDS)
    for entry in stats:
        receiver = receivers.get(entry.variant.label)
        if receiver is not None:
            entry.spans_received = receiver.span_count - spans_before[entry.variant.label]
