"""Start a built service on free ports and talk to it, for tests and `scaffold check --run`.

Only the standard library is used (http.client, subprocess), so driving a service adds nothing
to scaffold's dependencies.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from generator.conformance._observation import Response
from generator.errors import ToolchainError

_handed_out: set[int] = set()
_handed_out_lock = threading.Lock()


def free_port() -> int:
    """Return a TCP port that was free a moment ago on the loopback interface.

    The kernel may hand a just-closed port out again at once, so two calls in a row (PORT and
    METRICS_PORT) could return the same port. A port is therefore never returned twice by one
    process.
    """
    with _handed_out_lock:
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", 0))
                port = int(sock.getsockname()[1])
            if port not in _handed_out:
                _handed_out.add(port)
                return port
    raise ToolchainError("no free TCP port on 127.0.0.1 that this process has not used already")


@dataclass
class RunningService:
    """A service process started from its binary, with its stdout collected line by line."""

    binary: Path
    env: Mapping[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)
    args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None
    stdout_lines: list[str] = field(default_factory=list)
    stderr_lines: list[str] = field(default_factory=list)
    _readers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> RunningService:
        """Start the process; do not wait for readiness."""
        env = {
            **os.environ,
            "PORT": str(self.port),
            "METRICS_PORT": str(self.metrics_port),
            **self.env,
        }
        self.process = subprocess.Popen(
            [str(self.binary), *self.args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for stream, sink in (
            (self.process.stdout, self.stdout_lines),
            (self.process.stderr, self.stderr_lines),
        ):
            reader = threading.Thread(target=_collect, args=(stream, sink), daemon=True)
            reader.start()
            self._readers.append(reader)
        return self

    def __enter__(self) -> RunningService:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Kill the process if it is still running, and collect the rest of its output."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._join_readers()

    def wait_ready(self, timeout: float = 20.0, path: str = "/readyz") -> None:
        """Poll the readiness path until it answers 200, or raise with the service's output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                break
            try:
                if self.request("GET", path, timeout=1.0).status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        code = self.process.poll() if self.process else None
        if code is not None:
            self._join_readers()
        why = (
            f"exited with code {code} before it was ready"
            if code is not None
            else f"was not ready on port {self.port} after {timeout:g} s"
        )
        tail = " | ".join((self.stdout_lines + self.stderr_lines)[-5:])
        raise ToolchainError(f"{self.binary.name} {why}: {tail or '(no output)'}")

    def request(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        timeout: float = 10.0,
        port: int | None = None,
        host: str = "127.0.0.1",
        chunked: bool = False,
    ) -> Response:
        """Send one request on a fresh connection, to PORT unless another port is given.

        chunked sends the body with Transfer-Encoding: chunked (no Content-Length).
        """
        conn = http.client.HTTPConnection(host, port or self.port, timeout=timeout)
        try:
            payload = iter([body]) if chunked and body is not None else body
            conn.request(
                method, path, body=payload, headers=dict(headers or {}), encode_chunked=chunked
            )
            raw = conn.getresponse()
            received = {k.lower(): v for k, v in raw.getheaders()}
            return Response(method, path, raw.status, received, raw.read())
        finally:
            conn.close()

    def _running(self) -> subprocess.Popen[bytes]:
        if self.process is None:
            raise ToolchainError(f"{self.binary.name} was never started")
        return self.process

    def signal(self, signum: int = signal.SIGTERM) -> None:
        """Send a signal (SIGTERM by default) to the service."""
        self._running().send_signal(signum)

    def wait(self, timeout: float = 30.0) -> int:
        """Wait for the process to exit and for its output to be read; return the exit code."""
        code = self._running().wait(timeout=timeout)
        self._join_readers()
        return code

    def _join_readers(self) -> None:
        """Wait until everything the process wrote has been collected."""
        for reader in self._readers:
            reader.join(timeout=5)

    def json_logs(self) -> list[dict[str, Any]]:
        """Every stdout line parsed as JSON; a line that is not JSON raises ValueError."""
        return [json.loads(line) for line in self.stdout_lines]


def _collect(stream: Any, sink: list[str]) -> None:
    for raw in iter(stream.readline, b""):
        sink.append(raw.decode("utf-8", "replace").rstrip("\n"))
    stream.close()
