"""`scaffold check`: whether a service still keeps its template and the platform contract.

Static checks compare the service with a fresh render of the template version it records; with
--run, the service is built and started, the scenarios record what it does (observe), and pure
verifiers judge every item of the contract from that record (verify).
"""

from generator.conformance._check import (
    CheckOutcome,
    check_service,
    platform_diffs,
    recorded_source,
    render_platform_files,
    static_checks,
)
from generator.conformance._observation import (
    TRACE_ID,
    BurstRun,
    MainRun,
    Observation,
    Response,
    Run,
)
from generator.conformance._otlp import OtlpReceiver, ReceivedSpan
from generator.conformance._runtime import RunningService, free_port
from generator.conformance._scenarios import Limits, observe
from generator.conformance._verify import contract_items, verify

__all__ = [
    "TRACE_ID",
    "BurstRun",
    "CheckOutcome",
    "Limits",
    "MainRun",
    "Observation",
    "OtlpReceiver",
    "ReceivedSpan",
    "Response",
    "Run",
    "RunningService",
    "check_service",
    "contract_items",
    "free_port",
    "observe",
    "platform_diffs",
    "recorded_source",
    "render_platform_files",
    "static_checks",
    "verify",
]
