"""Recommend Go or Rust for a new service from its traits, and explain why (pure, no I/O)."""

from generator._languages import Language
from generator.recommender._engine import (
    BASELINE_GO,
    BASELINE_WHY,
    CLOSE_CALL_CONFIDENCE,
    TEMPLATES,
    TRAITS,
    WEIGHTS,
    Reason,
    Recommendation,
    Trait,
    default_traits,
    format_recommendation,
    parse_traits,
    recommend,
    resolve_traits,
)

__all__ = [
    "BASELINE_GO",
    "BASELINE_WHY",
    "CLOSE_CALL_CONFIDENCE",
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
