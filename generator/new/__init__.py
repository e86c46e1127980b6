"""`scaffold new`: gather answers, recommend a language, render a service that builds."""

from generator.new._naming import (
    RUST_KEYWORDS,
    WINDOWS_RESERVED,
    go_module_problem,
    validate_service_name,
)
from generator.new._service import (
    NewOptions,
    NewResult,
    ServiceRequest,
    answers_from_flags,
    create_service,
    new_service,
)

__all__ = [
    "RUST_KEYWORDS",
    "WINDOWS_RESERVED",
    "NewOptions",
    "NewResult",
    "ServiceRequest",
    "answers_from_flags",
    "create_service",
    "go_module_problem",
    "new_service",
    "validate_service_name",
]
