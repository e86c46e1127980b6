"""`scaffold check --run`: build a service, run it, and verify every item of the platform contract.

Every expectation comes from the contract file (templates/shared/contract.yml), the same file the
templates render from, so templates, docs and checks cannot disagree. Each item checks one aspect
only, so a broken service fails exactly the items it breaks.
"""

from __future__ import annotations

import functools
import json
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.conformance._otlp import OtlpReceiver, ReceivedSpan
from generator.conformance._runtime import Response, RunningService, free_port
from generator.errors import ToolchainError
from generator.template import Contract

Progress = Callable[[str], None]

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TIME_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
HEX_ID = {32: re.compile(r"^[0-9a-f]{32}$"), 16: re.compile(r"^[0-9a-f]{16}$")}
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one contract item."""

    item: str
    passed: bool
    detail: str
    diff: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"item": self.item, "passed": self.passed, "detail": self.detail}
        if self.diff:
            out["diff"] = self.diff
        return out


class Failed(Exception):
    """An expectation of the contract that the service did not meet."""


@dataclass
class Report:
    """Collects results; a check that raises fails only its own item."""

    results: list[CheckResult] = field(default_factory=list)

    def check(self, item: str, verify: Callable[[], str]) -> bool:
        try:
            detail = verify()
        except Failed as failure:
            self.results.append(CheckResult(item, False, str(failure)))
            return False
        except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
            self.results.append(CheckResult(item, False, f"{type(error).__name__}: {error}"))
            return False
        self.results.append(CheckResult(item, True, detail))
        return True

    def fail(self, item: str, detail: str) -> None:
        self.results.append(CheckResult(item, False, detail))

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)


def expect(condition: bool, message: str) -> None:
    """Raise Failed with the message unless the condition holds."""
    if not condition:
        raise Failed(message)


@dataclass
class Observation:
    """Everything seen during the main run, analysed by the checks afterwards."""

    responses: dict[str, Response] = field(default_factory=dict)
    logs: list[dict[str, Any]] = field(default_factory=list)
    raw_lines: list[str] = field(default_factory=list)
    spans: list[ReceivedSpan] = field(default_factory=list)
    metrics_text: str = ""
    public_metrics: Response | None = None
    in_flight_reply: bytes = b""
    alive_after_signal: bool = False
    exit_code: int | None = None
    shutdown_seconds: float = 0.0
    port: int = 0


class ContractChecker:
    """Runs the contract scenarios against one built binary."""

    def __init__(self, binary: Path, service_name: str, contract: Contract) -> None:
        self.binary = binary
        self.service = service_name
        self.c = contract.model_dump()
        self.fields = self.c["logging"]["fields"]
        self.access = self.c["logging"]["access"]["fields"]
        self.routes = self.c["routes"]
        self.hello_path = self.routes["hello"].replace("{name}", "world")
        self.late_path = self.routes["hello"].replace("{name}", "late")
        self.shutdown_limit = 5.0
        # What the main run saw, kept for comparing languages with each other.
        self.observation: Observation | None = None

    # -- scenarios -----------------------------------------------------------------------

    def run(self, progress: Progress) -> Report:
        report = Report()
        progress("checking that invalid configuration fails fast")
        self._check_config(report)
        progress("running the service against a local OTLP receiver")
        seen = self._main_run()
        self.observation = seen
        self._check_main(report, seen)
        progress("running with OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none")
        self._check_otel_switches(report)
        progress("running with no collector listening")
        self._check_no_collector(report)
        return report

    def _service(self, env: Mapping[str, str]) -> RunningService:
        base = {"SHUTDOWN_TIMEOUT_MS": str(int(self.shutdown_limit * 1000)), "LOG_LEVEL": "info"}
        return RunningService(self.binary, env={**base, **env})

    def _main_run(self) -> Observation:
        seen = Observation()
        with (
            OtlpReceiver() as receiver,
            self._service(
                {
                    "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                    "OTEL_BSP_SCHEDULE_DELAY": "100",
                    "HTTP_MAX_BODY_BYTES": "1024",
                }
            ) as svc,
        ):
            seen.port = svc.port
            try:
                svc.wait_ready()
            except ToolchainError as error:
                seen.raw_lines = svc.stdout_lines
                seen.responses["startup"] = Response(0, {}, str(error).encode())
                return seen
            r = seen.responses
            r["livez"] = svc.request("GET", self.routes["liveness"])
            r["readyz"] = svc.request("GET", self.routes["readiness"])
            r["hello"] = svc.request(
                "GET", self.hello_path, headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"}
            )
            r["404"] = svc.request("GET", "/no/such/path")
            r["405"] = svc.request("DELETE", self.hello_path)
            r["413"] = svc.request("POST", self.hello_path, body=b"x" * 4096)
            seen.public_metrics = svc.request("GET", self.routes["metrics"])
            seen.metrics_text = _get_text(svc.metrics_port, self.routes["metrics"])
            # Spans leave in batches every 100 ms; wait for them before shutting down, so the
            # trace items do not depend on the shutdown items.
            _wait_for(lambda: len(receiver.spans) >= 4, timeout=5)
            seen.in_flight_reply, seen.alive_after_signal, elapsed = in_flight_shutdown(
                svc, self.late_path
            )
            try:
                seen.exit_code = svc.wait(timeout=self.shutdown_limit + 5)
            except subprocess.TimeoutExpired:
                seen.exit_code = None
            seen.shutdown_seconds = elapsed()
            seen.raw_lines = list(svc.stdout_lines)
            time.sleep(0.2)
            seen.spans = list(receiver.spans)
        seen.logs = _parse_lines(seen.raw_lines)
        return seen

    # -- items ---------------------------------------------------------------------------

    def _check_config(self, report: Report) -> None:
        want_code = self.c["startup_failure_exit_code"]
        error_level = self.c["logging"]["levels"]["error"]

        def refused(name: str, value: str) -> str:
            setting = f"{name}={value!r}"
            with self._service({name: value}) as svc:
                started = time.monotonic()
                try:
                    code = svc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    raise Failed(f"still running 10 s after {setting}") from None
                took = time.monotonic() - started
                expect(code == want_code, f"{setting}: exit code {code}, want {want_code}")
                logs = _parse_lines(svc.stdout_lines)
                errors = [line for line in logs if line.get(self.fields["level"]) == error_level]
                expect(
                    len(errors) == 1,
                    f"{setting}: want one JSON {error_level} line, got {svc.stdout_lines!r}",
                )
                expect(name in json.dumps(errors[0]), f"{setting}: the error does not name {name}")
            return f"{setting} in {took:.2f} s"

        def verify() -> str:
            examples = self.c["invalid_config_examples"]
            checked = [refused(e["name"], str(e["value"])) for e in examples]
            return (
                f"exit {want_code} with one JSON {error_level} line naming the variable: "
                + ", ".join(checked)
            )

        report.check("config.invalid_value_fails_fast", verify)

    def _check_main(self, report: Report, seen: Observation) -> None:
        if "startup" in seen.responses:
            report.fail("startup", seen.responses["startup"].body.decode())
            return
        r = seen.responses
        health = self.c["health"]
        status_key = health["status_key"]

        def health_check(key: str) -> Callable[[], str]:
            def verify() -> str:
                response = r[key]
                expect(response.status == 200, f"status {response.status}")
                expect(response.json() == {status_key: health["ok"]}, f"body {response.body!r}")
                return f"200 {response.body.decode()}"

            return verify

        report.check("health.liveness", health_check("livez"))
        report.check("health.readiness", health_check("readyz"))
        report.check("route.example", lambda: self._verify_hello(r["hello"]))
        for key, error in (
            ("404", "not_found"),
            ("405", "method_not_allowed"),
            ("413", "payload_too_large"),
        ):
            report.check(f"problem.{key}", self._problem_verifier(r[key], error))
        report.check("logs.schema", lambda: self._verify_log_schema(seen))
        report.check("logs.access", lambda: self._verify_access_log(seen))
        report.check("route.template", lambda: self._verify_route_template(seen))
        report.check("trace.propagation", lambda: self._verify_propagation(seen))
        report.check("trace.server_span", lambda: self._verify_span(seen))
        report.check("trace.untraced_paths", lambda: self._verify_untraced(seen))
        report.check("metrics.exposed", lambda: self._verify_metrics(seen))
        report.check("shutdown.graceful", lambda: self._verify_shutdown(seen))
        report.check("shutdown.flushes_spans", self._verify_flush)

    def _verify_hello(self, response: Response) -> str:
        expect(response.status == 200, f"status {response.status}")
        expect(
            response.content_type.startswith("application/json"),
            f"content type {response.content_type!r}",
        )
        want = {self.c["hello"]["message_key"]: f"{self.c['hello']['message_prefix']}world"}
        expect(response.json() == want, f"body {response.body!r}, want {want}")
        return f"200 {response.body.decode()}"

    def _problem_verifier(self, response: Response, error: str) -> Callable[[], str]:
        spec = self.c["problem"]
        want = spec["errors"][error]

        def verify() -> str:
            expect(response.status == want["status"], f"status {response.status}")
            expect(
                response.content_type == spec["content_type"],
                f"content type {response.content_type!r}",
            )
            body = response.json()
            keys = set(body)
            allowed = set(spec["fields"]) | set(spec["optional_fields"])
            expect(set(spec["fields"]) <= keys <= allowed, f"keys {sorted(keys)}")
            expect(
                body["status"] == want["status"] and body["title"] == want["title"],
                f"status/title {body['status']!r}/{body['title']!r}",
            )
            expect(body["type"] == spec["type"], f"type {body['type']!r}")
            return f"{response.status} {spec['content_type']} {sorted(keys)}"

        return verify

    def _verify_log_schema(self, seen: Observation) -> str:
        expect(bool(seen.raw_lines), "no log output")
        expect(len(seen.logs) == len(seen.raw_lines), "a stdout line is not a JSON object")
        f = self.fields
        levels = set(self.c["logging"]["levels"].values())
        for line in seen.logs:
            for key in (f["time"], f["level"], f["msg"], f["service"]):
                expect(key in line, f"missing {key!r} in {line}")
            expect(bool(TIME_FORMAT.match(str(line[f["time"]]))), f"time {line[f['time']]!r}")
            expect(line[f["level"]] in levels, f"level {line[f['level']]!r}")
            expect(line[f["service"]] == self.service, f"service {line[f['service']]!r}")
        keys = ", ".join(f[k] for k in ("time", "level", "msg", "service"))
        return f"{len(seen.logs)} JSON lines with {keys}"

    def _access_lines(self, seen: Observation) -> list[dict[str, Any]]:
        return [line for line in seen.logs if self.access["path"] in line]

    def _verify_access_log(self, seen: Observation) -> str:
        lines = self._access_lines(seen)
        paths = [line[self.access["path"]] for line in lines]
        health = {self.routes["liveness"], self.routes["readiness"]}
        expect(not health & set(paths), "health probes were access-logged")
        expected = [self.hello_path, "/no/such/path", self.hello_path, self.hello_path]
        expect(paths[:4] == expected, f"access-logged paths {paths}, want {expected} first")
        keys = {self.fields[k] for k in ("time", "level", "msg", "service", "trace_id", "span_id")}
        keys |= set(self.access.values())
        statuses = []
        for line in lines[:4]:
            extra = set(line) - keys
            expect(not extra, f"unexpected keys {sorted(extra)}")
            missing = set(self.access.values()) - set(line)
            expect(not missing, f"missing keys {sorted(missing)}")
            expect(
                line[self.fields["msg"]] == self.c["logging"]["access"]["msg"],
                f"msg {line[self.fields['msg']]!r}",
            )
            status = line[self.access["status"]]
            expect(isinstance(status, int), f"status code {status!r} is not an integer")
            expect(isinstance(line[self.access["duration"]], int | float), "duration not a number")
            statuses.append(status)
        expect(statuses == [200, 404, 405, 413], f"statuses {statuses}")
        expect(lines[1][self.access["route"]] == "", 'unmatched route is not ""')
        return f"{len(lines)} access lines, keys {sorted(self.access.values())}"

    def _hello_span(self, seen: Observation) -> ReceivedSpan:
        spans = [
            s
            for s in seen.spans
            if s.attributes.get("url.path") == self.hello_path and s.trace_id == TRACE_ID
        ]
        expect(len(spans) == 1, f"want 1 exported span for {self.hello_path}, got {len(spans)}")
        return spans[0]

    def _verify_route_template(self, seen: Observation) -> str:
        route = self.routes["hello"]
        lines = [
            line
            for line in self._access_lines(seen)
            if line[self.access["path"]] == self.hello_path
        ]
        expect(bool(lines), "no access line for the example route")
        expect(
            lines[0].get(self.access["route"]) == route,
            f"access log http.route {lines[0].get(self.access['route'])!r}, want {route!r}",
        )
        span = self._hello_span(seen)
        expect(
            span.attributes.get("http.route") == route,
            f"span http.route {span.attributes.get('http.route')!r}",
        )
        expect(span.name == f"GET {route}", f"span name {span.name!r}")
        labels = [s for s in _samples(seen.metrics_text) if s[1].get("http_route") == route]
        expect(bool(labels), f"no metric sample with http_route={route!r}")
        return f"{route} in the access log, span name, span attribute and metric label"

    def _verify_propagation(self, seen: Observation) -> str:
        span = self._hello_span(seen)
        expect(
            span.parent_span_id == PARENT_ID, f"parent {span.parent_span_id!r}, want {PARENT_ID}"
        )
        lines = [
            line
            for line in self._access_lines(seen)
            if line[self.access["path"]] == self.hello_path
        ]
        line = lines[0]
        trace_key, span_key = self.fields["trace_id"], self.fields["span_id"]
        expect(line.get(trace_key) == TRACE_ID, f"access log {trace_key} {line.get(trace_key)!r}")
        expect(
            line.get(span_key) == span.span_id,
            f"access log {span_key} {line.get(span_key)!r}, span {span.span_id}",
        )
        return f"trace {TRACE_ID} parent {PARENT_ID} in span and access log"

    def _verify_span(self, seen: Observation) -> str:
        span = self._hello_span(seen)
        tracing = self.c["tracing"]
        expect(span.kind == f"SPAN_KIND_{tracing['span_kind']}", f"kind {span.kind}")
        route = span.attributes.get("http.route", "")
        expect(span.name == f"GET {route}", f"name {span.name!r} does not match its http.route")
        want = tracing["attributes"]
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
        expect(name == self.service, f"resource service.name {name!r}, want {self.service!r}")
        errors = [s for s in seen.spans if s.attributes.get("http.response.status_code", 0) >= 500]
        for s in errors:
            expect(s.status_code == "STATUS_CODE_ERROR", "5xx span without error status")
        return f"{span.name!r} SERVER, {len(want)} attributes, service.name={name}"

    def _verify_untraced(self, seen: Observation) -> str:
        expect(bool(seen.spans), "no spans exported at all")
        paths = {s.attributes.get("url.path") for s in seen.spans}
        health = {self.routes["liveness"], self.routes["readiness"], self.routes["metrics"]}
        expect(not paths & health, f"spans for {sorted(str(p) for p in paths & health)}")
        return f"no spans for {sorted(health)}"

    def _verify_metrics(self, seen: Observation) -> str:
        spec = self.c["metrics"]["request_duration"]
        expect(
            seen.public_metrics is not None and seen.public_metrics.status == 404,
            f"{self.routes['metrics']} must not be served on PORT",
        )
        samples = _samples(seen.metrics_text)
        name = spec["prometheus_name"]
        buckets = [s for s in samples if s[0] == f"{name}_bucket"]
        expect(bool(buckets), f"no {name}_bucket samples on METRICS_PORT")
        want = set(spec["prometheus_labels"])
        for _, labels, _ in buckets:
            got = set(labels) - {"le"}
            expect(got == want, f"labels {sorted(got)}, want {sorted(want)}")
        counts = [s for s in samples if s[0] == f"{name}_count"]
        expect(bool(counts), f"no {name}_count")
        return f"{name} with labels {sorted(want)} on METRICS_PORT only"

    def _verify_shutdown(self, seen: Observation) -> str:
        expect(seen.alive_after_signal, "the process exited while a request was in flight")
        expect(
            seen.in_flight_reply.startswith(b"HTTP/1.1 200"),
            f"in-flight request got {seen.in_flight_reply[:60]!r}",
        )
        expect(seen.exit_code == 0, f"exit code {seen.exit_code}")
        expect(
            seen.shutdown_seconds <= self.shutdown_limit,
            f"took {seen.shutdown_seconds:.2f} s, limit {self.shutdown_limit} s",
        )
        return f"in-flight request finished, exit 0 after {seen.shutdown_seconds:.2f} s"

    def _verify_flush(self) -> str:
        """With a 60 s batch delay, a span can only reach the receiver through the flush."""
        with (
            OtlpReceiver() as receiver,
            self._service(
                {
                    "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                    "OTEL_BSP_SCHEDULE_DELAY": "60000",
                }
            ) as svc,
        ):
            svc.wait_ready()
            expect(svc.request("GET", self.late_path).status == 200, "request failed")
            svc.signal(signal.SIGTERM)
            try:
                code = svc.wait(timeout=self.shutdown_limit + 5)
            except subprocess.TimeoutExpired:
                raise Failed("did not exit after SIGTERM") from None
            _wait_for(lambda: bool(receiver.spans), timeout=1)
            late = [s for s in receiver.spans if s.attributes.get("url.path") == self.late_path]
            expect(bool(late), "the pending span was not flushed at shutdown")
            expect(code == 0, f"exit code {code}")
        return "pending span flushed on SIGTERM (batch delay 60 s), exit 0"

    def _check_otel_switches(self, report: Report) -> None:
        for item, env, want_ids in (
            ("otel.sdk_disabled", {"OTEL_SDK_DISABLED": "true"}, False),
            ("otel.traces_exporter_none", {"OTEL_TRACES_EXPORTER": "none"}, True),
        ):
            report.check(item, functools.partial(self._verify_switch, env, want_ids))

    def _verify_switch(self, env: Mapping[str, str], want_ids: bool) -> str:
        with (
            OtlpReceiver() as receiver,
            self._service(
                {
                    **env,
                    "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                    "OTEL_BSP_SCHEDULE_DELAY": "50",
                }
            ) as svc,
        ):
            svc.wait_ready()
            headers = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"}
            response = svc.request("GET", self.hello_path, headers=headers)
            expect(response.status == 200, f"status {response.status}")
            time.sleep(0.3)
            svc.signal(signal.SIGTERM)
            code = svc.wait(timeout=self.shutdown_limit + 5)
            time.sleep(0.2)
            expect(code == 0, f"exit code {code}")
            expect(not receiver.spans, f"{len(receiver.spans)} spans exported")
            line = next(
                x for x in self._access_lines_of(svc) if x[self.access["path"]] == self.hello_path
            )
            has_ids = self.fields["trace_id"] in line
            expect(
                has_ids == want_ids,
                f"trace_id {'missing from' if want_ids else 'present in'} the access log",
            )
        return f"{json.dumps(dict(env))}: nothing exported, trace ids in logs: {want_ids}"

    def _access_lines_of(self, svc: RunningService) -> list[dict[str, Any]]:
        return [line for line in _parse_lines(svc.stdout_lines) if self.access["path"] in line]

    def _check_no_collector(self, report: Report) -> None:
        def verify() -> str:
            dead = f"http://127.0.0.1:{free_port()}"
            with self._service(
                {"OTEL_EXPORTER_OTLP_ENDPOINT": dead, "OTEL_BSP_SCHEDULE_DELAY": "50"}
            ) as svc:
                started = time.monotonic()
                svc.wait_ready()
                ready = time.monotonic() - started
                statuses = [svc.request("GET", self.hello_path).status for _ in range(100)]
                expect(statuses == [200] * 100, f"{statuses.count(200)}/100 requests succeeded")
                time.sleep(0.2)
                svc.signal(signal.SIGTERM)
                stopping = time.monotonic()
                try:
                    code = svc.wait(timeout=self.shutdown_limit + 5)
                except subprocess.TimeoutExpired:
                    raise Failed("did not exit after SIGTERM") from None
                took = time.monotonic() - stopping
            expect(code == 0, f"exit code {code}")
            expect(took < self.shutdown_limit, f"shutdown took {took:.2f} s")
            return f"ready in {ready:.2f} s, 100/100 requests ok, exit 0 in {took:.2f} s"

        report.check("collector.missing", verify)


def _wait_for(condition: Callable[[], bool], timeout: float) -> None:
    """Poll until condition() holds or the timeout passes (the caller checks the outcome)."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def _parse_lines(lines: list[str]) -> list[dict[str, Any]]:
    parsed = []
    for line in lines:
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            parsed.append(value)
    return parsed


def _get_text(port: int, path: str) -> str:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().read().decode("utf-8", "replace")
    except OSError:
        return ""
    finally:
        conn.close()


def _samples(text: str) -> list[tuple[str, dict[str, str], str]]:
    out = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        if match:
            labels = dict(LABEL.findall(match.group(3) or ""))
            out.append((match.group(1), labels, match.group(4)))
    return out


def in_flight_shutdown(svc: RunningService, path: str) -> tuple[bytes, bool, Callable[[], float]]:
    """Start a request, send SIGTERM mid-request, finish it; report reply and liveness."""
    conn = socket.create_connection(("127.0.0.1", svc.port), timeout=10)
    conn.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n".encode())
    time.sleep(0.3)
    svc.signal(signal.SIGTERM)
    signalled = time.monotonic()
    time.sleep(0.5)
    alive = svc.process is not None and svc.process.poll() is None
    reply = b""
    try:
        conn.sendall(b"Connection: close\r\n\r\n")
        while chunk := conn.recv(65536):
            reply += chunk
    except OSError:
        pass
    finally:
        conn.close()
    return reply, alive, lambda: time.monotonic() - signalled
