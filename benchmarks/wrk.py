"""Running wrk pinned to one CPU and parsing what it prints."""

from __future__ import annotations

import re
import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from benchmarks.common import BenchError, CommandLog, tail

# wrk prints durations with these units (src/units.c); everything is converted to seconds.
_UNIT_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = r"([0-9.]+)(us|ms|s|m|h)"
_PERCENTILE = re.compile(rf"^\s*(50|75|90|99)(?:\.0+)?%\s+{_DURATION}\s*$", re.MULTILINE)
_REQUESTS_PER_SECOND = re.compile(r"^Requests/sec:\s+([0-9.]+)\s*$", re.MULTILINE)
_REQUESTS = re.compile(rf"^\s*(\d+) requests in {_DURATION}", re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
# How long past its own duration wrk may take (connection setup, the final report).
_GRACE_SECONDS = 30
SAMPLE_INTERVAL_SECONDS = 0.1


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: throughput, latency percentiles (seconds) and anything that went wrong."""

    requests_per_second: float
    p50: float
    p99: float
    requests: int
    socket_errors: int
    non_2xx: int


def _seconds(value: str, unit: str) -> float:
    return float(value) * _UNIT_SECONDS[unit]


def parse(output: str) -> WrkResult:
    """Parse `wrk --latency` output; raise BenchError when a number is missing."""
    percentiles = {int(m[1]): _seconds(m[2], m[3]) for m in _PERCENTILE.finditer(output)}
    rps = _REQUESTS_PER_SECOND.search(output)
    requests = _REQUESTS.search(output)
    if rps is None or requests is None or 50 not in percentiles or 99 not in percentiles:
        raise BenchError("could not parse wrk output (was --latency passed?):\n" + tail(output))
    errors = _SOCKET_ERRORS.search(output)
    non_2xx = _NON_2XX.search(output)
    return WrkResult(
        requests_per_second=float(rps[1]),
        p50=percentiles[50],
        p99=percentiles[99],
        requests=int(requests[1]),
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
    )


@dataclass(frozen=True)
class Load:
    """The fixed load: wrk threads and connections, pinned to one CPU."""

    cpu: int
    threads: int
    connections: int

    def argv(self, url: str, seconds: int) -> list[str]:
        return [
            "taskset",
            "-c",
            str(self.cpu),
            "wrk",
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "2s",
            url,
        ]

    def run(
        self,
        url: str,
        seconds: int,
        *,
        every_tick: Callable[[], None] | None = None,
        commands: CommandLog | None = None,
    ) -> WrkResult:
        """Run wrk for `seconds`, calling `every_tick` every 100 ms meanwhile (RSS sampling)."""
        argv = self.argv(url, seconds)
        if commands is not None:
            path = urlsplit(url).path
            shown = shlex.join(self.argv("URL", seconds))
            commands.add_text(shown.replace("URL", f"http://127.0.0.1:$PORT{path}"))
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + seconds + _GRACE_SECONDS
        try:
            while process.poll() is None:
                if time.monotonic() > deadline:
                    raise BenchError(f"wrk did not finish within {seconds + _GRACE_SECONDS} s")
                if every_tick is not None:
                    every_tick()
                time.sleep(SAMPLE_INTERVAL_SECONDS)
            stdout, stderr = process.communicate()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        if process.returncode != 0:
            raise BenchError(f"wrk failed with exit code {process.returncode}:\n{tail(stderr)}")
        return parse(stdout)
