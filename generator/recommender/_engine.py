"""Recommend Go or Rust for a new service from its traits, and explain why.

The engine is pure (no I/O) and deterministic. It adds up the points model in `weights`:

* Go starts with a prior (`BASELINE_GO`), listed among the reasons as the trait "prior": for
  typical services the simpler, safer bet is Go, so Rust has to earn the service.
* Every (trait, value) pair adds its points to Go or to Rust, or nothing; team skills, platform
  tooling and the deadline are ordinary entries, so they are strong modifiers and never vetoes.
* The margin is `rust - go`; Rust wins only when it is strictly positive (ties go to Go), so
  every verdict has at least one reason that favours the winner.
* Confidence is a logistic function of the margin: `1 / (1 + exp(-|margin| / CONFIDENCE_SCALE))`.
  0.5 is a coin toss. The scale is fitted once, by maximum likelihood, to the published
  decisions marked `dev` in `tests/data/recommender/decisions.yml`, and checked on the held-out
  ones (`python -m generator.recommender.evaluation`; the README quotes the result).

Monotonicity: each trait's points move one way along its scale (`weights.check_model` at import)
and the three interactions in `weights` only ever remove a pull against the way their trigger
points, so making latency stricter, cost pressure higher or exposure untrusted can never turn a
Rust answer into Go; the property tests check it over the whole trait space.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from generator._languages import LANGUAGES, Language
from generator.recommender.traits import TRAITS, resolve_traits
from generator.recommender.weights import (
    BASELINE_GO,
    BASELINE_WHY,
    GC_CAP,
    GC_CAP_NOTE,
    PRIOR,
    WEIGHTS,
    Pull,
    gc_capped,
    lapses,
)

TEMPLATES: Mapping[Language, str] = MappingProxyType(
    {key: spec.template_dir for key, spec in LANGUAGES.items()}
)
_LABELS: Mapping[Language, str] = MappingProxyType(
    {key: spec.name for key, spec in LANGUAGES.items()}
)

CONFIDENCE_SCALE = 5.3
"""Margin (in points) per unit of the logistic's argument; fitted on the dev decisions."""

CLOSE_CALL_CONFIDENCE = 0.6
"""Below this confidence the recommendation carries a close-call caveat."""

TECHNICAL_TRAITS = (
    "latency",
    "workload",
    "memory",
    "concurrency",
    "safety",
    "layer",
    "cost_pressure",
    "exposure",
)
"""Traits that describe what the service does, as opposed to who builds it and when."""

_STRONG_TECHNICAL_PULL = 5.0
"""Rust points from technical traits above which a Go answer says what it is giving up."""


@dataclass(frozen=True)
class Reason:
    """One trait that moved the decision, the direction it pushed, and why.

    The prior is a reason too: `trait` "prior", `value` "baseline", favouring Go.
    """

    trait: str
    value: str
    favors: Language
    weight: float
    why: str

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object of this reason."""
        return {
            "trait": self.trait,
            "value": self.value,
            "favors": self.favors,
            "weight": self.weight,
            "why": self.why,
        }


@dataclass(frozen=True)
class Recommendation:
    """The engine's answer: a language, how sure it is, and the reasons and caveats behind it."""

    language: Language
    template: str
    confidence: float
    scores: Mapping[Language, float] = field(hash=False)
    reasons: tuple[Reason, ...]
    caveats: tuple[str, ...]
    traits: dict[str, str] = field(hash=False)

    @property
    def margin(self) -> float:
        """Return how many points the chosen language is ahead by (0 on a tie, which goes to Go)."""
        other: Language = "rust" if self.language == "go" else "go"
        return self.scores[self.language] - self.scores[other]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of `scaffold recommend --json`, also kept in the answers file."""
        return {
            "language": self.language,
            "template": self.template,
            "confidence": self.confidence,
            "scores": {"go": self.scores["go"], "rust": self.scores["rust"]},
            "reasons": [reason.to_dict() for reason in self.reasons],
            "caveats": list(self.caveats),
            "traits": dict(self.traits),
        }


def confidence_for(margin: float, scale: float = CONFIDENCE_SCALE) -> float:
    """Return how sure a margin makes the answer: 0.5 at a tie, toward 1.0 as it grows."""
    return 1.0 / (1.0 + math.exp(-abs(margin) / scale))


@dataclass(frozen=True)
class _Counted:
    """The reasons that count for a set of traits, and the pulls that did not and why."""

    reasons: tuple[Reason, ...]
    capped: tuple[str, ...]
    lapsed: tuple[tuple[str, str], ...]

    def points(self, language: Language, *, prior: bool = True) -> float:
        return sum(
            (
                reason.weight
                for reason in self.reasons
                if reason.favors == language and (prior or reason.trait != PRIOR)
            ),
            start=0.0,
        )


def _count(traits: Mapping[str, str]) -> _Counted:
    pulls: dict[str, Pull] = {}
    lapsed: list[tuple[str, str]] = []
    for name, value in traits.items():
        pull = WEIGHTS[name][value]
        if pull is None:
            continue
        why_not = lapses(name, traits)
        if why_not is None:
            pulls[name] = pull
        else:
            lapsed.append((f"{name}={value}", why_not))
    kept = gc_capped(pulls)
    reasons = [Reason(PRIOR, "baseline", "go", BASELINE_GO, BASELINE_WHY)]
    for name, pull in pulls.items():
        weight = kept.get(name, pull.weight)
        if weight > 0:
            reasons.append(Reason(name, traits[name], pull.favors, weight, pull.why))
    order = [PRIOR, *TRAITS]
    # Heaviest first; equal weights keep the prior first, then the order the traits are asked.
    reasons.sort(key=lambda reason: (-reason.weight, order.index(reason.trait)))
    capped = tuple(f"{name}={traits[name]}" for name in kept if kept[name] < pulls[name].weight)
    return _Counted(tuple(reasons), capped, tuple(lapsed))


def _caveats(
    language: Language,
    confidence: float,
    margin: float,
    counted: _Counted,
    traits: Mapping[str, str],
) -> tuple[str, ...]:
    return (
        *_score_caveats(language, confidence, margin, counted),
        *_team_caveats(language, traits),
    )


def _score_caveats(
    language: Language, confidence: float, margin: float, counted: _Counted
) -> list[str]:
    """Say how the points came out: close call, prior deciding, GC cap, technical pull given up."""
    caveats: list[str] = []
    if confidence < CLOSE_CALL_CONFIDENCE:
        lead = f"leads by only {_points(abs(margin))}" if margin else "wins a tie"
        caveats.append(
            f"Close call: {_LABELS[language]} {lead} (confidence {confidence:.2f}); either "
            "language is defensible, so let the team weigh the reasons listed."
        )
    traits_alone = counted.points("rust") - counted.points("go", prior=False)
    if language == "go" and traits_alone >= 0:
        balance = f"favour Rust by {_points(traits_alone)}" if traits_alone else "are even"
        caveats.append(
            f"The prior decided: the traits alone {balance}, and Go's starting lead of "
            f"{_points(BASELINE_GO)} ({BASELINE_WHY}) tipped it; the reasons above are the ones "
            "to argue about."
        )
    if counted.capped:
        caveats.append(
            f"Capped: {GC_CAP_NOTE}, worth at most {_points(GC_CAP)} together, so "
            f"{', '.join(counted.capped)} {'counts' if len(counted.capped) == 1 else 'count'} "
            "for less than on its own."
        )
    technical = [r for r in counted.reasons if r.trait in TECHNICAL_TRAITS and r.favors == "rust"]
    technical_points = sum(reason.weight for reason in technical)
    if language == "go" and technical_points >= _STRONG_TECHNICAL_PULL:
        listed = ", ".join(f"{r.trait}={r.value}" for r in technical)
        caveats.append(
            f"The technical traits pull toward Rust ({listed}: {_points(technical_points)}), "
            "but team and delivery factors decided for Go: watch p99 latency and memory, and "
            "consider moving the hot path into a Rust component later (hybrid stacks are normal)."
        )
    return caveats


_TEAM_CAVEATS: tuple[tuple[Language, str, str, str], ...] = (
    (
        "rust",
        "rust_skill",
        "none",
        "The team has no Rust experience (rust_skill=none): plan weeks of ramp-up on "
        "ownership and lifetimes, pair with an experienced Rust engineer, and have "
        "Rust-literate reviewers on every change until the team is fluent.",
    ),
    (
        "rust",
        "rust_skill",
        "some",
        "The team has only some Rust experience (rust_skill=some): budget ramp-up time "
        "and make sure an experienced Rust engineer reviews the code.",
    ),
    (
        "go",
        "go_skill",
        "none",
        "The team has no Go experience (go_skill=none): Go is quick to learn, but plan a "
        "short ramp-up and Go-literate code review.",
    ),
    (
        "rust",
        "platform",
        "go",
        "The shared platform tooling is in Go (platform=go): budget for porting or "
        "duplicating the internal logging, tracing and client packages in Rust; the "
        "generated service covers the platform contract, not internal libraries.",
    ),
    (
        "go",
        "platform",
        "rust",
        "The shared platform tooling is in Rust (platform=rust): this Go service will "
        "need Go equivalents of the internal crates it would otherwise reuse.",
    ),
    (
        "rust",
        "key_libraries",
        "go",
        "The code it builds on is mature in Go (key_libraries=go): check that the Rust "
        "crates it needs exist and are maintained before committing to Rust.",
    ),
    (
        "go",
        "key_libraries",
        "rust",
        "The code it builds on is mature in Rust (key_libraries=rust): this Go service "
        "will have to reimplement or bind to it.",
    ),
    (
        "go",
        "exposure",
        "untrusted",
        "It parses untrusted input at a security boundary (exposure=untrusted): fuzz the "
        "parsers (go test -fuzz) and keep unsafe and cgo out of them.",
    ),
    (
        "rust",
        "deadline",
        "urgent",
        "The deadline is urgent (deadline=urgent): Rust's upfront development cost and "
        "slower compiles put the date at risk; keep the first release narrow.",
    ),
)
"""(answer, trait, value, caveat): what an answer costs a team with that trait value."""


def _team_caveats(language: Language, traits: Mapping[str, str]) -> list[str]:
    """Say what the answer costs the team: skills to learn, tooling or libraries to port."""
    return [
        caveat
        for answer, name, value, caveat in _TEAM_CAVEATS
        if language == answer and traits[name] == value
    ]


def recommend(traits: Mapping[str, str]) -> Recommendation:
    """Recommend Go or Rust for a service; traits not given take their defaults.

    Raises:
        UsageError: an unknown trait or an invalid value.

    """
    effective = resolve_traits(traits)
    counted = _count(effective)
    go, rust = counted.points("go"), counted.points("rust")
    # Rounded so that float noise in a sum of halves can never decide a tie.
    margin = round(rust - go, 9)
    language: Language = "rust" if margin > 0 else "go"
    confidence = round(confidence_for(margin), 3)
    return Recommendation(
        language=language,
        template=TEMPLATES[language],
        confidence=confidence,
        scores={"go": round(go, 3), "rust": round(rust, 3)},
        reasons=counted.reasons,
        caveats=_caveats(language, confidence, margin, counted, effective),
        traits=effective,
    )


def explain_uncounted(rec: Recommendation) -> tuple[str, ...]:
    """Return the pulls that did not count for this answer, each with why, for the report."""
    return tuple(f"{pair}: {why}" for pair, why in _count(rec.traits).lapsed)


def _points(value: float) -> str:
    return f"{value:g} point" if value == 1 else f"{value:g} points"


def _lead(rec: Recommendation) -> str:
    if rec.margin == 0:
        return "a tie; ties go to Go"
    return f"{_LABELS[rec.language]} ahead by {_points(round(rec.margin, 3))}"


def format_recommendation(rec: Recommendation) -> str:
    """Render a plain-text report for the terminal: answer, confidence, reasons, caveats."""
    language = _LABELS[rec.language]
    lines = [
        f"Recommendation: {language} (template {rec.template})",
        f"Confidence:     {rec.confidence:.2f} ({_lead(rec)})",
        f"Scores:         Go {rec.scores['go']:g}  Rust {rec.scores['rust']:g}",
        "",
    ]
    rows = [("trait", "value", "favors", "weight", "why")]
    rows += [(r.trait, r.value, _LABELS[r.favors], f"+{r.weight:g}", r.why) for r in rec.reasons]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines.append("Reasons, heaviest first:")
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        cells[3] = row[3].rjust(widths[3])
        lines.append("  " + "  ".join([*cells, row[4]]).rstrip())
    neutral = [
        f"{name}={value}" for name, value in rec.traits.items() if WEIGHTS[name][value] is None
    ]
    if neutral:
        lines.append(f"Neutral:  {', '.join(neutral)}")
    uncounted = explain_uncounted(rec)
    if uncounted:
        lines.append("Not counted:")
        lines.extend(f"  {line}" for line in uncounted)
    if rec.caveats:
        lines.append("")
        lines.append("Caveats:")
        lines.extend(f"  - {caveat}" for caveat in rec.caveats)
    return "\n".join(lines)
