"""The verdicts of `scaffold check --run`: pure functions of the contract and an Observation.

Every expectation comes from the contract file (templates/shared/contract.yml), the same file the
templates render from, so templates, docs and checks cannot disagree. Each item checks one aspect
only, so a broken service fails exactly the items it breaks. Nothing here does I/O: a recorded
Observation gets the same verdicts as a live one.
"""

from __future__ import annotations

import http.client
import io
import json
import re
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from typing import Any, TypeVar

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from generator.conformance._observation import (
    BARE_STATUSES,
    CLIENT_LEAVES_AFTER,
    DRAIN_DELAY_MS,
    HELLO_NAME,
    METRICS_PORT_REQUESTS,
    OTHER_METHODS,
    PARENT_ID,
    PROBE_REFUSED_EXPORTS,
    PROBE_SHUTDOWN_MS,
    PROVOKED_ERRORS,
    SLOW_BODY_NAME,
    SLOW_HEADER_TIMEOUT_MS,
    SLOW_IDLE_TIMEOUT_MS,
    SLOW_REQUEST_TIMEOUT_MS,
    TRACE_ID,
    Held,
    Observation,
    Response,
    Run,
)
from generator.conformance._otlp import ReceivedSpan
from generator.report import Result
from generator.template import Contract

TIME_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

Check = Callable[[Contract, str, Observation], str]


class Failed(Exception):
    """An expectation of the contract that the service did not meet."""


def expect(condition: bool, message: str) -> None:
    """Raise Failed with the message unless the condition holds."""
    if not condition:
        raise Failed(message)


def verify(contract: Contract, service_name: str, observation: Observation) -> list[Result]:
    """Judge every contract item, in the order of contract_items."""
    return [
        _judge(name, check, contract, service_name, observation) for name, check in _items(contract)
    ]


def contract_items(contract: Contract) -> list[str]:
    """Return the names of the runtime items `check --run` reports, in order."""
    return [name for name, _ in _items(contract)]


def _judge(
    name: str, check: Check, contract: Contract, service: str, observation: Observation
) -> Result:
    """One item's Result; whatever the service sent that the check cannot read fails it."""
    try:
        detail = check(contract, service, observation)
    except Failed as failure:
        return Result(name, False, str(failure))
    except (KeyError, TypeError, ValueError, IndexError) as error:
        return Result(name, False, f"{type(error).__name__}: {error}")
    return Result(name, True, detail)


def _items(contract: Contract) -> list[tuple[str, Check]]:
    errors = contract.problem.errors
    problems: list[tuple[str, Check]] = [
        (f"problem.{getattr(errors, error).status}", partial(_problem, error))
        for error in PROVOKED_ERRORS
    ]
    return [
        ("config.invalid_value_fails_fast", _invalid_config),
        ("health.liveness", partial(_health, "livez")),
        ("health.readiness", partial(_health, "readyz")),
        ("route.example", _hello),
        *problems,
        ("logs.schema", _log_schema),
        ("logs.access", _access_log),
        ("route.template", _route_template),
        ("trace.propagation", _propagation),
        ("trace.server_span", _server_span),
        ("trace.untraced_paths", _untraced),
        ("metrics.exposed", _metrics),
        ("shutdown.graceful", _graceful),
        ("shutdown.flushes_spans", _flush),
        (
            "otel.sdk_disabled",
            lambda c, _, o: _switch(c, o.sdk_disabled, "OTEL_SDK_DISABLED", want_ids=False),
        ),
        (
            "otel.traces_exporter_none",
            lambda c, _, o: _switch(
                c, o.traces_exporter_none, "OTEL_TRACES_EXPORTER", want_ids=True
            ),
        ),
        ("collector.missing", _no_collector),
        ("http.other_method", _other_method),
        ("http.path_not_utf8", _path_not_utf8),
        ("http.body_limit_chunked", _body_limit_chunked),
        ("net.dual_stack", _dual_stack),
        ("shutdown.drain_delay", _drain_delay),
        ("shutdown.second_signal", _second_signal),
        ("http.read_header_timeout", _read_header_timeout),
        ("http.idle_timeout", _idle_timeout),
        ("http.body_timeout", _body_timeout),
        ("shutdown.slow_clients", _slow_clients_shutdown),
        ("shutdown.no_lost_answers", _no_lost_answers),
        ("operability.version_flag", _version_flag),
        ("operability.service_version", _service_version),
        ("operability.build_info", _build_info),
        ("operability.process_metrics", _process_metrics),
        ("operability.runtime_metrics", _runtime_metrics),
        ("operability.profiling", _profiling),
        ("panic.recovered", _panic),
        ("panic.span", _panic_span),
        ("problem.handler", _handler_problem),
        ("problem.bare_status", _bare_status),
        ("http.client_closed", _client_closed),
        ("shutdown.deadline_flush", _deadline_flush),
        ("trace.export_retry", _export_retry),
    ]


# -- reading an observation ------------------------------------------------------------------


AnyRun = TypeVar("AnyRun", bound=Run)


def _finished(run: AnyRun) -> AnyRun:
    """Return the run if its scenario ran to the end; else fail with why it stopped."""
    expect(not run.error, run.error)
    return run


def _response(run: Run, key: str) -> Response:
    if key in run.unanswered:
        raise Failed(f"no answer to {run.unanswered[key]}")
    expect(key in run.responses, f"the scenario sent no {key} request")
    return run.responses[key]


def _logs(run: Run) -> list[dict[str, Any]]:
    """Return the stdout lines that are JSON objects."""
    parsed = []
    for line in run.stdout:
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            parsed.append(value)
    return parsed


def _access_lines(c: Contract, run: Run) -> list[dict[str, Any]]:
    return [line for line in _logs(run) if c.logging.access.fields.path in line]


def _access_line(c: Contract, run: Run, path: str) -> dict[str, Any]:
    """Return the first access line for a path."""
    key = c.logging.access.fields.path
    lines = [line for line in _access_lines(c, run) if line[key] == path]
    expect(bool(lines), f"no access line for {path}")
    return lines[0]


def _hello_span(run: Run) -> ReceivedSpan:
    """Return the one exported span of the traced request to the example route."""
    path = _response(run, "hello").path
    spans = [
        s for s in run.spans if s.attributes.get("url.path") == path and s.trace_id == TRACE_ID
    ]
    expect(len(spans) == 1, f"want 1 exported span for {path}, got {len(spans)}")
    return spans[0]


def _samples(run: Run) -> list[Sample]:
    """Parse the Prometheus text the run got from METRICS_PORT into samples."""
    text = _response(run, "metrics").body.decode("utf-8")
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def _shutdown_limit(run: Run) -> float:
    """Return the seconds the service was given for shutdown (SHUTDOWN_TIMEOUT_MS)."""
    return int(run.env["SHUTDOWN_TIMEOUT_MS"]) / 1000


def _text(response: Response) -> str:
    return response.body.decode("utf-8", "replace")


# -- the items -------------------------------------------------------------------------------


def _invalid_config(c: Contract, _: str, o: Observation) -> str:
    examples = c.invalid_config_examples
    expect(
        len(o.invalid_config) == len(examples),
        f"{len(o.invalid_config)} runs recorded for {len(examples)} invalid_config_examples",
    )
    want = c.startup_failure_exit_code
    error_level = c.logging.levels.error
    checked = []
    for example, run in zip(examples, o.invalid_config, strict=True):
        setting = f"{example.name}={example.value!r}"
        expect(not run.error, f"{setting}: {run.error}")
        expect(run.exit_code is not None, f"still running after {setting}")
        expect(run.exit_code == want, f"{setting}: exit code {run.exit_code}, want {want}")
        errors = [line for line in _logs(run) if line.get(c.logging.fields.level) == error_level]
        expect(
            len(errors) == 1,
            f"{setting}: want one JSON {error_level} line, got {run.stdout!r}",
        )
        expect(example.name in json.dumps(errors[0]), f"{setting}: the error does not name it")
        checked.append(f"{setting} in {run.exit_seconds or 0:.2f} s")
    return f"exit {want} with one JSON {error_level} line naming the variable: " + ", ".join(
        checked
    )


def _health(key: str, c: Contract, _: str, o: Observation) -> str:
    response = _response(_finished(o.main), key)
    expect(response.status == 200, f"status {response.status}")
    expect(response.json() == {c.health.status_key: c.health.ok}, f"body {response.body!r}")
    return f"200 {_text(response)}"


def _hello(c: Contract, _: str, o: Observation) -> str:
    response = _response(_finished(o.main), "hello")
    expect(response.status == 200, f"status {response.status}")
    expect(
        response.content_type.startswith("application/json"),
        f"content type {response.content_type!r}",
    )
    want = {c.hello.message_key: f"{c.hello.message_prefix}{HELLO_NAME}"}
    expect(response.json() == want, f"body {response.body!r}, want {want}")
    return f"200 {_text(response)}"


def _problem(error: str, c: Contract, _: str, o: Observation) -> str:
    spec = c.problem
    want = getattr(spec.errors, error)
    response = _response(_finished(o.main), error)
    expect(response.status == want.status, f"status {response.status}")
    expect(response.content_type == spec.content_type, f"content type {response.content_type!r}")
    body = response.json()
    keys = set(body)
    allowed = set(spec.fields) | set(spec.optional_fields)
    expect(set(spec.fields) <= keys <= allowed, f"keys {sorted(keys)}")
    expect(
        body["status"] == want.status and body["title"] == want.title,
        f"status/title {body['status']!r}/{body['title']!r}",
    )
    expect(body["type"] == spec.type, f"type {body['type']!r}")
    if response.status == 405:  # RFC 9110 §15.5.6: a 405 must say which methods are allowed
        allow = {m.strip() for m in response.headers.get("allow", "").split(",")}
        expect(response.method not in allow and "GET" in allow, f"Allow {allow or 'missing'}")
    return f"{response.status} {spec.content_type} {sorted(keys)}"


def _log_schema(c: Contract, service: str, o: Observation) -> str:
    run = _finished(o.main)
    logs = _logs(run)
    expect(bool(run.stdout), "no log output")
    expect(len(logs) == len(run.stdout), "a stdout line is not a JSON object")
    f = c.logging.fields
    levels = set(c.logging.levels.model_dump().values())
    for line in logs:
        for key in (f.time, f.level, f.msg, f.service):
            expect(key in line, f"missing {key!r} in {line}")
        expect(bool(TIME_FORMAT.match(str(line[f.time]))), f"time {line[f.time]!r}")
        expect(line[f.level] in levels, f"level {line[f.level]!r}")
        expect(line[f.service] == service, f"service {line[f.service]!r}")
    started = [line for line in logs if line.get(f.msg) == c.logging.messages.started]
    port = c.logging.event_fields.port
    expect(
        [line.get(port) for line in started] == [int(run.env["PORT"])],
        f"want one {c.logging.messages.started!r} line with {port}={run.env['PORT']}",
    )
    return f"{len(logs)} JSON lines with {f.time}, {f.level}, {f.msg}, {f.service}"


def _access_log(c: Contract, _: str, o: Observation) -> str:
    """One line per request to a traced route, in order, with exactly the contract's keys."""
    run = _finished(o.main)
    f, access = c.logging.fields, c.logging.access.fields
    routes = c.routes
    untraced = {routes.liveness, routes.readiness, routes.metrics}
    lines = _access_lines(c, run)
    paths = [line[access.path] for line in lines]
    logged = sorted(untraced & set(paths))
    expect(not logged, f"access-logged {logged}")
    sent = [
        r
        for key, r in run.responses.items()
        if r.path not in untraced and key not in METRICS_PORT_REQUESTS
    ]
    want = [(r.method, r.path, r.status) for r in sent]
    got = [(line[access.method], line[access.path], line[access.status]) for line in lines]
    expect(got[: len(want)] == want, f"access lines {got}, want {want} first")
    allowed = {f.time, f.level, f.msg, f.service, f.trace_id, f.span_id}
    required = set(access.model_dump().values())
    for line in lines[: len(want)]:
        extra = set(line) - allowed - required
        expect(not extra, f"unexpected keys {sorted(extra)}")
        missing = required - set(line)
        expect(not missing, f"missing keys {sorted(missing)}")
        expect(line[f.msg] == c.logging.access.msg, f"msg {line[f.msg]!r}")
        expect(isinstance(line[access.status], int), f"status {line[access.status]!r}")
        expect(isinstance(line[access.duration], int | float), "duration is not a number")
    unmatched = _access_line(c, run, _response(run, "not_found").path)
    expect(unmatched[access.route] == "", 'an unmatched request\'s route is not ""')
    return f"{len(lines)} access lines, keys {sorted(required)}"


def _route_template(c: Contract, _: str, o: Observation) -> str:
    run = _finished(o.main)
    route = c.routes.hello
    key = c.logging.access.fields.route
    line = _access_line(c, run, _response(run, "hello").path)
    expect(line.get(key) == route, f"access log {key} {line.get(key)!r}, want {route!r}")
    span = _hello_span(run)
    expect(
        span.attributes.get("http.route") == route,
        f"span http.route {span.attributes.get('http.route')!r}",
    )
    expect(span.name == f"GET {route}", f"span name {span.name!r}")
    labelled = [s for s in _samples(run) if s.labels.get("http_route") == route]
    expect(bool(labelled), f"no metric sample with http_route={route!r}")
    return f"{route} in the access log, span name, span attribute and metric label"


def _propagation(c: Contract, _: str, o: Observation) -> str:
    run = _finished(o.main)
    span = _hello_span(run)
    expect(span.parent_span_id == PARENT_ID, f"parent {span.parent_span_id!r}, want {PARENT_ID}")
    line = _access_line(c, run, _response(run, "hello").path)
    trace_key, span_key = c.logging.fields.trace_id, c.logging.fields.span_id
    expect(line.get(trace_key) == TRACE_ID, f"access log {trace_key} {line.get(trace_key)!r}")
    expect(
        line.get(span_key) == span.span_id,
        f"access log {span_key} {line.get(span_key)!r}, span {span.span_id}",
    )
    return f"trace {TRACE_ID} parent {PARENT_ID} in span and access log"


def _server_span(c: Contract, service: str, o: Observation) -> str:
    run = _finished(o.main)
    span = _hello_span(run)
    tracing = c.tracing
    expect(span.kind == f"SPAN_KIND_{tracing.span_kind}", f"kind {span.kind}")
    route = span.attributes.get("http.route", "")
    expect(span.name == f"GET {route}", f"name {span.name!r} does not match its http.route")
    want = tracing.attributes
    expect(
        set(span.attributes) == set(want),
        f"attributes {sorted(span.attributes)}, want {sorted(want)}",
    )
    for key, kind in want.items():
        value = span.attributes[key]
        ok = isinstance(value, int) if kind == "int" else isinstance(value, str)
        expect(ok, f"{key}={value!r} is not {kind}")
    expect(span.attributes["http.response.status_code"] == 200, "status code is not 200")
    expect(span.attributes["http.request.method"] == "GET", "method is not GET")
    expect(span.status_code != "STATUS_CODE_ERROR", "a 200 span has error status")
    name = span.resource.get("service.name")
    expect(name == service, f"resource service.name {name!r}, want {service!r}")
    for other in run.spans:
        if other.attributes.get("http.response.status_code", 0) >= 500:
            expect(other.status_code == "STATUS_CODE_ERROR", "5xx span without error status")
    return f"{span.name!r} {tracing.span_kind}, {len(want)} attributes, service.name={name}"


def _untraced(c: Contract, _: str, o: Observation) -> str:
    run = _finished(o.main)
    expect(bool(run.spans), "no spans exported at all")
    paths = {s.attributes.get("url.path") for s in run.spans}
    untraced = {c.routes.liveness, c.routes.readiness, c.routes.metrics}
    expect(not paths & untraced, f"spans for {sorted(str(p) for p in paths & untraced)}")
    return f"no spans for {sorted(untraced)}"


def _metrics(c: Contract, _: str, o: Observation) -> str:
    run = _finished(o.main)
    spec = c.metrics.request_duration
    public = _response(run, "public_metrics")
    expect(public.status == 404, f"{c.routes.metrics} must not be served on PORT")
    samples = _samples(run)
    name = spec.prometheus_name
    buckets = [s for s in samples if s.name == f"{name}_bucket"]
    expect(bool(buckets), f"no {name}_bucket samples on METRICS_PORT")
    want = set(spec.prometheus_labels)
    for bucket in buckets:
        got = set(bucket.labels) - {"le"}
        expect(got == want, f"labels {sorted(got)}, want {sorted(want)}")
    expect(any(s.name == f"{name}_count" for s in samples), f"no {name}_count")
    return f"{name} with labels {sorted(want)} on METRICS_PORT only"


def _graceful(c: Contract, __: str, o: Observation) -> str:
    run = _finished(o.main)
    said = [line.get(c.logging.fields.msg) for line in _logs(run)]
    messages = c.logging.messages
    expect(
        messages.shutting_down in said
        and messages.stopped in said
        and said.index(messages.shutting_down) < said.index(messages.stopped),
        f"want {messages.shutting_down!r} then {messages.stopped!r} in the logs",
    )
    expect(run.alive_after_signal, "the process exited while a request was in flight")
    expect(
        run.in_flight_reply.startswith(b"HTTP/1.1 200"),
        f"in-flight request got {run.in_flight_reply[:60]!r}",
    )
    expect(run.exit_code == 0, f"exit code {run.exit_code}")
    took, limit = run.exit_seconds or 0.0, _shutdown_limit(run)
    expect(took <= limit, f"took {took:.2f} s, limit {limit} s")
    return f"in-flight request finished, exit 0 after {took:.2f} s"


def _flush(_: Contract, __: str, o: Observation) -> str:
    """With a 60 s batch delay, a span can only reach the receiver through the flush."""
    run = _finished(o.shutdown_flush)
    late = _response(run, "late")
    expect(late.status == 200, f"status {late.status}")
    expect(run.exit_code is not None, "did not exit after SIGTERM")
    flushed = [s for s in run.spans if s.attributes.get("url.path") == late.path]
    expect(bool(flushed), "the pending span was not flushed at shutdown")
    expect(run.exit_code == 0, f"exit code {run.exit_code}")
    return "pending span flushed on SIGTERM (batch delay 60 s), exit 0"


def _switch(c: Contract, run: Run, variable: str, *, want_ids: bool) -> str:
    """Nothing is exported; trace ids reach the logs only when spans are still made."""
    run = _finished(run)
    setting = f"{variable}={run.env[variable]}"
    hello = _response(run, "hello")
    expect(hello.status == 200, f"status {hello.status}")
    expect(run.exit_code == 0, f"exit code {run.exit_code}")
    expect(not run.spans, f"{len(run.spans)} spans exported")
    has_ids = c.logging.fields.trace_id in _access_line(c, run, hello.path)
    expect(
        has_ids == want_ids,
        f"trace_id {'missing from' if want_ids else 'present in'} the access log",
    )
    return f"{setting}: nothing exported, trace ids in logs: {want_ids}"


def _no_collector(_: Contract, __: str, o: Observation) -> str:
    run = _finished(o.no_collector)
    ok, sent = run.statuses.count(200), len(run.statuses)
    expect(sent > 0 and ok == sent, f"{ok}/{sent} requests succeeded")
    expect(run.exit_code is not None, "did not exit after SIGTERM")
    expect(run.exit_code == 0, f"exit code {run.exit_code}")
    took, limit = run.exit_seconds or 0.0, _shutdown_limit(run)
    expect(took < limit, f"shutdown took {took:.2f} s")
    return (
        f"ready in {run.ready_seconds or 0:.2f} s, {ok}/{sent} requests ok, exit 0 in {took:.2f} s"
    )


def _other_method(c: Contract, _: str, o: Observation) -> str:
    """Unknown methods: _OTHER in the metric label and on the span, the original in the log."""
    run, http = _finished(o.hostile), c.http
    access = c.logging.access.fields
    for method in OTHER_METHODS:
        response = _response(run, f"method_{method}")
        expect(response.status < 500, f"{method}: status {response.status}")
        lines = [
            line
            for line in _access_lines(c, run)
            if line[access.method] == method and line[access.path] == response.path
        ]
        expect(len(lines) == 1, f"{method}: want one access line keeping the method as sent")
        spans = [s for s in run.spans if s.attributes.get(http.method_original_attribute) == method]
        expect(len(spans) == 1, f"{method}: want one span with {http.method_original_attribute}")
        span = spans[0]
        method_key = c.metrics.request_duration.attributes[0]
        expect(
            span.attributes.get(method_key) == http.other_method,
            f"{method}: span {method_key} {span.attributes.get(method_key)!r}",
        )
        want = http.span_name(str(span.attributes.get("http.route", "")))
        expect(span.name == want, f"{method}: span name {span.name!r}, want {want!r}")
    label = c.metrics.request_duration.prometheus_labels[0]
    values = {s.labels[label] for s in _samples(run) if label in s.labels}
    allowed = set(http.known_methods) | {http.other_method}
    expect(values <= allowed, f"metric label {label} took {sorted(values - allowed)}")
    expect(http.other_method in values, f"no {label}={http.other_method!r} series")
    return (
        f"{len(OTHER_METHODS)} unknown methods: {http.other_method} in spans and metrics, "
        f"named {http.other_span_name!r}, logged as sent"
    )


def _path_not_utf8(c: Contract, _: str, o: Observation) -> str:
    """Log and trace the path as sent; the exporter keeps working after it."""
    run = _finished(o.hostile)
    path = _response(run, "not_utf8").path
    line = _access_line(c, run, path)
    want = c.problem.errors.bad_request.status
    status = line[c.logging.access.fields.status]
    expect(status == want, f"logged status {status}, want {want}")
    spans = [s for s in run.spans if s.attributes.get("url.path") == path]
    expect(len(spans) == 1, f"want one exported span with url.path {path!r}, got {len(spans)}")
    after = _response(run, "after_not_utf8").path
    expect(
        any(s.attributes.get("url.path") == after for s in run.spans),
        f"the span of the next request ({after}) was never exported",
    )
    return f"{path} logged and traced as sent; later spans still exported"


def _body_limit_chunked(c: Contract, _: str, o: Observation) -> str:
    """HTTP_MAX_BODY_BYTES holds for a body sent without Content-Length."""
    run = _finished(o.hostile)
    response = _response(run, "chunked_oversize")
    want = c.problem.errors.payload_too_large
    expect(response.status == want.status, f"status {response.status}, want {want.status}")
    expect(
        response.content_type == c.problem.content_type,
        f"content type {response.content_type!r}",
    )
    expect(response.json().get("title") == want.title, f"body {response.body!r}")
    access = c.logging.access.fields
    lines = [
        line
        for line in _access_lines(c, run)
        if line[access.path] == response.path and line[access.method] == response.method
    ]
    expect(len(lines) == 1, f"want one access line for {response.method} {response.path}")
    status = lines[0][access.status]
    expect(status == want.status, f"logged status {status}")
    return f"chunked body over HTTP_MAX_BODY_BYTES: {want.status} problem, logged {status}"


def _dual_stack(c: Contract, _: str, o: Observation) -> str:
    """Both ports answer on the loopback address of every family."""
    run = _finished(o.hostile)
    answered = []
    for family in c.http.listen_families:
        for port in ("public", "metrics"):
            response = _response(run, f"{family}_{port}")
            expect(response.status == 200, f"{family} {port} port: status {response.status}")
            answered.append(f"{family}/{port}")
    return "200 on " + ", ".join(answered)


def _drain_delay(c: Contract, _: str, o: Observation) -> str:
    """During SHUTDOWN_DRAIN_DELAY_MS: readiness 503 draining, other routes 200; then exit 0."""
    run = _finished(o.drain)
    ready = _response(run, "readyz_draining")
    expect(ready.status == 503, f"{ready.path} answered {ready.status} while draining, want 503")
    want = {c.health.status_key: c.health.draining}
    expect(ready.json() == want, f"{ready.path} body {ready.body!r}, want {want}")
    for key in ("hello_draining", "livez_draining"):
        response = _response(run, key)
        expect(response.status == 200, f"{response.path} answered {response.status} while draining")
    expect(run.exit_code is not None, "still running after the drain delay and shutdown timeout")
    expect(run.exit_code == 0, f"exit code {run.exit_code}")
    delay = DRAIN_DELAY_MS / 1000
    took = run.exit_seconds or 0.0
    expect(took >= delay, f"exited {took:.2f} s after SIGTERM, before the {delay:g} s drain delay")
    limit = delay + _shutdown_limit(run)
    expect(took <= limit, f"exited {took:.2f} s after SIGTERM, over {limit:g} s")
    return f"503 draining, routes served during {delay:g} s, exit 0 after {took:.2f} s"


def _second_signal(c: Contract, _: str, o: Observation) -> str:
    """Judge that a second signal during the drain delay ends the process at once."""
    run = _finished(o.second_signal)
    want = c.shutdown.forced_exit_code
    expect(run.exit_code is not None, "a second SIGTERM did not end the process")
    expect(run.exit_code == want, f"exit code {run.exit_code}, want {want}")
    took = run.exit_seconds or 0.0
    expect(took <= 1.0, f"exited {took:.2f} s after the second SIGTERM, want at once (<= 1 s)")
    return f"exit {want} {took:.2f} s after the second SIGTERM"


# A connection a timeout closes may close a little early (timers are coarse), never much earlier.
EARLY = 0.8


class _Replay:
    """The socket http.client reads a recorded reply from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def makefile(self, *_: object, **__: object) -> io.BytesIO:
        return io.BytesIO(self._data)


def _held(held: Held | None, what: str) -> Held:
    """Return what a slow client saw; fail when the scenario never sent it."""
    if held is None:
        raise Failed(f"the scenario never sent {what}")
    return held


def _reply(held: Held, what: str, method: str, path: str) -> Response:
    """Parse the first response a slow client got; fail when it got none."""
    expect(bool(held.reply), f"{what}: no response")
    raw = http.client.HTTPResponse(_Replay(held.reply))  # type: ignore[arg-type]
    try:
        raw.begin()
        body = raw.read()
    except (http.client.HTTPException, ValueError) as error:
        raise Failed(f"{what}: unreadable response {held.reply[:60]!r}: {error}") from error
    headers = {k.lower(): v for k, v in raw.getheaders()}
    return Response(method, path, raw.status, headers, body)


def _closed_in_time(held: Held, what: str, timeout_ms: int) -> float:
    """Return the seconds until the service closed the connection, checked against timeout_ms."""
    timeout = timeout_ms / 1000
    expect(held.closed_after is not None, f"{what}: still open {timeout:g} s + 3 s later")
    took = held.closed_after or 0.0
    expect(took >= EARLY * timeout, f"{what}: closed after {took:.2f} s, before {timeout:g} s")
    return took


def _read_header_timeout(c: Contract, _: str, o: Observation) -> str:
    """Judge that headers that never complete get closed after HTTP_READ_HEADER_TIMEOUT_MS."""
    what = "half-sent headers"
    held = _held(_finished(o.slow_clients).half_headers, what)
    took = _closed_in_time(held, what, SLOW_HEADER_TIMEOUT_MS)
    if held.reply:  # closing is enough; an answer, if any, says 408
        status = _reply(held, what, "GET", "").status
        expect(status == c.problem.errors.request_timeout.status, f"{what}: answered {status}")
    return f"{what}: closed after {took:.2f} s (timeout {SLOW_HEADER_TIMEOUT_MS} ms)"


def _idle_timeout(_: Contract, __: str, o: Observation) -> str:
    """Judge that a keep-alive connection is closed after HTTP_IDLE_TIMEOUT_MS without use."""
    what = "an idle keep-alive connection"
    held = _held(_finished(o.slow_clients).idle, what)
    response = _reply(held, what, "GET", "")
    expect(response.status == 200, f"{what}: answered {response.status}")
    expect(
        "close" not in response.headers.get("connection", "").lower(),
        f"{what}: the service closed after one request (Connection: close)",
    )
    took = _closed_in_time(held, what, SLOW_IDLE_TIMEOUT_MS)
    return f"{what}: closed after {took:.2f} s (timeout {SLOW_IDLE_TIMEOUT_MS} ms)"


def _body_timeout(c: Contract, _: str, o: Observation) -> str:
    """Judge a body that stops arriving: 408 problem, connection closed, logged and counted."""
    run = _finished(o.slow_clients)
    want = c.problem.errors.request_timeout
    path = c.routes.hello.replace("{name}", SLOW_BODY_NAME)
    what = "a body that stops arriving"
    held = _held(run.slow_body, what)
    response = _reply(held, what, "GET", path)
    expect(response.status == want.status, f"{what}: answered {response.status}")
    expect(
        response.content_type == c.problem.content_type,
        f"{what}: content type {response.content_type!r}",
    )
    expect(response.json().get("title") == want.title, f"{what}: body {response.body!r}")
    expect(
        response.headers.get("connection", "").lower() == "close",
        f"{what}: no Connection: close on the {want.status}",
    )
    answered = held.first_byte_after or 0.0
    timeout = SLOW_REQUEST_TIMEOUT_MS / 1000
    expect(answered >= EARLY * timeout, f"{what}: answered after {answered:.2f} s")
    expect(held.closed_after is not None, f"{what}: connection left open after the {want.status}")
    access = c.logging.access.fields
    lines = [line for line in _access_lines(c, run) if line[access.path] == path]
    expect(len(lines) == 1, f"{what}: want one access line for {path}, got {len(lines)}")
    logged = lines[0][access.status]
    expect(logged == want.status, f"{what}: logged status {logged}")
    labels = c.metrics.request_duration.prometheus_labels
    counted = [
        s
        for s in _samples(run)
        if s.name == f"{c.metrics.request_duration.prometheus_name}_count"
        and s.labels.get(labels[0]) == response.method
        and s.labels.get(labels[2]) == str(want.status)
    ]
    expect(bool(counted), f"{what}: no duration sample with status {want.status}")
    return f"{want.status} problem after {answered:.2f} s, connection closed, logged and counted"


def _slow_clients_shutdown(c: Contract, _: str, o: Observation) -> str:
    """Judge SIGTERM amid clients trickling headers and a body: exit 0 in SHUTDOWN_TIMEOUT_MS."""
    run = _finished(o.slow_clients)
    expect(run.exit_code is not None, "still running after SIGTERM amid slow clients")
    expect(run.exit_code == 0, f"exit code {run.exit_code}")
    took, limit = run.exit_seconds or 0.0, _shutdown_limit(run)
    expect(took <= limit, f"exited {took:.2f} s after SIGTERM, over {limit:g} s")
    said = [line.get(c.logging.fields.msg) for line in _logs(run)]
    expect(c.logging.messages.stopped in said, f"no {c.logging.messages.stopped!r} line")
    return f"exit 0 {took:.2f} s after SIGTERM with two slow clients connected"


def _no_lost_answers(c: Contract, _: str, o: Observation) -> str:
    """Judge keep-alive load at SIGTERM: every request logged as 200 reached its client."""
    expect(bool(o.keep_alive_load), "the scenario never ran")
    counts = []
    for number, loaded in enumerate(o.keep_alive_load, start=1):
        run = _finished(loaded)
        what = f"run {number} of {len(o.keep_alive_load)}"
        expect(run.exit_code is not None, f"{what}: still running after SIGTERM under load")
        expect(run.exit_code == 0, f"{what}: exit code {run.exit_code}")
        expect(run.received > 0, f"{what}: the clients got no answers at all")
        logged = run.logged.get("200", 0)
        expect(
            logged <= run.received,
            f"{what}: {logged} requests logged as 200, {run.received} answers received",
        )
        expect(logged == run.received, f"{what}: {run.received} answers received, {logged} logged")
        refused = sorted(set(run.other_statuses))
        expect(
            all(s == 503 for s in refused),
            f"{what}: refused with {refused}, want 503 or a closed connection",
        )
        counts.append(str(logged))
    return f"logged as 200 = received in every run ({', '.join(counts)}); exit 0"


# -- operability -----------------------------------------------------------------------------


def _printed_version(c: Contract, service: str, o: Observation) -> tuple[str, str] | None:
    """(version, revision) from the --version line, or None when it is not one well-formed line.

    The items that compare against it fall back to comparing with each other, so a broken
    --version fails its own item only.
    """
    run = o.version
    if run.error or run.exit_code != 0 or len(run.stdout) != 1:
        return None
    template = c.operability.version_line
    pattern = re.escape(template)
    for field_name, value in (
        ("name", re.escape(service)),
        ("version", r"(\S+)"),
        ("revision", r"(\S+)"),
    ):
        pattern = pattern.replace(re.escape("{" + field_name + "}"), value)
    found = re.fullmatch(pattern, run.stdout[0])
    return (found.group(1), found.group(2)) if found else None


def _version_flag(c: Contract, service: str, o: Observation) -> str:
    run = _finished(o.version)
    flag = c.operability.version_flag
    expect(
        run.exit_code == 0,
        f"{flag} exited {run.exit_code} (stderr: {' | '.join(run.stderr)[:200]})",
    )
    expect(
        len(run.stdout) == 1, f"{flag} printed {len(run.stdout)} lines, want 1: {run.stdout[:3]}"
    )
    want = c.operability.version_line
    expect(
        _printed_version(c, service, o) is not None,
        f"{flag} printed {run.stdout[0]!r}, want {want!r} with name {service!r}",
    )
    return f"{flag}: {run.stdout[0]!r}, exit 0, with PORT={run.env['PORT']} unread"


def _span_version(c: Contract, o: Observation) -> str:
    key = c.operability.version_attribute
    versions = {s.resource.get(key) for s in _finished(o.main).spans}
    expect(bool(versions), "no spans were exported")
    expect(
        len(versions) == 1, f"resource {key} differs between spans: {sorted(map(str, versions))}"
    )
    (version,) = versions
    if not isinstance(version, str) or not version:
        raise Failed(f"resource {key} is {version!r}")
    return version


def _service_version(c: Contract, service: str, o: Observation) -> str:
    version = _span_version(c, o)
    printed = _printed_version(c, service, o)
    if printed is not None:
        expect(
            version == printed[0],
            f"resource {c.operability.version_attribute} {version!r}, "
            f"{c.operability.version_flag} says {printed[0]!r}",
        )
    return f"{c.operability.version_attribute}={version!r} on every span"


def _build_info_labels(c: Contract, o: Observation) -> dict[str, str]:
    spec = c.operability.build_info
    samples = [s for s in _samples(_finished(o.main)) if s.name == spec.name]
    expect(len(samples) == 1, f"want one {spec.name} sample on METRICS_PORT, got {len(samples)}")
    (sample,) = samples
    expect(sample.value == 1, f"{spec.name} = {sample.value}, want 1")
    expect(
        sorted(sample.labels) == sorted(spec.labels),
        f"{spec.name} labels {sorted(sample.labels)}, want {sorted(spec.labels)}",
    )
    return dict(sample.labels)


def _build_info(c: Contract, service: str, o: Observation) -> str:
    spec = c.operability.build_info
    labels = _build_info_labels(c, o)
    name, version, revision, language = (labels[label] for label in spec.labels)
    expect(name == service, f"{spec.labels[0]}={name!r}, want {service!r}")
    expect(language in ("go", "rust"), f"{spec.labels[3]}={language!r}, want go or rust")
    printed = _printed_version(c, service, o)
    if printed is not None:
        expect(
            (version, revision) == printed,
            f"{spec.labels[1]}={version!r} {spec.labels[2]}={revision!r}, "
            f"--version says {printed[0]!r} {printed[1]!r}",
        )
    else:
        expect(bool(version) and bool(revision), f"empty version or revision: {labels}")
    return f"{spec.name}{labels} = 1"


def _metric_names(run: Run) -> set[str]:
    """Family and sample names on METRICS_PORT: a counter's family drops _total, its samples not."""
    text = _response(run, "metrics").body.decode("utf-8")
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    return names


def _process_metrics(c: Contract, _: str, o: Observation) -> str:
    names = _metric_names(_finished(o.main))
    missing = [name for name in c.operability.process_metrics if name not in names]
    expect(not missing, f"missing on METRICS_PORT: {', '.join(missing)}")
    return ", ".join(c.operability.process_metrics)


def _language(c: Contract, o: Observation) -> str:
    """Return the language build_info names, which decides the runtime metrics and variables."""
    spec = c.operability.build_info
    return _build_info_labels(c, o)[spec.labels[3]]


def _runtime_metrics(c: Contract, _: str, o: Observation) -> str:
    language = _language(c, o)
    # The model's fields only: a language label such as model_dump names no runtime.
    wanted: tuple[str, ...] = dict(c.operability.runtime_metrics).get(language, ())
    expect(
        bool(wanted),
        f"{c.operability.build_info.name} names no language with runtime metrics ({language!r})",
    )
    names = _metric_names(_finished(o.main))
    missing = [name for name in wanted if name not in names]
    expect(not missing, f"{language}: missing on METRICS_PORT: {', '.join(missing)}")
    return f"{language}: {', '.join(wanted)}"


def _profiling(c: Contract, _: str, o: Observation) -> str:
    """Go serves pprof on METRICS_PORT when asked; nothing ever serves it on PORT."""
    path, name = c.operability.profiling_path, c.operability.profiling_variable
    default = _response(_finished(o.main), "profiling")
    expect(default.status == 404, f"{path} on METRICS_PORT by default: {default.status}, want 404")
    run = _finished(o.profiling)
    public = _response(run, "public_port")
    expect(public.status == 404, f"{path} on PORT with {name}=true: {public.status}")
    served = _response(run, "metrics_port")
    language = _language(c, o)
    variable = next(e for e in c.env if e.name == name)
    if variable.applies_to(language):
        expect(
            served.status == 200 and b"goroutine" in served.body,
            f"{path} on METRICS_PORT with {name}=true: {served.status}, "
            "want 200 and the profile index",
        )
        return f"{path}: 200 on METRICS_PORT with {name}=true, else 404; PORT 404"
    expect(served.status == 404, f"{path} on METRICS_PORT of a {language} service: {served.status}")
    return f"{path}: 404 on both ports ({name} is not a {language} variable)"


# -- the probe build: panics, a handler's own errors, a client that leaves, a missed deadline ---


def _problem_body(c: Contract, response: Response, status: int, what: str) -> dict[str, Any]:
    """Return a problem document's members, once its status and content type are right."""
    expect(response.status == status, f"{what}: status {response.status}, want {status}")
    expect(
        response.content_type == c.problem.content_type,
        f"{what}: content type {response.content_type!r}",
    )
    body = response.json()
    expect(isinstance(body, dict), f"{what}: body {response.body!r}")
    missing = set(c.problem.fields) - set(body)
    expect(not missing, f"{what}: missing {sorted(missing)}")
    return dict(body)


def _members(body: dict[str, Any], want: dict[str, Any], c: Contract, what: str) -> None:
    """Expect exactly want's members (JSON types included), besides optional ones."""
    got = {key: body.get(key) for key in want}
    expect(
        json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True),
        f"{what}: members {got}, want {want}",
    )
    extra = set(body) - set(want) - set(c.problem.optional_fields)
    expect(not extra, f"{what}: unexpected members {sorted(extra)}")


def _panic(c: Contract, _: str, o: Observation) -> str:
    """Judge a panic: the internal problem, one ERROR line with the stack, still serving."""
    run = _finished(o.probe)
    spec = c.problem.errors.internal
    response = _response(run, "panic")
    body = _problem_body(c, response, spec.status, "a panicking handler")
    expect(
        (body["title"], body["detail"]) == (spec.title, spec.detail),
        f"a panicking handler: title/detail {body['title']!r}/{body['detail']!r}",
    )
    after = _response(run, "after_panic")
    expect(after.status == 200, f"the next request after a panic got {after.status}")
    message = c.probe.panic_message
    mentions = [line for line in run.stdout + run.stderr if message in line]
    expect(
        len(mentions) == 1,
        f"want one output line with the panic's message, got {len(mentions)}: {mentions[:3]}",
    )
    line = json.loads(mentions[0])
    expect(isinstance(line, dict), f"not a JSON object: {mentions[0][:200]}")
    f, event = c.logging.fields, c.logging.event_fields
    said = (line.get(f.level), line.get(f.msg))
    want = (c.logging.levels.error, c.logging.messages.panic_recovered)
    expect(said == want, f"level/msg {said}, want {want}")
    expect(message in str(line.get(event.error, "")), f"{event.error} {line.get(event.error)!r}")
    stack = line.get(event.stack)
    expect(
        isinstance(stack, str) and stack.count("\n") >= 2,
        f"no multi-line {event.stack!r} in the panic's line",
    )
    expect(line.get(f.trace_id) == TRACE_ID, "the panic's line lacks the request's trace id")
    logged = _access_line(c, run, response.path)[c.logging.access.fields.status]
    expect(logged == spec.status, f"the panic's request logged with status {logged}")
    return f"{spec.status} problem, one ERROR line with the stack and trace id, serving on"


def _panic_span(c: Contract, _: str, o: Observation) -> str:
    """Judge the span of a request whose handler panicked: it ends as an error."""
    run = _finished(o.probe)
    path = c.probe.routes.panic
    spans = [s for s in run.spans if s.attributes.get("url.path") == path]
    expect(len(spans) == 1, f"want 1 exported span for {path}, got {len(spans)}")
    span = spans[0]
    expect(span.trace_id == TRACE_ID, "the span is not in the request's trace")
    expect(span.status_code == "STATUS_CODE_ERROR", f"span status {span.status_code}")
    status = span.attributes.get("http.response.status_code")
    expect(status == c.problem.errors.internal.status, f"http.response.status_code {status}")
    error = c.tracing.error_attribute
    expect(bool(span.attributes.get(error)), f"no {error} attribute")
    return f"span status Error, {error}={span.attributes[error]}"


def _handler_problem(c: Contract, _: str, o: Observation) -> str:
    """Judge a handler's own problem: its status, type, title, detail and extensions kept."""
    run = _finished(o.probe)
    want = c.probe.problem
    response = _response(run, "problem")
    body = _problem_body(c, response, want.status, "a handler's own problem")
    members = {
        "type": want.type,
        "title": want.title,
        "status": want.status,
        "detail": want.detail,
        "instance": response.path,
        **want.extensions,
    }
    _members(body, members, c, "a handler's own problem")
    return f"{want.status} with its own type, detail and members {sorted(want.extensions)}"


def _bare_status(c: Contract, _: str, o: Observation) -> str:
    """Judge a 4xx/5xx a handler answers with no body: it still leaves as a problem."""
    run = _finished(o.probe)
    for code in BARE_STATUSES:
        response = _response(run, f"status_{code}")
        what = f"a bare {code}"
        body = _problem_body(c, response, code, what)
        members = {
            "type": c.problem.type,
            "title": HTTPStatus(code).phrase,
            "status": code,
            "detail": c.problem.bare_status_detail,
            "instance": response.path,
        }
        _members(body, members, c, what)
    return f"bare {', '.join(map(str, BARE_STATUSES))} answered as problems"


def _client_closed(c: Contract, _: str, o: Observation) -> str:
    """Judge a client that leaves a slow request: one access line and one sample, 499."""
    run = _finished(o.probe)
    status, path = c.http.client_closed_status, c.probe.routes.slow
    access = c.logging.access.fields
    before = Run(run.env, stdout=run.stdout[: run.stdout_at_signal])
    lines = [line for line in _access_lines(c, before) if line[access.path] == path]
    expect(len(lines) == 1, f"want one access line for the request left at {path}, got {lines}")
    logged = lines[0][access.status]
    expect(logged == status, f"the request its client left was logged with status {logged}")
    took = lines[0][access.duration]
    expect(
        isinstance(took, int | float)
        and EARLY * CLIENT_LEAVES_AFTER * 1000 <= took < c.probe.slow_ms,
        f"logged duration {took} ms; the client left after {CLIENT_LEAVES_AFTER * 1000:g} ms",
    )
    spec = c.metrics.request_duration
    route_label, status_label = spec.prometheus_labels[1], spec.prometheus_labels[2]
    counted = [
        s.value
        for s in _samples(run)
        if s.name == f"{spec.prometheus_name}_count"
        and s.labels.get(route_label) == path
        and s.labels.get(status_label) == str(status)
    ]
    expect(counted == [1], f"want one duration sample for {path} with {status}, got {counted}")
    return f"logged once with {status} after {took} ms, counted once"


def _deadline_flush(c: Contract, _: str, o: Observation) -> str:
    """Judge a missed shutdown deadline: the telemetry flushed, then the failure exit."""
    run = _finished(o.probe)
    expect(run.exit_code is not None, "still running after SIGTERM with a request in flight")
    want = c.shutdown.deadline_exit_code
    expect(run.exit_code == want, f"exit code {run.exit_code}, want {want}")
    f, messages = c.logging.fields, c.logging.messages
    after = Run(run.env, stdout=run.stdout[run.stdout_at_signal :])
    failed = [
        line
        for line in _logs(after)
        if line.get(f.msg) == messages.failed and line.get(f.level) == c.logging.levels.error
    ]
    expect(len(failed) == 1, f"want one {messages.failed!r} ERROR line after SIGTERM")
    expect(bool(run.export_answers), "no span export at exit: the telemetry was not flushed")
    took = run.exit_seconds or 0.0
    limit = (PROBE_SHUTDOWN_MS + c.shutdown.flush_min_ms) / 1000 + 1
    expect(took <= limit, f"exited {took:.2f} s after SIGTERM, over {limit:g} s")
    return f"spans flushed, exit {want} {took:.2f} s after SIGTERM ({PROBE_SHUTDOWN_MS} ms budget)"


def _export_retry(c: Contract, _: str, o: Observation) -> str:
    """Judge a batch the collector refuses with 503: it is sent again, and arrives."""
    run = _finished(o.probe)
    answers = run.export_answers
    refused = [503] * PROBE_REFUSED_EXPORTS
    expect(answers[: len(refused)] == refused, f"exports answered {answers}")
    expect(len(answers) > len(refused), "the refused export was never sent again")
    paths = {s.attributes.get("url.path") for s in run.spans}
    expect(c.probe.routes.problem in paths, "the refused spans never arrived")
    return f"refused with 503, sent again: {len(run.spans)} spans arrived ({answers})"
