"""Typed views of the YAML files a template ships in shared/, for scaffold's own Python code.

copier renders the Jinja templates from the raw YAML; Python reads these models instead, so a
missing key, a misspelt key or a wrong type is reported once, when the template is loaded, as the
template's fault (TemplateError, exit 3) naming the file and the key, and never later as a
KeyError that looks like a service failing a check.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from generator.errors import TemplateError


class _Strict(BaseModel):
    """Every key is known, none is optional unless the file may leave it out."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _scalar(value: Any) -> Any:
    if isinstance(value, str | int | float | bool):
        return value
    raise ValueError("must be a string, a number or a boolean")


# A YAML scalar as written (one reason when it is not, rather than one per type it could be).
Scalar = Annotated[str | int | float | bool, PlainValidator(_scalar)]


# -- shared/contract.yml ---------------------------------------------------------------------


class EnvVar(_Strict):
    """One configuration variable; min and choices only for the kinds that use them."""

    name: str
    kind: Literal["port", "int", "level", "bool", "string", "filter"]
    default: Scalar
    help: str
    min: int | None = None
    choices: tuple[str, ...] | None = None
    # A variable only one language has (Go's pprof); None: both.
    only: Literal["go", "rust"] | None = None

    def applies_to(self, language: str) -> bool:
        """Whether the service in language reads this variable."""
        return self.only is None or self.only == language


class OtlpEndpoint(_Strict):
    """The schemes OTEL_EXPORTER_OTLP_ENDPOINT may use."""

    schemes: tuple[str, ...]


class InvalidConfig(_Strict):
    """A value every service must refuse at startup.

    value must be a string in the YAML: an unquoted 0 or true would reach the environment as
    Python's "0" or "True", not what the author wrote.
    """

    name: str
    value: str


class Shutdown(_Strict):
    """How shutdown ends: a second signal, a missed deadline, and the telemetry flush."""

    forced_exit_code: int = Field(ge=1, le=255)
    flush_min_ms: int = Field(ge=1)
    deadline_exit_code: int = Field(ge=1, le=255)


class Routes(_Strict):
    """Route templates in OpenTelemetry/axum syntax ({param})."""

    liveness: str
    readiness: str
    metrics: str
    hello: str


class Health(_Strict):
    """The body of the health endpoints and the binary's own health-check argument."""

    status_key: str
    ok: str
    draining: str
    healthcheck_arg: str


class Hello(_Strict):
    """The example route's answer: {message_key: message_prefix + name}."""

    message_key: str
    message_prefix: str


class LogOutput(_Strict):
    """How log lines are buffered."""

    flush_interval_ms: int = Field(ge=1)
    buffer_bytes: int = Field(ge=1)


class LogFields(_Strict):
    """Keys every log line carries (trace_id and span_id while a span is active)."""

    time: str
    level: str
    msg: str
    service: str
    trace_id: str
    span_id: str


class LogLevels(_Strict):
    """The level names written to the log, by LOG_LEVEL value."""

    debug: str
    info: str
    warn: str
    error: str


class LogMessages(_Strict):
    """The msg of the lifecycle lines, identical in both languages."""

    started: str
    shutting_down: str
    stopped: str
    invalid_config: str
    failed: str
    healthcheck_failed: str
    panic_recovered: str
    span_export_failed: str
    telemetry_flush_failed: str


class EventFields(_Strict):
    """Keys of the event fields the lifecycle lines carry."""

    port: str
    error: str
    stack: str
    target: str


class AccessFields(_Strict):
    """Keys of the access-log line, by meaning."""

    method: str
    route: str
    path: str
    status: str
    duration: str


class AccessLog(_Strict):
    """The line written once per request."""

    msg: str
    fields: AccessFields


class Logging(_Strict):
    """JSON log lines on stdout."""

    output: LogOutput
    fields: LogFields
    levels: LogLevels
    messages: LogMessages
    event_fields: EventFields
    access: AccessLog


class ProblemError(_Strict):
    """One error the service answers with a problem document."""

    status: int = Field(ge=400, le=599)
    title: str
    detail: str


class ProblemErrors(_Strict):
    """Every error both templates produce, by name."""

    bad_request: ProblemError
    not_found: ProblemError
    method_not_allowed: ProblemError
    unreadable_body: ProblemError
    request_timeout: ProblemError
    payload_too_large: ProblemError
    timeout: ProblemError
    internal: ProblemError


class Problem(_Strict):
    """RFC 9457 problem details."""

    content_type: str
    fields: tuple[str, ...]
    optional_fields: tuple[str, ...]
    type: str
    errors: ProblemErrors
    bare_status_detail: str


class Http(_Strict):
    """How requests from hostile or broken clients are recorded, and where the ports listen."""

    known_methods: tuple[str, ...]
    other_method: str
    method_original_attribute: str
    other_span_name: str
    listen_families: tuple[Literal["ipv4", "ipv6"], ...]
    client_closed_status: int = Field(ge=400, le=599)

    def span_name(self, route: str) -> str:
        """Name of the span of a request whose method is not a known one."""
        return f"{self.other_span_name} {route}" if route else self.other_span_name


class Tracing(_Strict):
    """The server span of every request."""

    span_name: str
    span_kind: str
    propagators: tuple[str, ...]
    default_propagators: tuple[str, ...]
    attributes: dict[str, Literal["string", "int"]]
    error_attribute: str
    exporter: str
    traces_exporter_values: tuple[str, ...]
    sampler_values: tuple[str, ...]
    export_retry_statuses: tuple[int, ...]
    export_retry_initial_ms: int = Field(ge=1)

    @field_validator("default_propagators")
    @classmethod
    def _defaults_are_propagators(
        cls, value: tuple[str, ...], info: ValidationInfo
    ) -> tuple[str, ...]:
        known = info.data.get("propagators", ())
        if not value or any(name not in known or name == "none" for name in value):
            raise ValueError("must be one or more of propagators, without none")
        return value


class RequestDuration(_Strict):
    """The request-duration histogram, and how it appears in Prometheus text."""

    name: str
    unit: str
    attributes: tuple[str, ...]
    buckets: tuple[float, ...]
    prometheus_name: str
    prometheus_labels: tuple[str, ...]


class Metrics(_Strict):
    """Metrics served on METRICS_PORT."""

    request_duration: RequestDuration


class BuildInfo(_Strict):
    """The build_info gauge: its name and its labels, in order."""

    name: str
    labels: tuple[str, str, str, str]


class RuntimeMetrics(_Strict):
    """Metric names of each language runtime's own collector."""

    go: tuple[str, ...]
    rust: tuple[str, ...]


class Operability(_Strict):
    """What a service says about itself: version, build_info, process and runtime metrics."""

    version_flag: str
    version_line: str
    default_version: str
    unknown_revision: str
    version_attribute: str
    build_info: BuildInfo
    process_metrics: tuple[str, ...]
    runtime_metrics: RuntimeMetrics
    profiling_variable: str
    profiling_path: str


class Build(_Strict):
    """What `make` offers and where `make build` leaves the binary."""

    make_targets: tuple[str, ...]
    binary: str

    def binary_for(self, service_name: str) -> str:
        """Return the binary's path relative to the service root."""
        return self.binary.replace("{name}", service_name)


class ProbeRoutes(_Strict):
    """The probe build's routes, in OpenTelemetry/axum syntax."""

    panic: str
    slow: str
    status: str
    problem: str


class ProbeProblem(_Strict):
    """The problem the probe's problem route returns, extension members included."""

    status: int = Field(ge=400, le=599)
    type: str
    title: str
    detail: str
    extensions: dict[str, str | int | bool]


class Probe(_Strict):
    """The probe build: routes that panic, stall or fail on demand, for the checker only."""

    make_target: str
    binary: str
    go_build_tag: str
    rust_feature: str
    routes: ProbeRoutes
    panic_message: str
    slow_ms: int = Field(ge=1)
    problem: ProbeProblem

    def binary_for(self, service_name: str) -> str:
        """Return the probe binary's path relative to the service root."""
        return self.binary.replace("{name}", service_name)


class DeployResources(_Strict):
    """Resource requests and the memory limit every container gets (Kubernetes quantities)."""

    cpu_request: str
    memory_request: str
    memory_limit: str


class DeployAutoscaling(_Strict):
    """The HorizontalPodAutoscaler's bounds and CPU target."""

    min_replicas: int = Field(ge=1)
    max_replicas: int = Field(ge=1)
    cpu_utilization_percent: int = Field(ge=1, le=100)


class Deploy(_Strict):
    """How the generated Kubernetes manifests and local stack run a service."""

    run_as_user: int = Field(ge=1)
    shutdown_drain_delay_ms: int = Field(ge=0)
    shutdown_timeout_ms: int = Field(ge=1)
    grace_period_margin_s: int = Field(ge=0)
    otlp_endpoint: str
    name_label: str
    resources: DeployResources
    dev_replicas: int = Field(ge=1)
    autoscaling: DeployAutoscaling

    @property
    def termination_grace_period_s(self) -> int:
        """Drain delay plus shutdown timeout, rounded up to seconds, plus the margin."""
        budget_ms = self.shutdown_drain_delay_ms + self.shutdown_timeout_ms
        return -(-budget_ms // 1000) + self.grace_period_margin_s


class Contract(_Strict):
    """shared/contract.yml: how every generated service behaves from the outside."""

    contract_version: int
    env: tuple[EnvVar, ...]
    otel_env: tuple[str, ...]
    otlp_endpoint: OtlpEndpoint
    startup_failure_exit_code: int
    invalid_config_examples: tuple[InvalidConfig, ...]
    shutdown: Shutdown
    routes: Routes
    health: Health
    hello: Hello
    logging: Logging
    problem: Problem
    http: Http
    tracing: Tracing
    metrics: Metrics
    operability: Operability
    build: Build
    probe: Probe
    deploy: Deploy


# -- shared/ownership.yml, shared/smoke.yml, shared/naming.yml ----------------------------------


class Ownership(_Strict):
    """shared/ownership.yml: files the platform team owns in every service."""

    platform_owned: tuple[str, ...]


class SmokeAxes(_Strict):
    """shared/smoke.yml: each axis is a template question and the answers worth proving."""

    axes: dict[str, tuple[Scalar, ...]]

    @field_validator("axes")
    @classmethod
    def _names_the_service(
        cls, axes: dict[str, tuple[Scalar, ...]]
    ) -> dict[str, tuple[Scalar, ...]]:
        """Require a language and a service name: without them no variant can be built."""
        missing = [key for key in ("language", "service_name") if not axes.get(key)]
        if missing:
            raise ValueError(f"needs values for {' and '.join(missing)}")
        return axes


class NamingRules(_Strict):
    """shared/naming.yml: the platform's rules for service names."""

    pattern: str
    max_length: int = Field(ge=1)
    reserved: frozenset[str]

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from None
        return pattern


# -- shared/tools.yml ------------------------------------------------------------------------

_GO_VERSION = r"^v\d+\.\d+\.\d+\z"
_IMAGE = r"^[a-z0-9][a-z0-9./_-]*:[\w][\w.-]*\z"


class GoTools(_Strict):
    """Versions of the Go linters scaffold installs and runs itself (the modules are scaffold's)."""

    actionlint: Annotated[str, Field(pattern=_GO_VERSION)]
    kustomize: Annotated[str, Field(pattern=_GO_VERSION)]
    kube_score: Annotated[str, Field(pattern=_GO_VERSION, alias="kube-score")]


class NodeTool(_Strict):
    """A Node.js validator's pinned version and npm's sha512 integrity of its tarball."""

    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+\z")]
    integrity: Annotated[str, Field(pattern=r"^sha512-[A-Za-z0-9+/]{86}==\z")]


class NodeTools(_Strict):
    """The Node.js validators scaffold installs and runs itself (the packages are scaffold's)."""

    renovate: NodeTool
    catalog_model: NodeTool


class Images(_Strict):
    """The local stack's images (compose.yaml), each name:tag."""

    otel_collector: Annotated[str, Field(pattern=_IMAGE)]
    jaeger: Annotated[str, Field(pattern=_IMAGE)]
    prometheus: Annotated[str, Field(pattern=_IMAGE)]


class ToolPins(_Strict):
    """shared/tools.yml: every tool version the template pins, in one place."""

    go: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+\z")]
    rust: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+\z")]
    go_tools: GoTools
    # The Kubernetes minor the deploy/ manifests are validated against (schemas, kube-score).
    kubernetes: Annotated[str, Field(pattern=r"^1\.\d+\z")]
    ci_tools: dict[str, str]
    actions: dict[str, Annotated[str, Field(pattern=r"^[\w.-]+/[\w./-]+@[\w.-]+\z")]]
    images: Images
    node_tools: NodeTools


# -- loading ---------------------------------------------------------------------------------

Model = TypeVar("Model", bound=BaseModel)
_MAX_PROBLEMS = 3


def parse_shared(model: type[Model], data: Any, file: str) -> Model:
    """Validate a shared/ file's parsed YAML, or raise a one-line TemplateError naming the keys."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise TemplateError(f"{file}: {_problems(error)}") from None


def _problems(error: ValidationError) -> str:
    """`key.path: reason` for each problem, unknown keys first (a typo is also a missing key)."""
    errors = sorted(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
    described = [_describe(e["loc"], e["type"], e["msg"], e.get("ctx")) for e in errors]
    text = "; ".join(described[:_MAX_PROBLEMS])
    if len(described) > _MAX_PROBLEMS:
        text += f"; and {len(described) - _MAX_PROBLEMS} more"
    return text


_REASONS = {
    "extra_forbidden": "unknown key",
    "missing": "missing key",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "dict_type": "must be a mapping",
    "tuple_type": "must be a list",
    "frozen_set_type": "must be a list",
}


def _describe(
    loc: tuple[int | str, ...], kind: str, message: str, ctx: dict[str, Any] | None
) -> str:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    if kind == "value_error" and ctx and "error" in ctx:
        message = str(ctx["error"])
    reason = _REASONS.get(kind, message)
    return f"{path.lstrip('.')}: {reason}" if path else reason
