"""Turning measurements into the Markdown tables printed and written to RESULTS.md."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from benchmarks.ablation import ABLATION_CPU_TARGET, verdict
from benchmarks.builds import BuildResult
from benchmarks.common import (
    fmt_int,
    fmt_mib,
    fmt_ms,
    fmt_ratio,
    markdown_table,
    median,
)
from benchmarks.generation import HELP_TARGET_SECONDS, NEW_OVER_COPIER_TARGET, GenerationResult
from benchmarks.servers import SAMPLED_RATIO, Kind
from benchmarks.serving import ServerStats, ServingSettings

# The targets of issue 7, for a skeleton with tracing exporting.
THROUGHPUT_TARGET = 0.90
P99_TARGET = 1.30
# Against the standard stack (both exporting every request's span): the skeleton's throughput
# at least this multiple of the standard stack's, and its CPU per request at most this one.
STANDARD_THROUGHPUT_TARGET = 1.10
STANDARD_CPU_TARGET = 0.90


@dataclass
class Report:
    command: str
    quick: bool
    machine: list[tuple[str, str]]
    elapsed_seconds: float = 0.0
    generation: GenerationResult | None = None
    builds: list[BuildResult] = field(default_factory=list)
    serving: list[ServerStats] = field(default_factory=list)
    serving_settings: ServingSettings | None = None
    commands: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _rounds_rps(stats: ServerStats) -> list[float]:
    return [r.requests_per_second for r in stats.rounds]


def _yes(met: bool) -> str:
    return "yes" if met else "**no**"


@dataclass(frozen=True)
class Metric:
    """A column of the ratio tables: its value per server and, when measured every load round,
    its value in each round."""

    name: str
    value: Callable[[ServerStats], float]
    per_round: Callable[[ServerStats], Sequence[float]] | None = None


# Ratios read "skeleton / bare", "skeleton / standard stack" and "Rust / Go".
METRICS: Sequence[Metric] = (
    Metric("throughput", lambda s: s.requests_per_second, _rounds_rps),
    Metric("p50", lambda s: s.p50, lambda s: [r.p50 for r in s.rounds]),
    Metric("p99", lambda s: s.p99, lambda s: [r.p99 for r in s.rounds]),
    Metric("CPU/req", lambda s: s.cpu_us_per_request, lambda s: s.cpu_per_request),
    Metric("RSS idle", lambda s: s.rss_idle),
    Metric("RSS load", lambda s: s.rss_load, lambda s: s.rss_peaks),
    Metric("start-up", lambda s: s.startup_median),
    Metric("binary", lambda s: s.binary_bytes),
)


def ratio(metric: Metric, a: ServerStats, b: ServerStats) -> float:
    """a's metric over b's. For a metric measured in every load round, the median of the
    rounds' own ratios: within a round the two servers ran minutes apart at most (back to back
    for the skeleton and its standard stack), so a slower stretch of a shared machine falls on
    both and cancels, where a ratio of medians would keep it."""
    if metric.per_round is not None:
        ours, theirs = metric.per_round(a), metric.per_round(b)
        if ours and len(ours) == len(theirs) and all(theirs):
            return median([x / y for x, y in zip(ours, theirs, strict=True)])
    return metric.value(a) / metric.value(b)


def _servers_table(stats: Sequence[ServerStats]) -> str:
    rows = []
    for s in stats:
        low, high = s.rps_range
        rows.append(
            [
                s.variant.label,
                fmt_int(s.requests_per_second),
                f"{fmt_int(low)}-{fmt_int(high)}",
                fmt_ms(s.p50),
                fmt_ms(s.p99),
                f"{s.cpu_us_per_request:.1f}",
                fmt_mib(s.rss_idle),
                fmt_mib(s.rss_load),
                fmt_ms(s.startup_median),
                fmt_mib(s.binary_bytes),
                fmt_int(s.errors),
            ]
        )
    header = [
        "server",
        "req/s",
        "req/s range",
        "p50 ms",
        "p99 ms",
        "CPU µs/req",
        "RSS idle MiB",
        "RSS load MiB",
        "start-up ms",
        "binary MiB",
        "errors",
    ]
    return markdown_table(header, rows)


def _by(stats: Sequence[ServerStats], language: str, kind: Kind) -> ServerStats | None:
    """The server of this language and kind, not counting the ablation's own skeletons."""
    return next(
        (
            s
            for s in stats
            if s.variant.language == language
            and s.variant.kind is kind
            and s.variant.baseline_for is None
        ),
        None,
    )


def _skeleton_over_bare(stats: Sequence[ServerStats]) -> tuple[str, list[str]]:
    rows, verdicts = [], []
    for language in dict.fromkeys(s.variant.language for s in stats):
        bare = _by(stats, language, Kind.BARE)
        if bare is None:
            continue
        for kind in (Kind.SKELETON_OTLP, Kind.SKELETON_SAMPLED, Kind.SKELETON_OFF):
            skeleton = _by(stats, language, kind)
            if skeleton is None:
                continue
            ratios = [ratio(metric, skeleton, bare) for metric in METRICS]
            rows.append([language, kind.value, *(fmt_ratio(r) for r in ratios)])
            if kind.exports:
                throughput, p99 = ratios[0], ratios[2]
                throughput_met = _yes(throughput >= THROUGHPUT_TARGET)
                p99_met = _yes(p99 <= P99_TARGET)
                verdicts.append(
                    f"{language}, {kind.value}: throughput {fmt_ratio(throughput)} of bare "
                    f"(target ≥ {THROUGHPUT_TARGET:.2f}x: {throughput_met}), "
                    f"p99 {fmt_ratio(p99)} of bare (target ≤ {P99_TARGET:.2f}x: {p99_met})"
                )
    header = ["language", "skeleton", *(metric.name for metric in METRICS)]
    return markdown_table(header, rows), verdicts


def _skeleton_over_standard(stats: Sequence[ServerStats]) -> tuple[str, list[str]]:
    """The skeleton with tracing exporting against the standard stack, both sampling every
    request: ratios for every metric, and the targets on throughput and CPU per request."""
    rows, verdicts = [], []
    for language in dict.fromkeys(s.variant.language for s in stats):
        skeleton = _by(stats, language, Kind.SKELETON_OTLP)
        standard = _by(stats, language, Kind.STANDARD)
        if skeleton is None or standard is None:
            continue
        ratios = [ratio(metric, skeleton, standard) for metric in METRICS]
        rows.append([language, *(fmt_ratio(r) for r in ratios)])
        throughput, cpu = ratios[0], ratios[3]
        throughput_met = _yes(throughput >= STANDARD_THROUGHPUT_TARGET)
        cpu_met = _yes(cpu <= STANDARD_CPU_TARGET)
        verdicts.append(
            f"{language}, {Kind.SKELETON_OTLP.value} vs {Kind.STANDARD.value}: "
            f"throughput {fmt_ratio(throughput)} "
            f"(target ≥ {STANDARD_THROUGHPUT_TARGET:.2f}x: {throughput_met}), "
            f"CPU/req {fmt_ratio(cpu)} (target ≤ {STANDARD_CPU_TARGET:.2f}x: {cpu_met})"
        )
    header = ["language", *(metric.name for metric in METRICS)]
    return markdown_table(header, rows), verdicts


def _ablation(stats: Sequence[ServerStats]) -> tuple[str, list[str]]:
    """Each hand-written part against its library: CPU per request with either, the share of
    the library variant's CPU per request the part saves (median of the rounds' own ratios, the
    variant and the skeleton beside it running back to back), its range over the rounds, and
    whether that earns the part its place."""
    cpu, throughput = METRICS[3], METRICS[0]
    rows, verdicts = [], []
    for variant in (s for s in stats if s.variant.kind is Kind.ABLATED):
        part = variant.variant.part
        skeleton = next((s for s in stats if part and s.variant.baseline_for == part), None)
        if part is None or skeleton is None:
            continue
        saved = 1 - ratio(cpu, skeleton, variant)
        per_round = [
            1 - ours / theirs
            for ours, theirs in zip(skeleton.cpu_per_request, variant.cpu_per_request, strict=False)
            if theirs
        ] or [saved]
        earns = saved >= ABLATION_CPU_TARGET
        dissent = _dissenting_rounds(earns, per_round)
        judged = verdict(part, earns, dissent=dissent, rounds=len(per_round))
        rows.append(
            [
                part.language,
                part.part,
                part.library,
                f"{skeleton.cpu_us_per_request:.1f}",
                f"{variant.cpu_us_per_request:.1f}",
                f"{saved:+.1%}",
                f"{min(per_round):+.0%} to {max(per_round):+.0%}",
                fmt_ratio(ratio(throughput, skeleton, variant)),
                judged,
            ]
        )
        met = "inconclusive" if dissent else _yes(earns)
        verdicts.append(
            f"{part.language}, {part.part}: saves {saved:+.1%} of CPU/req against "
            f"{part.library} (target ≥ {ABLATION_CPU_TARGET:.0%}: {met})"
        )
    header = [
        "language",
        "hand-written part",
        "library equivalent",
        "CPU µs/req with the part",
        "CPU µs/req with the library",
        "CPU saved by the part",
        "saved, range over rounds",
        "throughput part / library",
        "verdict",
    ]
    return markdown_table(header, rows), verdicts


def _dissenting_rounds(earns: bool, per_round: Sequence[float]) -> int:
    """How many rounds disagree with the median's verdict, when so many do (a third or more)
    that one round more or less could turn it; 0 when the rounds agree well enough to decide.
    A part's saving near the bar drowns in a noisy host's round-to-round spread, and a verdict
    that would flip on a rerun must not remove (or keep) code."""
    against = sum(1 for saving in per_round if (saving >= ABLATION_CPU_TARGET) != earns)
    return against if 3 * against >= len(per_round) else 0


def _rust_over_go(stats: Sequence[ServerStats]) -> str:
    rows = []
    for kind in (
        Kind.BARE,
        Kind.STANDARD,
        Kind.SKELETON_OTLP,
        Kind.SKELETON_SAMPLED,
        Kind.SKELETON_OFF,
    ):
        go, rust = _by(stats, "go", kind), _by(stats, "rust", kind)
        if go is None or rust is None:
            continue
        label = "bare framework" if kind is Kind.BARE else kind.value
        rows.append([label, *(fmt_ratio(ratio(metric, rust, go)) for metric in METRICS)])
    return markdown_table(["server", *(metric.name for metric in METRICS)], rows)


def _spans(stats: Sequence[ServerStats]) -> list[str]:
    lines = []
    for s in stats:
        if s.spans_received is None:
            continue
        if s.spans_received == 0 and s.variant.kind is Kind.STANDARD:
            lines.append(
                f"{s.variant.label}: **the receiver got no spans** for "
                f"{fmt_int(s.requests_sent)} requests: the standard stack did not export, and "
                "the skeleton / standard stack comparison does not hold."
            )
        elif s.spans_received == 0:
            lines.append(
                f"{s.variant.label}: the receiver got no spans for {fmt_int(s.requests_sent)} "
                "requests, so this skeleton does not export traces (yet): its rows measure "
                "the same thing."
            )
        else:
            share = s.spans_received / max(s.requests_sent, 1)
            sampled = (
                f"{float(SAMPLED_RATIO):.0%} sampled"
                if s.variant.kind is Kind.SKELETON_SAMPLED
                else "every request sampled"
            )
            lines.append(
                f"{s.variant.label}: {fmt_int(s.spans_received)} spans received for "
                f"{fmt_int(s.requests_sent)} requests ({share:.0%}; {sampled}, and a batch "
                "span processor drops spans when its queue is full, by design)."
            )
    return lines


def serving_section(report: Report) -> list[str]:
    settings, stats = report.serving_settings, report.serving
    if settings is None or not stats:
        return []
    load = settings.load
    out = [
        "## 1. Generated services vs bare frameworks and standard stacks",
        "",
        f"`wrk -t{load.threads} -c{load.connections} --latency` on 127.0.0.1 against "
        f"`GET /v1/hello/world`; server pinned to CPU {settings.server_cpu}, wrk to CPU "
        f"{load.cpu}. {settings.rounds} rounds of {settings.seconds} s per server after a "
        f"{settings.warmup_seconds} s warm-up, servers taken forwards then backwards in turn; "
        "medians over rounds. CPU µs/req is the server's user + system CPU time during a round "
        "divided by the round's requests: what a request costs, whatever the load generator "
        "could drive. RSS load is the peak VmRSS sampled every 100 ms during a round "
        f"(median over rounds); start-up is spawn to first 200 (median of "
        f"{settings.startup_runs}), from /readyz for skeletons and standard stacks and the hello "
        "route for bare services. Servers log to a pipe that `cat` drains on wrk's CPU, as a "
        "container runtime reads a service's stdout. The standard stack is the framework "
        "instrumented by hand with its ecosystem's standard libraries (benchmarks/std-gin, "
        "std-axum), exporting every request's span like the skeleton's default. Ratios of "
        "throughput, latency, CPU/req and RSS load are medians of the rounds' own ratios (the "
        "skeleton and its standard stack run back to back in every round), so a slower stretch "
        "of a shared machine cancels out.",
        "",
        _servers_table(stats),
        "",
    ]
    out += [f"- {line}" for line in _spans(stats)]
    table, verdicts = _skeleton_over_bare(stats)
    out += ["", "### Skeleton / bare (ratios)", "", table, ""]
    out += ["Targets (skeleton with tracing exporting):", ""]
    out += [f"- {line}" for line in verdicts]
    table, verdicts = _skeleton_over_standard(stats)
    if verdicts:
        out += ["", "### Skeleton / standard stack (ratios)", "", table, ""]
        out += [
            "Targets (skeleton with tracing → OTLP against the standard stack, both exporting "
            "every request's span):",
            "",
        ]
        out += [f"- {line}" for line in verdicts]
    table, verdicts = _ablation(stats)
    if verdicts:
        out += [
            "",
            "### Ablation: hand-written parts against their libraries",
            "",
            "Each row is the skeleton (tracing → OTLP) with one hand-written part swapped for the "
            "library it replaces (benchmarks/ablation.py lists the edits), measured in the same "
            "rounds right after a skeleton of its own (the servers table's rows marked beside), "
            "which it is compared with. CPU saved is the share of the library variant's CPU per "
            "request that the "
            f"part saves; a part must save at least {ABLATION_CPU_TARGET:.0%} or give way to the "
            "library, unless it does something the library does not (the verdict says what). "
            "Servers log to a pipe here, as in a container, so the log rows count what a "
            "write(2) to the runtime's pipe costs.",
            "",
            table,
            "",
        ]
        out += [f"- {line}" for line in verdicts]
    rust_go = _rust_over_go(stats)
    if rust_go.count("\n") > 1:
        out += ["", "### Rust / Go (ratios)", "", rust_go]
    return [*out, ""]


def generation_section(result: GenerationResult | None) -> list[str]:
    if result is None:
        return []
    timings = [
        *(
            t
            for pair in zip(result.scaffold_new.values(), result.copier_copy.values(), strict=True)
            for t in pair
        ),
        result.scaffold_help,
        result.python_floor,
    ]
    rows = [
        [
            t.label,
            fmt_ms(t.median),
            f"{fmt_ms(min(t.seconds))}-{fmt_ms(max(t.seconds))}",
            str(len(t.seconds)),
        ]
        for t in timings
    ]
    targets = [
        [
            f"`scaffold new --lang {language}` ≤ {NEW_OVER_COPIER_TARGET}x `copier copy`",
            fmt_ratio(result.ratio(language)),
            _yes(result.ratio(language) <= NEW_OVER_COPIER_TARGET),
        ]
        for language in result.scaffold_new
    ]
    help_ms = result.scaffold_help.median
    targets.append(
        [
            f"`scaffold --help` < {HELP_TARGET_SECONDS * 1000:.0f} ms",
            f"{fmt_ms(help_ms)} ms",
            _yes(help_ms < HELP_TARGET_SECONDS),
        ]
    )
    return [
        "## 2. Generation",
        "",
        "Wall time of each command as a separate process, default answers, fresh directory, "
        "output captured; medians, the two commands alternating after one untimed warm-up.",
        "",
        markdown_table(["command", "median ms", "range ms", "runs"], rows),
        "",
        markdown_table(["target", "measured", "met"], targets),
        "",
    ]


def build_section(builds: Sequence[BuildResult]) -> list[str]:
    if not builds:
        return []

    def seconds(value: float | None) -> str:
        return "skipped (--skip-cold, --quick)" if value is None else f"{value:.1f}"

    rows = [[b.language, seconds(b.cold), f"{b.warm:.1f}"] for b in builds]
    firsts = [b for b in builds if b.first is not None]
    out = [
        "## 3. Build cost",
        "",
        "`make build` of the default generated service. Cold: empty GOCACHE / CARGO_TARGET_DIR "
        "in a temporary directory, dependency sources already downloaded; warm: the same "
        "command again right after.",
        "",
        markdown_table(["language", "cold make build s", "warm make build s"], rows),
        "",
    ]
    for b in firsts:
        out.append(
            f"- {b.language}: first `make build` in the shared caches took "
            f"{b.first:.1f} s (cache state unknown, not a cold build)."
        )
    return [*out, ""]


def tables(report: Report) -> str:
    lines = [
        *serving_section(report),
        *generation_section(report.generation),
        *build_section(report.builds),
    ]
    return "\n".join(lines)


def summary(report: Report) -> str:
    """The tables and notes, printed to stdout at the end of a run."""
    notes = [f"- {note}" for note in report.notes]
    return "\n".join([tables(report), *notes])


def results_markdown(report: Report) -> str:
    minutes, seconds = divmod(round(report.elapsed_seconds), 60)
    lines = ["# scaffold benchmarks", ""]
    if report.quick:
        lines += [
            "> **Quick smoke run** (`--quick`): rounds too few and too short to compare "
            "anything. Run `scripts/bench` for the numbers.",
            "",
        ]
    lines += [
        f"Produced by `{report.command}` in {minutes} min {seconds:02d} s. "
        "How to read and reproduce: [README.md](README.md).",
        "",
        "## Machine",
        "",
        markdown_table(["what", "value"], [[k, v] for k, v in report.machine]),
        "",
    ]
    if report.notes:
        lines += [f"- {note}" for note in report.notes] + [""]
    lines.append(tables(report))
    lines += [
        "## Commands",
        "",
        "In order of first use; `$REPO` is the repository root, `$WORK` the run's temporary "
        "directory, ports are free loopback ports picked per start.",
        "",
        "```sh",
        *report.commands,
        "```",
        "",
    ]
    return "\n".join(lines)
