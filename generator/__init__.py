"""scaffold: generate Go (gin) and Rust (axum) services that keep one platform contract.

The public API, for tools that embed scaffold (the CLI is a thin layer over it)::

    from generator import NewOptions, new_service, check_service, update_service, recommend

Everything else is internal. Names load on first use, so `scaffold --help` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Aborted",
    "CheckOutcome",
    "NewOptions",
    "NewResult",
    "Recommendation",
    "ScaffoldError",
    "TemplateError",
    "TemplateSource",
    "ToolchainError",
    "UpdateResult",
    "UsageError",
    "__version__",
    "check_service",
    "new_service",
    "recommend",
    "update_service",
]

_HOME = {
    "CheckOutcome": "generator.conformance",
    "check_service": "generator.conformance",
    "UpdateResult": "generator.lifecycle",
    "update_service": "generator.lifecycle",
    "NewOptions": "generator.new",
    "NewResult": "generator.new",
    "new_service": "generator.new",
    "Recommendation": "generator.recommender",
    "recommend": "generator.recommender",
    "TemplateSource": "generator.template",
}

if TYPE_CHECKING:
    from generator.conformance import CheckOutcome as CheckOutcome
    from generator.conformance import check_service as check_service
    from generator.lifecycle import UpdateResult as UpdateResult
    from generator.lifecycle import update_service as update_service
    from generator.new import NewOptions as NewOptions
    from generator.new import NewResult as NewResult
    from generator.new import new_service as new_service
    from generator.recommender import Recommendation as Recommendation
    from generator.recommender import recommend as recommend
    from generator.template import TemplateSource as TemplateSource

# The errors are light and always needed: imported eagerly.
from generator.errors import (  # noqa: E402 - after __version__, which errors does not need
    Aborted,
    ScaffoldError,
    TemplateError,
    ToolchainError,
    UsageError,
)


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use (PEP 562)."""
    if name not in _HOME:
        raise AttributeError(f"module 'generator' has no attribute {name!r}")
    return getattr(import_module(_HOME[name]), name)
