"""The scenarios of `scaffold check --run`: start the built service, drive it, record everything.

Nothing here judges. Each scenario fills its part of an Observation and _verify decides. A
service that crashes, hangs or answers garbage is recorded as doing so (Run.error,
Run.unanswered), so it fails the items that depend on it instead of stopping the checker.
"""

from __future__ import annotations

import http.client
import json
import selectors
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.conformance._observation import (
    AFTER_NAME,
    BARE_STATUSES,
    CLIENT_LEAVES_AFTER,
    DRAIN_DELAY_MS,
    HELLO_NAME,
    IDLE_NAME,
    LOAD_CONNECTIONS,
    LOAD_NAME,
    LOAD_ROUNDS,
    LOAD_SECONDS,
    LONG_DRAIN_DELAY_MS,
    NOT_UTF8,
    OTHER_METHODS,
    PROBE_REFUSED_EXPORTS,
    PROBE_SHUTDOWN_MS,
    PROVOKED_ERRORS,
    SLOW_BODY_NAME,
    SLOW_HEADER_TIMEOUT_MS,
    SLOW_IDLE_TIMEOUT_MS,
    SLOW_REQUEST_TIMEOUT_MS,
    TRACEPARENT,
    TRICKLE_NAME,
    BurstRun,
    Held,
    LoadRun,
    MainRun,
    Observation,
    ProbeRun,
    Run,
    SlowRun,
)
from generator.conformance._otlp import OtlpReceiver
from generator.conformance._runtime import RunningService, free_port
from generator.errors import ScaffoldError
from generator.template import Contract

Progress = Callable[[str], None]

# The main run caps request bodies at MAX_BODY_BYTES and sends one four times as large.
MAX_BODY_BYTES = 1024
UNKNOWN_PATH = "/no/such/path"
# `--version` must print without reading the configuration, so the run gives it an invalid one.
VERSION_RUN_PORT = "not-a-port"
LATE_NAME = "late"
BURST = 100


@dataclass(frozen=True)
class Limits:
    """How long the scenarios wait for a service; tests shorten them for fakes that hang."""

    ready: float = 20.0  # for the readiness route to answer 200
    refusal: float = 10.0  # for a process given an invalid configuration to exit
    shutdown: float = 5.0  # SHUTDOWN_TIMEOUT_MS given to the service, in seconds

    @property
    def exit(self) -> float:
        """How long a process may take to exit after SIGTERM before it counts as hung."""
        return self.shutdown + 5


def observe(
    binary: Path,
    contract: Contract,
    progress: Progress = lambda _: None,
    limits: Limits = Limits(),
    probe: Path | None = None,
) -> Observation:
    """Run every scenario against the binary and return what each one saw.

    probe is the service's probe build (the contract's probe section); without it the probe
    run records why it could not run, and the items judged from it fail.
    """
    scenarios = _Scenarios(binary, contract, limits)
    progress("checking that invalid configuration fails fast")
    invalid = [
        scenarios.refusal({example.name: example.value})
        for example in contract.invalid_config_examples
    ]
    progress("running the service against a local OTLP receiver")
    main = scenarios.main()
    progress("checking that pending spans are flushed at shutdown")
    flush = scenarios.shutdown_flush()
    progress("running with OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none")
    sdk_disabled = scenarios.switch({"OTEL_SDK_DISABLED": "true"})
    exporter_none = scenarios.switch({"OTEL_TRACES_EXPORTER": "none"})
    progress("running with no collector listening")
    no_collector = scenarios.no_collector()
    progress("sending what hostile and broken clients send, over IPv4 and IPv6")
    hostile = scenarios.hostile()
    progress("checking the drain delay and a second shutdown signal")
    drain = scenarios.drain()
    second_signal = scenarios.second_signal()
    progress("holding connections open as slow clients do")
    slow_clients = scenarios.slow_clients()
    progress("shutting down under keep-alive load")
    keep_alive_load = [scenarios.keep_alive_load() for _ in range(LOAD_ROUNDS)]
    progress("asking the binary its version, and for profiles")
    version = scenarios.version()
    profiling = scenarios.profiling()
    progress("making the probe build panic, fail, lose a client and miss its shutdown deadline")
    probed = scenarios.probe(probe)
    return Observation(
        invalid,
        main,
        flush,
        sdk_disabled,
        exporter_none,
        no_collector,
        hostile,
        drain,
        second_signal,
        slow_clients,
        keep_alive_load,
        version,
        profiling,
        probed,
    )


@dataclass(frozen=True)
class _Scenarios:
    binary: Path
    contract: Contract
    limits: Limits

    def _path(self, name: str) -> str:
        return self.contract.routes.hello.replace("{name}", name)

    def _env(self, **extra: str) -> dict[str, str]:
        base = {"SHUTDOWN_TIMEOUT_MS": str(int(self.limits.shutdown * 1000)), "LOG_LEVEL": "info"}
        return {**base, **extra}

    def _traced_env(self, receiver: OtlpReceiver) -> dict[str, str]:
        """Spans to the receiver in 100 ms batches, and bodies capped at MAX_BODY_BYTES."""
        return self._env(
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_BSP_SCHEDULE_DELAY="100",
            HTTP_MAX_BODY_BYTES=str(MAX_BODY_BYTES),
        )

    def refusal(self, setting: Mapping[str, str]) -> Run:
        """Start with one invalid value; the service should exit at once."""
        run = Run(self._env(**setting))

        def drive(svc: RunningService) -> None:
            started = time.monotonic()
            run.exit_code = _exit_code(svc, self.limits.refusal)
            if run.exit_code is not None:
                run.exit_seconds = time.monotonic() - started

        self._record(run, drive, ready=False)
        return run

    def main(self) -> MainRun:
        """Every route, the errors a request can provoke, /metrics, then SIGTERM mid-request."""
        routes = self.contract.routes
        hello = self._path(HELLO_NAME)
        provoke = {
            "bad_request": ("GET", self._path(NOT_UTF8), None),
            "not_found": ("GET", UNKNOWN_PATH, None),
            "method_not_allowed": ("DELETE", hello, None),
            "payload_too_large": ("POST", hello, b"x" * (4 * MAX_BODY_BYTES)),
        }
        untraced = {routes.liveness, routes.readiness, routes.metrics}
        with OtlpReceiver() as receiver:
            run = MainRun(self._traced_env(receiver))

            def drive(svc: RunningService) -> None:
                _ask(svc, run, "livez", "GET", routes.liveness)
                _ask(svc, run, "readyz", "GET", routes.readiness)
                _ask(svc, run, "hello", "GET", hello, headers={"traceparent": TRACEPARENT})
                for error in PROVOKED_ERRORS:
                    method, path, body = provoke[error]
                    _ask(svc, run, error, method, path, body=body)
                _ask(svc, run, "public_metrics", "GET", routes.metrics)
                _ask(svc, run, "metrics", "GET", routes.metrics, port=svc.metrics_port)
                # Spans leave in batches every 100 ms; wait for them before shutting down, so
                # the trace items do not depend on the shutdown items.
                traced = sum(r.path not in untraced for r in run.responses.values())
                _wait_for(lambda: len(receiver.spans) >= traced, timeout=5)
                profiles = self.contract.operability.profiling_path
                _ask(svc, run, "profiling", "GET", profiles, port=svc.metrics_port)
                run.in_flight_reply, run.alive_after_signal, elapsed = in_flight_shutdown(
                    svc, self._path(LATE_NAME)
                )
                run.exit_code = _exit_code(svc, self.limits.exit)
                run.exit_seconds = elapsed()
                time.sleep(0.2)  # spans sent at exit may still be on their way

            self._record(run, drive)
            run.spans = list(receiver.spans)
        return run

    def shutdown_flush(self) -> Run:
        """With a 60 s batch delay, a span can only reach the receiver through the flush."""
        with OtlpReceiver() as receiver:
            run = Run(
                self._env(
                    OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY="60000"
                )
            )

            def drive(svc: RunningService) -> None:
                _ask(svc, run, "late", "GET", self._path(LATE_NAME))
                self._terminate(svc, run)
                _wait_for(lambda: bool(receiver.spans), timeout=1)

            self._record(run, drive)
            run.spans = list(receiver.spans)
        return run

    def switch(self, setting: Mapping[str, str]) -> Run:
        """One traced request with an OTel switch set and a receiver listening."""
        with OtlpReceiver() as receiver:
            run = Run(
                self._env(
                    **setting,
                    OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                    OTEL_BSP_SCHEDULE_DELAY="50",
                )
            )

            def drive(svc: RunningService) -> None:
                path = self._path(HELLO_NAME)
                _ask(svc, run, "hello", "GET", path, headers={"traceparent": TRACEPARENT})
                time.sleep(0.3)  # six batch delays: anything exported has arrived
                self._terminate(svc, run)
                time.sleep(0.2)

            self._record(run, drive)
            run.spans = list(receiver.spans)
        return run

    def no_collector(self) -> BurstRun:
        """Send a burst of requests while every span export fails."""
        dead = f"http://127.0.0.1:{free_port()}"
        run = BurstRun(self._env(OTEL_EXPORTER_OTLP_ENDPOINT=dead, OTEL_BSP_SCHEDULE_DELAY="50"))

        def drive(svc: RunningService) -> None:
            path = self._path(HELLO_NAME)
            run.statuses = [svc.request("GET", path).status for _ in range(BURST)]
            time.sleep(0.2)  # let the exporter fail a few times before shutting down
            self._terminate(svc, run)

        self._record(run, drive)
        return run

    def hostile(self) -> Run:
        """Unknown methods, a path that is not UTF-8, an oversize chunked body; both families.

        The metrics scrape comes last, so it holds every series the other requests made.
        """
        routes = self.contract.routes
        hello = self._path(HELLO_NAME)
        families = {"ipv4": "127.0.0.1", "ipv6": "::1"}
        with OtlpReceiver() as receiver:
            run = Run(self._traced_env(receiver))

            def drive(svc: RunningService) -> None:
                for method in OTHER_METHODS:
                    _ask(svc, run, f"method_{method}", method, hello)
                _ask(svc, run, "not_utf8", "GET", self._path(NOT_UTF8))
                _ask(svc, run, "after_not_utf8", "GET", self._path(AFTER_NAME))
                body = b"x" * (4 * MAX_BODY_BYTES)
                _ask(svc, run, "chunked_oversize", "GET", hello, body=body, chunked=True)
                for family, host in families.items():
                    _ask(svc, run, f"{family}_public", "GET", routes.readiness, host=host)
                    _ask(
                        svc,
                        run,
                        f"{family}_metrics",
                        "GET",
                        routes.metrics,
                        port=svc.metrics_port,
                        host=host,
                    )
                traced = len(OTHER_METHODS) + 3
                _wait_for(lambda: len(receiver.spans) >= traced, timeout=5)
                _ask(svc, run, "metrics", "GET", routes.metrics, port=svc.metrics_port)
                self._terminate(svc, run)

            self._record(run, drive)
            run.spans = list(receiver.spans)
        return run

    def drain(self) -> Run:
        """SIGTERM with a drain delay: readiness says draining while the routes keep serving."""
        routes = self.contract.routes
        run = Run(self._env(SHUTDOWN_DRAIN_DELAY_MS=str(DRAIN_DELAY_MS)))

        def drive(svc: RunningService) -> None:
            svc.signal(signal.SIGTERM)
            signalled = time.monotonic()
            time.sleep(0.2)
            _ask(svc, run, "readyz_draining", "GET", routes.readiness)
            _ask(svc, run, "hello_draining", "GET", self._path(HELLO_NAME))
            _ask(svc, run, "livez_draining", "GET", routes.liveness)
            run.exit_code = _exit_code(svc, DRAIN_DELAY_MS / 1000 + self.limits.exit)
            if run.exit_code is not None:
                run.exit_seconds = time.monotonic() - signalled

        self._record(run, drive)
        return run

    def second_signal(self) -> Run:
        """Send SIGTERM twice during a long drain delay: the second ends the process at once."""
        run = Run(self._env(SHUTDOWN_DRAIN_DELAY_MS=str(LONG_DRAIN_DELAY_MS)))

        def drive(svc: RunningService) -> None:
            svc.signal(signal.SIGTERM)
            time.sleep(0.3)
            self._terminate(svc, run)

        self._record(run, drive)
        return run

    def slow_clients(self) -> SlowRun:
        """Clients that trickle headers, idle, or trickle a body; then SIGTERM amid two of them.

        The timeouts are short. Each client sends its bytes and waits, up to its timeout and
        SLOW_WAIT more, for the service to answer and to close the connection.
        """
        run = SlowRun(
            self._env(
                HTTP_READ_HEADER_TIMEOUT_MS=str(SLOW_HEADER_TIMEOUT_MS),
                HTTP_IDLE_TIMEOUT_MS=str(SLOW_IDLE_TIMEOUT_MS),
                HTTP_REQUEST_TIMEOUT_MS=str(SLOW_REQUEST_TIMEOUT_MS),
            )
        )
        half_headers = f"GET {self._path(HELLO_NAME)} HTTP/1.1\r\nHost: localhost\r\n"
        idle = f"GET {self._path(IDLE_NAME)} HTTP/1.1\r\nHost: localhost\r\n\r\n"
        slow_body = (
            f"GET {self._path(SLOW_BODY_NAME)} HTTP/1.1\r\nHost: localhost\r\n"
            "Content-Length: 100\r\n\r\n" + "x" * 10
        )

        def drive(svc: RunningService) -> None:
            run.half_headers = _hold(svc.port, half_headers, SLOW_HEADER_TIMEOUT_MS)
            run.idle = _hold(svc.port, idle, SLOW_IDLE_TIMEOUT_MS)
            run.slow_body = _hold(svc.port, slow_body, SLOW_REQUEST_TIMEOUT_MS)
            _ask(svc, run, "metrics", "GET", self.contract.routes.metrics, port=svc.metrics_port)
            # Under another name, so the slow-body item judges only its own request.
            at_shutdown = (half_headers, slow_body.replace(SLOW_BODY_NAME, TRICKLE_NAME))
            trickling = [
                socket.create_connection(("127.0.0.1", svc.port), timeout=5) for _ in at_shutdown
            ]
            try:
                for conn, data in zip(trickling, at_shutdown, strict=True):
                    conn.sendall(data.encode())
                time.sleep(0.1)  # both requests are in progress, not just in a socket buffer
                self._terminate(svc, run)
            finally:
                for conn in trickling:
                    conn.close()

        self._record(run, drive)
        return run

    def keep_alive_load(self) -> LoadRun:
        """Keep-alive connections send requests back to back; SIGTERM arrives mid-load.

        Each client counts the responses it read in full, and stops at its first failure (the
        service closed or refused the connection). The verifier compares the count with the
        access log. The clients share one thread and a selector, which sends several times the
        requests a thread per client would: a shutdown that loses answers loses them only in a
        window of microseconds, which more requests hit more often.
        """
        run = LoadRun(self._env())
        request = f"GET {self._path(LOAD_NAME)} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
        stop = threading.Event()

        def drive(svc: RunningService) -> None:
            clients = [
                socket.create_connection(("127.0.0.1", svc.port), timeout=5)
                for _ in range(LOAD_CONNECTIONS)
            ]
            load = threading.Thread(target=_load, args=(clients, request, run, stop), daemon=True)
            load.start()
            time.sleep(LOAD_SECONDS)
            try:
                self._terminate(svc, run)
            finally:
                stop.set()
                load.join(timeout=10)

        self._record(run, drive)
        self._tally(run, self._path(LOAD_NAME))
        return run

    def version(self) -> Run:
        """`<binary> --version`, with a PORT it must not even read: a line, then exit 0."""
        run = Run({"PORT": VERSION_RUN_PORT})
        command = [str(self.binary), self.contract.operability.version_flag]
        try:
            done = subprocess.run(
                command,
                env=run.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self.limits.refusal,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            run.error = _one_line(error)
            return run
        run.exit_code = done.returncode
        run.stdout = done.stdout.decode("utf-8", "replace").splitlines()
        run.stderr = done.stderr.decode("utf-8", "replace").splitlines()
        return run

    def profiling(self) -> Run:
        """Profiling on: the profiling path on the metrics port, and on the public one."""
        operability = self.contract.operability
        run = Run(self._env(**{operability.profiling_variable: "true"}))
        path = operability.profiling_path

        def drive(svc: RunningService) -> None:
            _ask(svc, run, "metrics_port", "GET", path, port=svc.metrics_port)
            _ask(svc, run, "public_port", "GET", path)
            self._terminate(svc, run)

        self._record(run, drive)
        return run

    def probe(self, binary: Path | None) -> ProbeRun:
        """Drive the probe build's routes; then SIGTERM while a request outlasts the deadline.

        Spans leave only through the flush at exit (60 s batch delay), and the collector
        refuses the first export, which the exporter must send again.
        """
        routes, metrics = self.contract.probe.routes, self.contract.routes.metrics
        with OtlpReceiver(refuse_first=PROBE_REFUSED_EXPORTS) as receiver:
            run = ProbeRun(
                self._env(
                    OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                    OTEL_BSP_SCHEDULE_DELAY="60000",
                    SHUTDOWN_TIMEOUT_MS=str(PROBE_SHUTDOWN_MS),
                )
            )
            if binary is None:
                run.error = f"no probe build to run (make {self.contract.probe.make_target})"
                return run

            def drive(svc: RunningService) -> None:
                _ask(svc, run, "panic", "GET", routes.panic, headers={"traceparent": TRACEPARENT})
                _ask(svc, run, "after_panic", "GET", self._path(AFTER_NAME))
                for code in BARE_STATUSES:
                    path = routes.status.replace("{code}", str(code))
                    _ask(svc, run, f"status_{code}", "GET", path)
                _ask(svc, run, "problem", "GET", routes.problem)
                _leave(svc.port, routes.slow, CLIENT_LEAVES_AFTER)
                # The service notices, answers no one, and logs (lines wait up to 100 ms).
                time.sleep(0.5)
                _ask(svc, run, "metrics", "GET", metrics, port=svc.metrics_port)
                with socket.create_connection(("127.0.0.1", svc.port), timeout=10) as late:
                    late.sendall(f"GET {routes.slow} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
                    time.sleep(0.2)  # in the handler, which outlasts SHUTDOWN_TIMEOUT_MS
                    run.stdout_at_signal = len(svc.stdout_lines)
                    self._terminate(svc, run)
                _wait_for(lambda: bool(receiver.spans), timeout=1)

            self._record(run, drive, binary=binary)
            run.spans = list(receiver.spans)
            run.export_answers = list(receiver.answers)
        return run

    def _tally(self, run: LoadRun, path: str) -> None:
        """Move the access lines for path out of run.stdout into counts by status."""
        access = self.contract.logging.access.fields
        kept = []
        for text in run.stdout:
            try:
                line = json.loads(text)
            except ValueError:
                line = None
            if isinstance(line, dict) and line.get(access.path) == path:
                status = str(line.get(access.status))
                run.logged[status] = run.logged.get(status, 0) + 1
            else:
                kept.append(text)
        run.stdout = kept

    def _terminate(self, svc: RunningService, run: Run) -> None:
        svc.signal(signal.SIGTERM)
        signalled = time.monotonic()
        run.exit_code = _exit_code(svc, self.limits.exit)
        if run.exit_code is not None:
            run.exit_seconds = time.monotonic() - signalled

    def _record(
        self,
        run: Run,
        drive: Callable[[RunningService], None],
        *,
        ready: bool = True,
        binary: Path | None = None,
    ) -> None:
        """Start the binary with run.env and drive it; record its output whatever happens.

        The binary is the service's unless given (the probe build).

        Any exception ends the scenario with run.error set: a service that crashes or hangs
        fails the items judged from this run, never the checker.
        """
        svc = RunningService(binary or self.binary, env=run.env)
        # The ports are part of what the service was given: recorded, so items can judge them.
        run.env.setdefault("PORT", str(svc.port))
        run.env.setdefault("METRICS_PORT", str(svc.metrics_port))
        started = time.monotonic()
        try:
            svc.start()
            if ready:
                svc.wait_ready(timeout=self.limits.ready, path=self.contract.routes.readiness)
                run.ready_seconds = time.monotonic() - started
            drive(svc)
        except Exception as error:  # see the docstring
            run.error = _one_line(error)
            if svc.process is not None and run.exit_code is None:
                run.exit_code = svc.process.poll()
        finally:
            svc.stop()
            run.stdout, run.stderr = list(svc.stdout_lines), list(svc.stderr_lines)


def _ask(
    svc: RunningService,
    run: Run,
    key: str,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    port: int | None = None,
    host: str = "127.0.0.1",
    chunked: bool = False,
) -> None:
    """Send one request; record its response under key, or why there was none."""
    try:
        run.responses[key] = svc.request(
            method, path, headers=headers, body=body, port=port, host=host, chunked=chunked
        )
    except (OSError, http.client.HTTPException) as error:
        run.unanswered[key] = f"{method} {path}: {_one_line(error)}"


def _load(
    clients: list[socket.socket], request: bytes, run: LoadRun, stop: threading.Event
) -> None:
    """Send request on every client, one at a time each, until stop is set or all are closed.

    A client whose connection fails, or whose answer says Connection: close, is closed and
    done. Responses are read in full (Content-Length) before the next request goes out.
    """
    selector = selectors.DefaultSelector()
    pending: dict[socket.socket, bytes] = {}
    for sock in clients:
        sock.setblocking(False)
        sock.sendall(request)
        pending[sock] = b""
        selector.register(sock, selectors.EVENT_READ, data=sock)

    def done(client: socket.socket) -> None:
        selector.unregister(client)
        del pending[client]
        client.close()

    while pending and not stop.is_set():
        for key, _ in selector.select(timeout=0.1):
            client: socket.socket = key.data
            try:
                chunk = client.recv(65536)
            except OSError:
                done(client)
                continue
            if not chunk:
                done(client)
                continue
            pending[client] += chunk
            answer = _complete_response(pending[client])
            if answer is None:
                continue
            status, close, rest = answer
            if status == 200:
                run.received += 1
            else:
                run.other_statuses.append(status)
            pending[client] = rest
            if close:
                done(client)
                continue
            try:
                client.sendall(request)
            except OSError:
                done(client)
    for client in list(pending):
        done(client)
    selector.close()


def _complete_response(data: bytes) -> tuple[int, bool, bytes] | None:
    """Return (status, Connection: close, what follows) once data holds a whole response."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(":", 1) for line in lines[1:] if ":" in line)
    length = int(headers.get("content-length", "0").strip())
    if len(body) < length:
        return None
    close = headers.get("connection", "").strip() == "close"
    return int(lines[0].split()[1]), close, body[length:]


# How much longer than its timeout a slow client waits for the service to act.
SLOW_WAIT = 3.0


def _hold(port: int, request: str, timeout_ms: int) -> Held:
    """Send request on a fresh connection; read until the service closes it or time is up.

    Time is up timeout_ms and SLOW_WAIT after the request was sent.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request.encode())
        sent = time.monotonic()
        deadline = sent + timeout_ms / 1000 + SLOW_WAIT
        reply = b""
        first: float | None = None
        closed: float | None = None
        while (left := deadline - time.monotonic()) > 0:
            conn.settimeout(left)
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                break
            except OSError:  # reset: closed all the same
                closed = time.monotonic() - sent
                break
            if not chunk:
                closed = time.monotonic() - sent
                break
            if first is None:
                first = time.monotonic() - sent
            reply += chunk
    return Held(reply, first, closed)


def _leave(port: int, path: str, after: float) -> None:
    """Send a GET for path and close the connection after the given seconds, unanswered."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        time.sleep(after)


def _exit_code(svc: RunningService, timeout: float) -> int | None:
    """Wait for the process to exit; None when it is still running after timeout seconds."""
    try:
        return svc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def _wait_for(condition: Callable[[], bool], timeout: float) -> None:
    """Poll until condition() holds or the timeout passes (the verifiers judge the outcome)."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def _one_line(error: Exception) -> str:
    text = (
        error.one_line() if isinstance(error, ScaffoldError) else f"{type(error).__name__}: {error}"
    )
    return " ".join(text.split())


def in_flight_shutdown(svc: RunningService, path: str) -> tuple[bytes, bool, Callable[[], float]]:
    """Start a request, send SIGTERM mid-request, finish it; report reply and liveness.

    The third value measures the seconds since the signal, for the caller to read once the
    process has exited.
    """
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
