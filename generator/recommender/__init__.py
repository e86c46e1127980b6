"""Recommend Go or Rust for a new service from its traits, and explain why (pure, no I/O).

`traits` holds the questions, `weights` the points model and its reasons, `_engine` the sum,
confidence and caveats, and `evaluation` the check against published production decisions.
"""

from generator._languages import Language
from generator.recommender._engine import (
    CLOSE_CALL_CONFIDENCE,
    CONFIDENCE_SCALE,
    TEMPLATES,
    Reason,
    Recommendation,
    format_recommendation,
    recommend,
)
from generator.recommender.traits import (
    LATER_TRAITS,
    TRAITS,
    Trait,
    default_traits,
    parse_traits,
    resolve_traits,
)
from generator.recommender.weights import BASELINE_GO, BASELINE_WHY, GC_CAP, PRIOR, WEIGHTS

__all__ = [
    "BASELINE_GO",
    "BASELINE_WHY",
    "CLOSE_CALL_CONFIDENCE",
    "CONFIDENCE_SCALE",
    "GC_CAP",
    "LATER_TRAITS",
    "PRIOR",
    "TEMPLATES",
    "TRAITS",
    "WEIGHTS",
    "Language",
    "Reason",
    "Recommendation",
    "Trait",
    "default_traits",
    "format_recommendation",
    "parse_traits",
    "recommend",
    "resolve_traits",
]
