"""The ablation: each hand-written part of a skeleton against the library it replaces.

Every part that stands in for a library (or the standard library) has to earn its place: with
tracing exporting, it must save at least ABLATION_CPU_TARGET of the CPU per request that the
skeleton spends with the library instead. Each variant here is the generated service with one
part swapped for its library equivalent by a few checked text edits, built like the skeleton and
measured in the same rounds, back to back with it.

An edit names the file by the end of its path and the exact text it replaces, which must occur
there exactly once: when a template change moves or rewrites the code, the ablation fails loudly
instead of measuring a service that no longer swaps anything.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import BenchError, CommandLog, log

# The least CPU per request a hand-written part must save, as a share of the skeleton's CPU per
# request with the library instead; a part that saves less is replaced by the library.
ABLATION_CPU_TARGET = 0.05

# Build output and caches a copy of the generated service does not need.
_NOT_COPIED = ("bin", "target", ".git")


@dataclass(frozen=True)
class Edit:
    """Replace `old`, which must occur exactly once, in the one source file whose path ends
    with `file`."""

    file: str
    old: str
    new: str


@dataclass(frozen=True)
class Part:
    """A hand-written part of a skeleton, and the edits that swap in its library equivalent."""

    language: str
    slug: str
    part: str  # what the skeleton has, e.g. "goroutine reuse (workers.go)"
    library: str  # what the variant has instead
    # Why the part is there besides CPU, when it is (it is kept whatever the ablation says, and
    # the table says so); empty for a part whose only reason is speed.
    also_for: str
    edits: tuple[Edit, ...]
    # For benchmarks/profile.py (Go only): a pprof regexp matching the functions in whose stacks
    # the part, or the library instead, spends its CPU; "" when the part is not profiled.
    profile_focus: str = ""


_GO_OTELHTTP_IMPORT = '"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"'

PARTS: tuple[Part, ...] = (
    Part(
        "go",
        "workers",
        "goroutine reuse (workers.go)",
        "a new goroutine per request (`go job()`)",
        "",
        (
            Edit(
                "httpserver/workers.go",
                "\tselect {\n\tcase p.idle <- job:\n\tdefault:\n\t\tgo p.work(job)\n\t}\n",
                "\tgo job()\n",
            ),
        ),
        # Growing, starting and ending goroutines; handing a job over (select, timer).
        profile_focus=r"^runtime\.(copystack|newproc|goexit0|selectgo)$|^time\.\(\*Timer\)\.Reset$",
    ),
    Part(
        "go",
        "log-output",
        "buffered log output (telemetry/output.go)",
        "one write(2) per line, as `slog.NewJSONHandler(os.Stdout, …)` does",
        "",
        (
            Edit(
                "telemetry/output.go",
                "\t\tbuf:  bufio.NewWriterSize(w, size),\n",
                "\t\tbuf:  bufio.NewWriterSize(w, size),\n\t\tclosed: true,\n",
            ),
        ),
        profile_focus=r"telemetry\.\(\*Output\)\.(Write|Flush)$",
    ),
    Part(
        "go",
        "otelhttp",
        "tracing and metrics middleware (observe.go, tracing.go)",
        "`otelhttp.NewHandler` (span and duration histogram from the library)",
        "exactly the contract's span attributes and metric labels, in both languages",
        (
            Edit(
                "httpserver/observe.go",
                "\t\tctx, endSpan := s.startSpan(r.Context(), r)\n",
                "\t\tctx, endSpan := r.Context(), func(outcome) {}\n",
            ),
            Edit(
                "httpserver/server.go",
                "\ts.handler = s.observe(\n",
                "\ts.handler = otelhttp.NewHandler(s.observe(\n",
            ),
            Edit(
                "httpserver/server.go",
                "\t\t\twithTimeout(opts.RequestTimeout, engine)))\n",
                '\t\t\twithTimeout(opts.RequestTimeout, engine))), "server")\n',
            ),
            Edit("httpserver/server.go", "import (\n", f"import (\n\t{_GO_OTELHTTP_IMPORT}\n"),
        ),
    ),
    Part(
        "go",
        "drain",
        "connection tracking for shutdown (drain.go)",
        "`http.Server.Shutdown` alone",
        "no request that was read is dropped at shutdown (Shutdown closes such connections)",
        (
            Edit("httpserver/server.go", "srv.Serve(trackedListener{public})", "srv.Serve(public)"),
            Edit("httpserver/server.go", "\t\tConnState:         conns.update,\n", ""),
            Edit(
                "httpserver/server.go",
                "conns.closeAfterReplyWhenClosing(s.handler)",
                "s.handler",
            ),
        ),
    ),
    Part(
        "rust",
        "log-writer",
        "buffered log writer with its flush thread (telemetry/logs.rs)",
        "`std::io::stdout()`, one write(2) per line",
        "",
        (
            Edit(
                "telemetry/logs.rs",
                "    let _ = lock_stdout().write_all(line);\n",
                "    let _ = std::io::stdout().lock().write_all(line);\n",
            ),
        ),
    ),
    Part(
        "rust",
        "otel-span",
        "server span made with the OpenTelemetry API (http/observe.rs)",
        "a `tracing` span bridged by tracing-opentelemetry, as TraceLayer's spans are "
        "(the duration histogram is the same in both)",
        "exactly the contract's span attributes, in both languages",
        (
            Edit(
                "http/observe.rs",
                "    let span = telemetry\n"
                "        .tracer\n"
                "        .span_builder(span_name(method, known, matched_name))\n"
                "        .with_kind(SpanKind::Server)\n"
                "        .with_attributes(attributes)\n"
                "        .start_with_context(&telemetry.tracer, &parent);\n"
                "    let context = parent.with_span(span);\n",
                "    use tracing_opentelemetry::OpenTelemetrySpanExt as _;\n"
                "    let traced = tracing::info_span!(\n"
                '        "request",\n'
                "        otel.name = span_name(method, known, matched_name).as_str(),\n"
                '        otel.kind = "server"\n'
                "    );\n"
                "    for attribute in attributes {\n"
                "        traced.set_attribute(attribute.key, attribute.value);\n"
                "    }\n"
                "    let _ = traced.set_parent(parent);\n"
                "    // Builds the span; record() sets its last attributes and ends it.\n"
                "    let context = traced.context();\n",
            ),
        ),
    ),
)


def verdict(part: Part, earns: bool, *, dissent: int = 0, rounds: int = 0) -> str:
    """What the measurements say to do with part: keep it for its saving, keep it for what the
    library lacks, replace it, or (dissent: that many of rounds disagree with the median) wait
    for the profile to decide."""
    if earns and not dissent:
        return "kept: saves enough"
    if part.also_for:
        return f"kept for what the library lacks: {part.also_for}"
    if dissent:
        return (
            f"**inconclusive**: {dissent} of {rounds} rounds fall on the other side of "
            f"{ABLATION_CPU_TARGET:.0%}; the CPU profile decides (README.md, Profiling)"
        )
    return "**replace with the library**"


def parts_for(languages: tuple[str, ...]) -> list[Part]:
    return [part for part in PARTS if part.language in languages]


def _source_files(service: Path, language: str) -> list[Path]:
    suffix = ".go" if language == "go" else ".rs"
    return [
        path
        for path in sorted(service.rglob(f"*{suffix}"))
        if not path.name.endswith("_test.go")
        and not any(part in _NOT_COPIED for part in path.relative_to(service).parts)
    ]


def apply(part: Part, service: Path) -> None:
    """Make the edits of part in the service tree, or raise BenchError naming the stale one."""
    files = _source_files(service, part.language)
    for edit in part.edits:
        matches = [path for path in files if path.as_posix().endswith(edit.file)]
        if len(matches) != 1:
            raise BenchError(
                f"ablation {part.language}-{part.slug}: {len(matches)} source files end with "
                f"{edit.file!r}; the template moved it, so update benchmarks/ablation.py"
            )
        text = matches[0].read_text(encoding="utf-8")
        count = text.count(edit.old)
        if count != 1:
            raise BenchError(
                f"ablation {part.language}-{part.slug}: {edit.file} has {count} occurrences of "
                f"{edit.old.strip()!r} (want exactly 1); the template changed, so update "
                "benchmarks/ablation.py"
            )
        matches[0].write_text(text.replace(edit.old, edit.new), encoding="utf-8")


def prepare(part: Part, service: Path, workdir: Path, commands: CommandLog) -> Path:
    """A copy of the generated service with part swapped for its library; return its root."""
    target = workdir / f"ablate-{part.language}-{part.slug}"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(service, target, ignore=shutil.ignore_patterns(*_NOT_COPIED))
    apply(part, target)
    commands.add_text(f"# ablation {part.language}-{part.slug}: benchmarks/ablation.py edits")
    log(f"ablation {part.language}-{part.slug}: {part.library} instead of {part.part}")
    return target
