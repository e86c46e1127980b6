"""What `scaffold check --run` saw a service do: raw data only, judged afterwards.

The scenarios (_scenarios) start the service and fill an Observation in; the verifiers (_verify)
read nothing else. An Observation round-trips through JSON, so a recorded one can be judged again
without building or running anything (tests/data/observations holds real ones).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, TypeAdapter

from generator.conformance._otlp import ReceivedSpan

# What the scenarios send, which the verifiers expect to see again.
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
HELLO_NAME = "world"
# The main run's problem responses, by the contract's name of the error each one provokes.
PROVOKED_ERRORS = ("bad_request", "not_found", "method_not_allowed", "payload_too_large")
# The hostile run: methods outside the known ones, and the request sent after the non-UTF-8 path.
OTHER_METHODS = ("FOO0", "FOO1", "FOO2")
AFTER_NAME = "after"
# A path segment that percent-decodes to a byte that is not UTF-8.
NOT_UTF8 = "%FF"
# SHUTDOWN_DRAIN_DELAY_MS of the drain run, and of the run that gets a second signal.
DRAIN_DELAY_MS = 1500
LONG_DRAIN_DELAY_MS = 20000
# The slow-client run's timeouts, short so the run is; and the names its requests use.
SLOW_HEADER_TIMEOUT_MS = 600
SLOW_IDLE_TIMEOUT_MS = 800
SLOW_REQUEST_TIMEOUT_MS = 700
IDLE_NAME = "idle"
SLOW_BODY_NAME = "slow-body"
TRICKLE_NAME = "trickle"
# The main run's requests to METRICS_PORT, which is neither traced nor access-logged.
METRICS_PORT_REQUESTS = frozenset({"metrics", "profiling"})
# The keep-alive load runs: this many connections, each sending requests one after another, with
# SIGTERM arriving after LOAD_SECONDS; their requests use LOAD_NAME. Answers are lost, if at all,
# in a window of microseconds that only a shutdown running in parallel with a connection can hit.
# Against the Go service with SetKeepAlivesEnabled(false) put back, one run caught it 35 times in
# 40 on two cores and 4 in 40 on one (taskset -c 0); the fixed services lost nothing in 60 runs
# each. Runs are short (about 0.3 s), so there are LOAD_ROUNDS of them.
LOAD_CONNECTIONS = 128
LOAD_SECONDS = 0.2
LOAD_ROUNDS = 8
LOAD_NAME = "load"
# The probe run (the probe build, see the contract's probe section): the bare statuses its status
# route is asked for; how long a client waits for the slow route before it leaves; and the
# SHUTDOWN_TIMEOUT_MS of that run, which another slow request outlasts, so the deadline passes.
# Its collector refuses the first PROBE_REFUSED_EXPORTS trace exports with 503.
BARE_STATUSES = (401, 503)
CLIENT_LEAVES_AFTER = 0.3
PROBE_SHUTDOWN_MS = 300
PROBE_REFUSED_EXPORTS = 1


def _bytes_to_json(value: bytes) -> str | dict[str, str]:
    """Text stays readable in a recording; anything else is kept as base64."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(value).decode("ascii")}


def _bytes_from_json(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict) and set(value) == {"base64"}:
        return base64.b64decode(value["base64"], validate=True)
    return value


Body = Annotated[
    bytes,
    PlainSerializer(_bytes_to_json, when_used="json"),
    BeforeValidator(_bytes_from_json),
]


@dataclass(frozen=True)
class Response:
    """An HTTP response, with the method and path of the request that got it."""

    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: Body

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        """Parse the body as JSON (ValueError when it is not JSON)."""
        return json.loads(self.body)


@dataclass
class Run:
    """One start of the service binary: what a scenario set and sent, and what came back.

    error says why the scenario stopped early (the service never became ready, a request hung);
    every item judged from this run then fails with it. A request that got no answer at all is in
    unanswered, so only the items that need its response fail.
    """

    env: dict[str, str]
    error: str = ""
    ready_seconds: float | None = None
    responses: dict[str, Response] = field(default_factory=dict)
    unanswered: dict[str, str] = field(default_factory=dict)
    # None: the process had not exited when the scenario stopped waiting (it was then killed).
    exit_code: int | None = None
    # From SIGTERM to exit, or from the start to exit for a process that refused to start.
    exit_seconds: float | None = None
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    spans: list[ReceivedSpan] = field(default_factory=list)


@dataclass(frozen=True)
class Held:
    """A raw connection a slow client held open: what it got back, and when.

    Seconds count from the moment the client finished sending; None means it never happened
    while the client waited.
    """

    reply: Body
    first_byte_after: float | None
    closed_after: float | None


@dataclass
class SlowRun(Run):
    """The run with short timeouts, where clients trickle headers, idle, and trickle a body."""

    half_headers: Held | None = None
    idle: Held | None = None
    slow_body: Held | None = None


@dataclass
class LoadRun(Run):
    """The run with keep-alive connections under load when SIGTERM arrives."""

    received: int = 0  # 200 responses the clients read in full
    other_statuses: list[int] = field(default_factory=list)
    # The access lines of the load's requests, counted by logged status (a JSON key, so text)
    # and left out of stdout: tens of thousands of them would make a recording huge.
    logged: dict[str, int] = field(default_factory=dict)


@dataclass
class MainRun(Run):
    """The run that exercises every route, then SIGTERMs the service mid-request."""

    in_flight_reply: Body = b""
    alive_after_signal: bool = False


@dataclass
class ProbeRun(Run):
    """The run of the probe build: panics, handler errors, a client that leaves, a late deadline."""

    # The status the collector answered to each trace export, in order.
    export_answers: list[int] = field(default_factory=list)
    # How many stdout lines the service had written when SIGTERM was sent.
    stdout_at_signal: int = 0


@dataclass
class BurstRun(Run):
    """The run that sends a burst of requests with no collector listening."""

    statuses: list[int] = field(default_factory=list)


@dataclass
class Observation:
    """Every scenario's raw data, in the order the scenarios ran."""

    invalid_config: list[Run]
    main: MainRun
    shutdown_flush: Run
    sdk_disabled: Run
    traces_exporter_none: Run
    no_collector: BurstRun
    hostile: Run
    drain: Run
    second_signal: Run
    slow_clients: SlowRun
    keep_alive_load: list[LoadRun]
    # `<binary> --version`: no server, only its exit code and output.
    version: Run
    # The contract's profiling variable set to true: the profiling path asked on each port.
    profiling: Run
    # The probe build, with its routes that panic, stall and fail on demand.
    probe: ProbeRun

    def to_json(self) -> str:
        """Serialise for a recording (bytes as text when they are UTF-8, else base64)."""
        return _ADAPTER.dump_json(self, indent=1).decode("utf-8") + "\n"

    @classmethod
    def from_json(cls, text: str) -> Observation:
        """Read a recording back (pydantic.ValidationError when it does not fit)."""
        return _ADAPTER.validate_json(text)


_ADAPTER = TypeAdapter(Observation)
