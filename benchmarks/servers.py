"""The servers under test: starting one pinned to a CPU, readiness, RSS, and the OTLP receiver."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from benchmarks.ablation import Part
from benchmarks.common import HELLO_BODY, HELLO_PATH, BenchError, CommandLog, tail
from generator.conformance import free_port

READY_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 15
POLL_INTERVAL_SECONDS = 0.002
FRAMEWORK = {"go": "gin", "rust": "axum"}


# The contract's switch for Go's pprof endpoints (operability.profiling_variable).
PROFILING_VARIABLE = "PPROF_ENABLED"

# The sampled skeleton keeps one trace in ten: the standard OTEL_TRACES_SAMPLER knob, which both
# SDKs read, and what a busy production service would typically set.
SAMPLED_RATIO = "0.1"


class Kind(Enum):
    """What runs: the generated skeleton with tracing exporting (every request, or one in ten)
    or disabled; the bare framework; or the standard stack, the framework instrumented by hand
    with its ecosystem's standard libraries (benchmarks/std-gin, std-axum), exporting every
    request's span like the skeleton's default."""

    SKELETON_OTLP = "skeleton, tracing → OTLP"
    SKELETON_SAMPLED = "skeleton, tracing 10% sampled → OTLP"
    SKELETON_OFF = "skeleton, OTEL_SDK_DISABLED"
    BARE = "bare"
    STANDARD = "standard stack, tracing → OTLP"
    # The skeleton with one hand-written part swapped for its library (benchmarks/ablation.py).
    ABLATED = "skeleton with a library part, tracing → OTLP"

    @property
    def exports(self) -> bool:
        """Whether this kind exports spans, and so needs a receiver."""
        return self in (Kind.SKELETON_OTLP, Kind.SKELETON_SAMPLED, Kind.STANDARD, Kind.ABLATED)


@dataclass(frozen=True)
class Variant:
    language: str
    kind: Kind
    binary: Path
    part: Part | None = None  # for Kind.ABLATED: the part swapped for its library
    # For a skeleton run right before the ablation variant of this part, so that the two are
    # compared back to back in every round (a noisy machine drifts within a round).
    baseline_for: Part | None = None
    # Serve Go's pprof profiles on the metrics port (benchmarks/profile.py).
    profiling: bool = False

    @property
    def label(self) -> str:
        if self.kind is Kind.BARE:
            return f"{self.language} bare {FRAMEWORK[self.language]}"
        if self.part is not None:
            return f"{self.language} skeleton without {self.part.slug}, tracing → OTLP"
        if self.baseline_for is not None:
            return f"{self.language} {self.kind.value} (beside {self.baseline_for.slug})"
        return f"{self.language} {self.kind.value}"

    @property
    def ready_path(self) -> str:
        """Skeletons and standard stacks say when they are ready (/readyz); the bare services
        are ready when they answer."""
        return HELLO_PATH if self.kind is Kind.BARE else "/readyz"

    def env(self, port: int, otlp_endpoint: str | None) -> dict[str, str]:
        """A minimal environment, so nothing from the caller's (LOG_LEVEL, OTEL_*) leaks in."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PORT": str(port)}
        if self.kind is Kind.BARE:
            return env
        env["METRICS_PORT"] = str(free_port())
        if self.profiling:
            env[PROFILING_VARIABLE] = "true"
        if self.kind is Kind.SKELETON_OFF:
            env["OTEL_SDK_DISABLED"] = "true"
            return env
        if otlp_endpoint is None:
            raise BenchError(f"{self.label} needs an OTLP receiver")
        env["OTEL_TRACES_EXPORTER"] = "otlp"
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp_endpoint
        if self.kind is Kind.SKELETON_SAMPLED:
            env["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio"
            env["OTEL_TRACES_SAMPLER_ARG"] = SAMPLED_RATIO
        return env


def http_status(port: int, path: str) -> int | None:
    """Status code of GET path on the loopback port, or None when nothing answers (yet)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
            )
            head = sock.recv(64)
    except OSError:
        return None
    parts = head.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        return None
    return int(parts[1])


class Server:
    """One server process pinned to a CPU, its stdout a pipe that a reader on another CPU drains.

    In production a service logs to the pipe its container runtime reads, and every write(2)
    there costs more than one to /dev/null: the copy into the pipe, and waking the reader. So the
    server writes to a pipe here too, and `cat` reads it, pinned to the load generator's CPU
    (log_cpu), as the runtime's shim would on a core of its own.
    """

    def __init__(
        self, variant: Variant, cpu: int, log_cpu: int, otlp_endpoint: str | None = None
    ) -> None:
        self.variant = variant
        self.cpu = cpu
        self.log_cpu = log_cpu
        self.otlp_endpoint = otlp_endpoint
        self.port = 0
        self.env: dict[str, str] = {}  # what start() ran it with
        self._process: subprocess.Popen[bytes] | None = None
        self._log_reader: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{HELLO_PATH}"

    def _argv(self) -> list[str]:
        return ["taskset", "-c", str(self.cpu), str(self.variant.binary)]

    def _shown_command(self, env: dict[str, str]) -> str:
        """The command line for RESULTS.md, with placeholders for the per-run ports."""
        placeholders = {
            "PATH": '"$PATH"',
            "PORT": "$PORT",
            "METRICS_PORT": "$METRICS_PORT",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:$OTLP_PORT",
        }
        assignments = " ".join(f"{k}={placeholders.get(k, v)}" for k, v in env.items())
        return f"env -i {assignments} {' '.join(self._argv())}"

    def start(self, commands: CommandLog | None = None) -> float:
        """Spawn the server; return the seconds from spawn to its first 200 on the ready path."""
        self.port = free_port()
        env = self.variant.env(self.port, self.otlp_endpoint)
        self.env = env
        if commands is not None:
            commands.add_text(self._shown_command(env))
        begin = time.perf_counter()
        self._process = subprocess.Popen(
            self._argv(),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._log_reader = subprocess.Popen(
            ["taskset", "-c", str(self.log_cpu), "cat"],
            stdin=self._process.stdout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if self._process.stdout is not None:
            # The reader holds the pipe now; the server sees EPIPE only if the reader dies.
            self._process.stdout.close()
        deadline = begin + READY_TIMEOUT_SECONDS
        while True:
            if http_status(self.port, self.variant.ready_path) == 200:
                return time.perf_counter() - begin
            code = self._process.poll()
            if code is not None:
                self._process = None
                self._stop_log_reader()
                raise BenchError(
                    f"{self.variant.label} exited with code {code} before it was ready:\n"
                    + self._diagnose(env)
                )
            if time.perf_counter() > deadline:
                self.stop()
                raise BenchError(
                    f"{self.variant.label} was not ready on {self.variant.ready_path} "
                    f"within {READY_TIMEOUT_SECONDS} s"
                )
            time.sleep(POLL_INTERVAL_SECONDS)

    def _diagnose(self, env: dict[str, str]) -> str:
        """Run the binary once more with its output captured, to show why it failed."""
        try:
            result = subprocess.run(
                [str(self.variant.binary)],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=3,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            return tail((error.stdout or b"") + (error.stderr or b""))
        return tail(result.stdout + result.stderr)

    def check_hello(self) -> None:
        """Every server must do the same work: 200 and the same JSON body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("GET", HELLO_PATH)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status != 200 or json.loads(body) != HELLO_BODY:
            raise BenchError(
                f"{self.variant.label} answered {response.status} {body!r} on {HELLO_PATH}"
            )

    def _proc(self, name: str) -> str:
        """The server's /proc/PID/<name> file."""
        if self._process is None:
            raise BenchError(f"{self.variant.label} is not running")
        try:
            return Path(f"/proc/{self._process.pid}/{name}").read_text(encoding="utf-8")
        except OSError:
            raise BenchError(f"{self.variant.label} is gone (pid {self._process.pid})") from None

    def cpu_seconds(self) -> float:
        """CPU time the server has used so far, user + system (utime + stime, /proc/PID/stat)."""
        # Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        fields = self._proc("stat").rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self) -> int:
        """Resident set size now (VmRSS of /proc/PID/status)."""
        for line in self._proc("status").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise BenchError(f"no VmRSS for {self.variant.label}")

    def stop(self) -> None:
        """SIGTERM (skeletons drain and flush telemetry), SIGKILL if it takes too long."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._stop_log_reader()

    def _stop_log_reader(self) -> None:
        """The reader ends by itself when the server's end of the pipe closes."""
        reader, self._log_reader = self._log_reader, None
        if reader is None:
            return
        try:
            reader.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            reader.kill()
            reader.wait()


class SpanSink:
    """The OTLP receiver the exporting skeletons send their spans to (benchmarks/otlp-sink).

    It runs pinned to the load generator's CPU, so whatever it spends during a round is taken
    from wrk and would read as a slower server: it only keeps the export bodies then, and
    decodes them when `span_count` is read, between rounds. (A Python receiver there, even one
    that decoded nothing, cost a third of the traced Rust skeleton's measured throughput.)
    """

    def __init__(self, binary: Path, cpu: int) -> None:
        self.binary = binary
        self.cpu = cpu
        self.endpoint = ""
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SpanSink:
        self._process = subprocess.Popen(
            ["taskset", "-c", str(self.cpu), str(self.binary)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self._process.stdout is not None
        first = self._process.stdout.readline().decode().strip()
        if not first.startswith("http://"):
            self.__exit__(None, None, None)
            raise BenchError(f"the OTLP sink did not start (it said {first!r})")
        self.endpoint = first
        return self

    def __exit__(self, *_: object) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None

    @property
    def span_count(self) -> int:
        """Spans received so far (the sink decodes what arrived since the last call)."""
        port = int(self.endpoint.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request("GET", "/spans")
            response = connection.getresponse()
            body = response.read().decode().strip()
        except OSError as error:
            raise BenchError(f"the OTLP sink does not answer: {error}") from None
        finally:
            connection.close()
        if response.status != 200 or not body.isdigit():
            raise BenchError(f"the OTLP sink could not count the spans: {body}")
        return int(body)
