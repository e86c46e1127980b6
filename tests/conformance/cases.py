"""What the conformance tests share: the broken services, their recordings, and shapes.

Each mutation breaks one aspect of a generated service; the slow tests build and observe it live,
the fast tests judge its recording (tests/data/observations), and both expect exactly the same
items to fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from generator.conformance import TRACE_ID, Observation
from generator.conformance._observation import PROVOKED_ERRORS
from generator.template import Template
from tests.conftest import TEMPLATES

CONTRACT = Template.load(TEMPLATES).contract
RECORDINGS = Path(__file__).resolve().parent.parent / "data" / "observations"
# Set to re-record tests/data/observations from live services (see its README.md).
RECORD_ENV = "SCAFFOLD_RECORD_OBSERVATIONS"

Edit = tuple[str, str, str]  # file, old text, new text


@dataclass(frozen=True)
class Mutation:
    """A deliberate break of one generated service, and the items it must fail."""

    language: str
    slug: str
    edits: tuple[Edit, ...]
    fails: frozenset[str]
    # Observations to try before the break counts as missed: more than one only for a break that
    # loses answers in a race, which each observation catches with a measured probability.
    attempts: int = 1
    # Whether the break is in the probe build's behaviour (panics, handler errors, exits), so the
    # test builds the mutated service's probe build too.
    probe: bool = False

    @property
    def id(self) -> str:
        return f"{self.language}-{self.slug}"


def recording(name: str) -> Path:
    """The recorded observation of a default service ("go") or a mutation (its id)."""
    return RECORDINGS / f"{name}.json"


def load(name: str) -> Observation:
    return Observation.from_json(recording(name).read_text(encoding="utf-8"))


TRACING_ITEMS = frozenset(
    {
        "route.template",  # no span carries the route
        "trace.propagation",
        "trace.server_span",
        "trace.untraced_paths",
        "shutdown.flushes_spans",
        "otel.traces_exporter_none",  # no trace ids in the logs
        "metrics.exposed",  # the same middleware records the histogram
        "http.other_method",  # judged on the spans and the histogram
        "http.path_not_utf8",  # judged on the exported spans
        "http.body_timeout",  # judged on the histogram too
        "operability.service_version",  # judged on the exported spans
    }
)
# Exiting at the first signal also skips the drain delay and leaves no process for a second one.
SHUTDOWN_ITEMS = frozenset(
    {
        "shutdown.graceful",
        "shutdown.flushes_spans",
        "shutdown.drain_delay",
        "shutdown.second_signal",
        "shutdown.slow_clients",  # no "server stopped" line
        "shutdown.no_lost_answers",  # the access lines still buffered are lost
    }
)

MUTATIONS: tuple[Mutation, ...] = (
    Mutation(
        "go",
        "no-tracing-middleware",
        (
            (
                "internal/platform/httpserver/observe.go",
                "ctx, endSpan := s.startSpan(r.Context(), r)",
                "ctx, endSpan := r.Context(), func(outcome) {}",
            ),
        ),
        TRACING_ITEMS,
    ),
    Mutation(
        "go",
        "renamed-log-key",
        (("internal/platform/contract/contract.go", '"duration_ms"', '"duration"'),),
        frozenset({"logs.access"}),
    ),
    Mutation(
        "go",
        "changed-route-template",
        (
            (
                "internal/platform/httpserver/pathtemplate.go",
                'segments[i] = "{" + name + "}"',
                'segments[i] = ":" + name',
            ),
        ),
        frozenset({"route.template"}),
    ),
    Mutation(
        "go",
        "broken-shutdown",
        (
            ("internal/platform/httpserver/server.go", '\t"net/http"\n', '\t"net/http"\n\t"os"\n'),
            (
                "internal/platform/httpserver/server.go",
                "\tcase <-ctx.Done():\n\t}",
                "\tcase <-ctx.Done():\n\t\tos.Exit(0)\n\t}",
            ),
        ),
        SHUTDOWN_ITEMS,
    ),
    Mutation(
        "go",
        "method-as-sent",
        (
            (
                "internal/platform/httpserver/tracing.go",
                "\t\tmethod = contract.HTTPOtherMethod",
                "\t\tmethod = r.Method",
            ),
        ),
        frozenset({"http.other_method"}),
    ),
    Mutation(
        "go",
        "no-chunked-body-limit",
        (
            (
                "internal/platform/httpserver/bodylimit.go",
                "case int64(len(body)) > maxBytes:",
                "case int64(len(body)) > maxBytes && r.ContentLength >= 0:",
            ),
        ),
        frozenset({"http.body_limit_chunked"}),
    ),
    Mutation(
        "go",
        "ready-while-draining",
        (
            (
                "internal/platform/httpserver/server.go",
                "s.draining.Store(true) //",
                "defer s.draining.Store(true) //",
            ),
        ),
        frozenset({"shutdown.drain_delay"}),
    ),
    Mutation(
        "rust",
        "no-tracing-middleware",
        (
            (
                "src/platform/http/mod.rs",
                "Some(telemetry) => app.layer(axum::middleware::from_fn_with_state(\n"
                "            telemetry,\n            observe::observe,\n        )),",
                "Some(_) => app,",
            ),
        ),
        TRACING_ITEMS,
    ),
    Mutation(
        "rust",
        "renamed-log-key",
        (("src/platform/contract.rs", '"duration_ms"', '"duration"'),),
        frozenset({"logs.access"}),
    ),
    Mutation(
        "rust",
        "changed-route-template",
        (("src/platform/contract.rs", '"/v1/hello/{name}"', '"/v1/hello/{who}"'),),
        frozenset({"route.template"}),
    ),
    Mutation(
        "go",
        "no-header-timeout",
        (
            (
                "internal/platform/httpserver/server.go",
                "Handler:           conns.closeAfterReplyWhenClosing(s.handler),\n"
                "\t\tReadHeaderTimeout: s.readHeaderTimeout,\n",
                "Handler:           conns.closeAfterReplyWhenClosing(s.handler),\n",
            ),
        ),
        frozenset({"http.read_header_timeout"}),
    ),
    Mutation(
        "go",
        "no-idle-timeout",
        (
            (
                "internal/platform/httpserver/server.go",
                "IdleTimeout:       s.idleTimeout,\n\t\tConnState:",
                "ConnState:",
            ),
        ),
        frozenset({"http.idle_timeout"}),
    ),
    Mutation(
        "go",
        "no-body-timeout",
        (
            (
                "internal/platform/httpserver/bodylimit.go",
                "_ = rc.SetReadDeadline(time.Now().Add(timeout))",
                "_ = rc.SetReadDeadline(time.Time{})",
            ),
        ),
        frozenset({"http.body_timeout", "shutdown.slow_clients"}),
    ),
    Mutation(
        "go",
        "keep-alives-off-at-shutdown",
        (
            (
                "internal/platform/httpserver/server.go",
                "\t_ = public.Close() // no new connections\n",
                "\tsrv.SetKeepAlivesEnabled(false)\n\t_ = public.Close() // no new connections\n",
            ),
        ),
        frozenset({"shutdown.no_lost_answers"}),
        attempts=3,
    ),
    Mutation(
        "rust",
        "no-header-timeout",
        (
            (
                "src/platform/server/connection.rs",
                "            Phase::New(deadline) | Phase::Idle(deadline) | Phase::Head(deadline) "
                "=> Some(deadline),\n"
                "            Phase::Busy | Phase::Answered => None,\n",
                "            Phase::Idle(deadline) => Some(deadline),\n"
                "            Phase::New(_) | Phase::Head(_) | Phase::Busy | Phase::Answered "
                "=> None,\n",
            ),
        ),
        # The header timeout is also what ends a header trickler during shutdown.
        frozenset({"http.read_header_timeout", "shutdown.slow_clients"}),
    ),
    Mutation(
        "rust",
        "no-idle-timeout",
        (
            (
                "src/platform/server/connection.rs",
                "            Phase::New(deadline) | Phase::Idle(deadline) | Phase::Head(deadline) "
                "=> Some(deadline),\n"
                "            Phase::Busy | Phase::Answered => None,\n",
                "            Phase::New(deadline) | Phase::Head(deadline) => Some(deadline),\n"
                "            Phase::Idle(_) | Phase::Busy | Phase::Answered => None,\n",
            ),
        ),
        frozenset({"http.idle_timeout"}),
    ),
    Mutation(
        "rust",
        "no-body-timeout",
        (
            (
                "src/platform/http/middleware.rs",
                "tokio::time::timeout(limits.request_timeout, read_up_to(body, limit))",
                "tokio::time::timeout(Duration::MAX, read_up_to(body, limit))",
            ),
        ),
        frozenset({"http.body_timeout", "shutdown.slow_clients"}),
    ),
    Mutation(
        "rust",
        "ipv4-only",
        (
            (
                "src/platform/server.rs",
                "let (socket, address) = match dual_stack_socket() {",
                "let (socket, address) = match dual_stack_socket()"
                ".and(Err(io::ErrorKind::Unsupported.into())) {",
            ),
        ),
        frozenset({"net.dual_stack"}),
    ),
    Mutation(
        "rust",
        "method-as-sent",
        (
            (
                "src/platform/http/observe.rs",
                "None => (OTHER_METHOD, Some(method.as_str().to_owned())),",
                "None => (method.as_str().to_owned().leak(), None),",
            ),
        ),
        frozenset({"http.other_method"}),
    ),
    Mutation(
        "rust",
        "close-before-draining",
        (
            (
                "src/platform/server.rs",
                "        until(&mut running, tokio::time::sleep(shutdown.drain_delay)).await?;",
                "        let _ = stop.send(());\n"
                "        tokio::time::sleep(shutdown.drain_delay).await;",
            ),
        ),
        frozenset({"shutdown.drain_delay"}),
    ),
    Mutation(
        "rust",
        "broken-shutdown",
        (
            (
                "src/platform/server.rs",
                "    until(&mut running, signal).await?;\n",
                "    until(&mut running, signal).await?;\n    std::process::exit(0);\n",
            ),
        ),
        SHUTDOWN_ITEMS,
    ),
    Mutation(
        "go",
        "version-without-revision",
        (
            (
                "internal/platform/buildinfo/buildinfo.go",
                '"{name}", name, "{version}", i.Version, "{revision}", i.Revision)',
                '"{name}", name, "{version}", i.Version, " {revision}", "")',
            ),
        ),
        frozenset({"operability.version_flag"}),
    ),
    Mutation(
        "go",
        "no-service-version",
        (
            (
                "internal/platform/telemetry/otel.go",
                "attribute.String(contract.VersionAttribute, build.Version)",
                "attribute.String(contract.BuildInfoLabelServiceVersion, build.Version)",
            ),
        ),
        frozenset({"operability.service_version"}),
    ),
    Mutation(
        "go",
        "no-go-collector",
        (
            (
                "internal/platform/telemetry/otel.go",
                "\t\tregistry.Register(collectors.NewGoCollector()),\n",
                "",
            ),
        ),
        frozenset({"operability.runtime_metrics"}),
    ),
    Mutation(
        "go",
        "pprof-on-public-port",
        (
            (
                "internal/platform/httpserver/server.go",
                "\ts.routes(app)\n",
                "\ts.routes(app)\n"
                '\tengine.Any(contract.ProfilingPath+"*profile", '
                "gin.WrapH(http.DefaultServeMux))\n",
            ),
        ),
        frozenset({"operability.profiling"}),
    ),
    Mutation(
        "rust",
        "build-info-wrong-revision",
        (
            (
                "src/platform/telemetry/operability.rs",
                ".const_label(revision, REVISION)",
                ".const_label(revision, VERSION)",
            ),
        ),
        frozenset({"operability.build_info"}),
    ),
    Mutation(
        "rust",
        "no-process-metrics",
        (
            (
                "src/platform/telemetry/operability.rs",
                '#[cfg(target_os = "linux")]',
                '#[cfg(not(target_os = "linux"))]',
            ),
        ),
        frozenset({"operability.process_metrics"}),
    ),
    Mutation(
        "rust",
        "no-tokio-metrics",
        (
            (
                "src/platform/telemetry/operability.rs",
                "collectors.push(RuntimeCollector::new(runtime)"
                ".map(|collector| Box::new(collector) as _));",
                "let _ = RuntimeCollector::new(runtime);",
            ),
        ),
        frozenset({"operability.runtime_metrics"}),
    ),
)


# The probe build's items, broken together in one build per language (a probe mutation builds
# twice): each edit breaks its own item, and no two edits reach the same one.
PROBE_ITEMS = frozenset(
    {
        "panic.recovered",  # no stack in the panic line (Go), a second line for it (Rust)
        "panic.span",  # its span is refused with the rest, and not sent again
        "problem.handler",  # extension members dropped
        "problem.bare_status",  # a bare status leaves as it is
        "http.client_closed",  # the request its client left is not recorded as such
        "trace.export_retry",  # no retry
    }
)
# Skipping the flush when the deadline passes loses every span of the probe run.
DEADLINE_ITEMS = frozenset({"shutdown.deadline_flush", "trace.export_retry", "panic.span"})

MUTATIONS += (
    Mutation(
        "go",
        "probe-items-broken",
        (
            (
                "internal/platform/httpserver/recovery.go",
                "string(debug.Stack())",
                "string(debug.Stack()[:0])",
            ),
            (
                "internal/platform/httpserver/timeout.go",
                "b.status >= http.StatusBadRequest && b.body.Len() == 0",
                "b.status >= 600 && b.body.Len() == 0",
            ),
            (
                "internal/platform/problem/problem.go",
                "maps.Copy(doc, p.Extensions)",
                "maps.Copy(doc, doc)",
            ),
            (
                "internal/platform/httpserver/timeout.go",
                "reportClientLeft(ctx)",
                "reportClientLeft(context.Background())",
            ),
            (
                "internal/platform/telemetry/otel.go",
                "Enabled:         true,",
                "Enabled:         false,",
            ),
        ),
        PROBE_ITEMS,
        probe=True,
    ),
    Mutation(
        "go",
        "deadline-skips-flush",
        (
            (
                "cmd/payments/main.go",
                "code = contract.ShutdownDeadlineExitCode",
                "return contract.ShutdownDeadlineExitCode",
            ),
        ),
        DEADLINE_ITEMS,
        probe=True,
    ),
    Mutation(
        "rust",
        "probe-items-broken",
        (
            (
                "src/platform/http/middleware.rs",
                "{ event::STACK } = take_panic_stack(),",
                '{ event::STACK } = "",',
            ),
            (
                "src/platform/problem.rs",
                "if is_bare_error(&response) {",
                "if false && is_bare_error(&response) {",
            ),
            (
                "src/platform/problem.rs",
                "map.serialize_entry(name, value)?;",
                "let _ = (name, value);",
            ),
            (
                "src/platform/http/middleware.rs",
                "            on_drop();\n",
                "            drop(on_drop);\n",
            ),
            (
                "src/platform/telemetry/otel.rs",
                "const EXPORT_RETRIES: u32 = 3;",
                "const EXPORT_RETRIES: u32 = 0;",
            ),
        ),
        PROBE_ITEMS,
        probe=True,
    ),
    Mutation(
        "rust",
        "deadline-skips-flush",
        (
            (
                "src/main.rs",
                "(ExitCode::from(shutdown::DEADLINE_EXIT_CODE), Duration::ZERO)",
                "return ExitCode::from(shutdown::DEADLINE_EXIT_CODE);",
            ),
        ),
        DEADLINE_ITEMS,
        probe=True,
    ),
)


def shapes(observation: Observation) -> dict[str, Any]:
    """What must be identical between Go and Rust: key sets, span attributes, metric labels.

    Values differ between runs (ids, ports, durations); only names and key sets are compared,
    plus the name and kind of the traced request's span, which the contract spells out.
    """
    main, probe = observation.main, observation.probe
    access_key = CONTRACT.logging.access.fields.path
    hello = main.responses["hello"].path
    spans = [s for s in main.spans if s.attributes.get("url.path") == hello]
    traced = [s for s in spans if s.trace_id == TRACE_ID]
    metrics = main.responses["metrics"].body.decode()
    samples = [s for f in text_string_to_metric_families(metrics) for s in f.samples]
    http = [s for s in samples if s.name.startswith("http_")]
    return {
        "access_log_keys": [
            sorted(line) for line in map(json.loads, main.stdout) if access_key in line
        ],
        "span_attribute_keys": [sorted(s.attributes) for s in spans],
        "span_name_kind": [(s.name, s.kind) for s in traced],
        "problem_keys": {key: sorted(main.responses[key].json()) for key in PROVOKED_ERRORS},
        "metric_names": sorted({s.name for s in http}),
        "metric_label_sets": sorted({tuple(sorted(s.labels)) for s in http}),
        "lifecycle_messages": [
            line.get("msg") for line in map(json.loads, main.stdout) if access_key not in line
        ],
        # The probe build: its problems as sent (but trace ids), and its lifecycle lines.
        "probe_problems": {
            key: {k: v for k, v in probe.responses[key].json().items() if k != "trace_id"}
            for key in ("panic", "status_401", "status_503", "problem")
        },
        "probe_messages": [
            line.get("msg") for line in map(json.loads, probe.stdout) if access_key not in line
        ],
    }
