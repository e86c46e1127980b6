"""`scaffold check`: whether a service still keeps its template and the platform contract.

Static checks compare the service with a fresh render of the template version it records; with
--run, the service is built, started and driven through every item of the contract.
"""

from generator.conformance._check import CheckOutcome, check_service, static_checks
from generator.conformance._checker import (
    CheckResult,
    ContractChecker,
    Observation,
    Report,
    in_flight_shutdown,
)
from generator.conformance._otlp import OtlpReceiver, ReceivedSpan
from generator.conformance._runtime import Response, RunningService, free_port

__all__ = [
    "CheckOutcome",
    "CheckResult",
    "ContractChecker",
    "Observation",
    "OtlpReceiver",
    "ReceivedSpan",
    "Report",
    "Response",
    "RunningService",
    "check_service",
    "free_port",
    "in_flight_shutdown",
    "static_checks",
]
