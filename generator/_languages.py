"""The languages scaffold generates, in one place: CLI choices, prompts, recommender, templates.

templates/copier.yml maps the same keys to the same template folders (`_subdirectory`); a test
keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, get_args

Language = Literal["go", "rust"]


@dataclass(frozen=True)
class LanguageSpec:
    """How a language is named to people and where its template lives."""

    key: Language
    name: str
    label: str
    template_dir: str


LANGUAGES: Mapping[Language, LanguageSpec] = MappingProxyType(
    {
        "go": LanguageSpec("go", "Go", "Go (gin)", "go-gin"),
        "rust": LanguageSpec("rust", "Rust", "Rust (axum)", "rust-axum"),
    }
)
assert tuple(LANGUAGES) == get_args(Language)  # noqa: S101 - a load-time invariant
