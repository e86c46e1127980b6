"""Recommend Go or Rust for a new service from its traits, and explain why.

The engine is pure (no I/O) and deterministic. It encodes `shared/docs/go-vs-rust.md` as a
transparent, additive points model:

* Go starts with a fixed baseline (`BASELINE_GO`): for typical services the simpler, safer bet
  is Go, so Rust has to earn the service through its traits.
* Every (trait, value) pair adds a fixed number of points to Go or to Rust, or nothing
  (`WEIGHTS`). Team skills, platform tooling and the deadline are ordinary entries, so they are
  strong modifiers and never vetoes.
* The margin is `rust - go`; Rust wins only when the margin is strictly positive (ties go to Go).
* Confidence is a logistic function of the margin's size: 0.5 is a coin toss, 1.0 certainty.

Monotonicity holds by construction: each trait's points move in one direction along its ordered
values (checked when the module loads by `_check_model`), the total is a plain sum with no
interaction terms, and the decision is a threshold on that sum. Making latency stricter can
therefore only add Rust points and never turn a Rust answer into Go, and so on for every trait.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from generator._languages import LANGUAGES, Language
from generator.errors import UsageError

TEMPLATES: Mapping[Language, str] = MappingProxyType(
    {key: spec.template_dir for key, spec in LANGUAGES.items()}
)
_LABELS: Mapping[Language, str] = MappingProxyType(
    {key: spec.name for key, spec in LANGUAGES.items()}
)


@dataclass(frozen=True)
class Trait:
    """One question about the service.

    Attributes:
        name: the key used in `--trait name=value` and in the answers file.
        question: the prompt shown on a terminal.
        help: one line for `--help` and documentation.
        values: the allowed values, ordered from least demanding to most.
        value_help: a short explanation of every value, for prompts and help.
        default: the value of an ordinary internal service.

    """

    name: str
    question: str
    help: str
    values: tuple[str, ...]
    value_help: Mapping[str, str] = field(hash=False)
    default: str

    def choices(self) -> str:
        """Return the valid values as one comma-separated string, for messages."""
        return ", ".join(self.values)


def _trait(
    name: str, question: str, help_text: str, values: Iterable[tuple[str, str]], default: str
) -> Trait:
    pairs = tuple(values)
    return Trait(
        name=name,
        question=question,
        help=help_text,
        values=tuple(value for value, _ in pairs),
        value_help=MappingProxyType(dict(pairs)),
        default=default,
    )


_TRAIT_LIST = (
    _trait(
        "latency",
        "What p99 latency budget must the service meet?",
        "p99 latency budget and tolerance for jitter",
        [
            ("relaxed", "p99 of 500 ms or more; batch-like or back-office calls"),
            ("standard", "p99 around 100 ms; an ordinary web API"),
            ("strict", "p99 around 10 ms; pauses and jitter are visible to callers"),
            ("ultra", "p99 of 1 ms or less; jitter-intolerant (bidding, fraud scoring)"),
        ],
        "standard",
    ),
    _trait(
        "workload",
        "Where does a request spend its time?",
        "whether the work is I/O-bound or CPU-bound",
        [
            ("io", "waiting on databases, queues and other services"),
            ("mixed", "some real computation beside the I/O"),
            ("cpu", "computation dominates: crypto, parsing, scoring, indexing, SIMD"),
        ],
        "io",
    ),
    _trait(
        "memory",
        "How constrained is memory per instance?",
        "memory budget per instance or per connection",
        [
            ("ample", "ordinary container limits; memory is not a concern"),
            ("limited", "memory per instance or per connection is a real cost"),
            ("tight", "edge node, IoT gateway or sidecar; every megabyte counts"),
        ],
        "ample",
    ),
    _trait(
        "concurrency",
        "How many concurrent connections must one instance hold?",
        "concurrent connections per instance",
        [
            ("low", "up to about a thousand"),
            ("high", "thousands to about a hundred thousand"),
            ("massive", "hundreds of thousands to millions (chat, voice, push)"),
        ],
        "low",
    ),
    _trait(
        "safety",
        "How critical are security and memory safety?",
        "security or memory-safety criticality",
        [
            ("standard", "ordinary internal service hygiene"),
            ("critical", "payments, finance, untrusted-input parsing, security boundaries"),
        ],
        "standard",
    ),
    _trait(
        "layer",
        "Is it a business service or a network-level component?",
        "business logic or a network/protocol component",
        [
            ("business", "business logic behind an HTTP or gRPC API"),
            ("network", "proxy, load balancer, broker, protocol server or wasm host"),
        ],
        "business",
    ),
    _trait(
        "change_rate",
        "How often do its APIs and data contracts change?",
        "how often APIs and data contracts change",
        [
            ("low", "stable, long-lived contracts"),
            ("medium", "changes every few weeks"),
            ("high", "changes every sprint; the contract is still being discovered"),
        ],
        "medium",
    ),
    _trait(
        "teams",
        "How many teams read and change the service?",
        "teams that read and change the service",
        [
            ("single", "one owning team"),
            ("several", "two or three teams"),
            ("many", "many teams contribute or review"),
        ],
        "single",
    ),
    _trait(
        "go_skill",
        "How much Go experience does the owning team have?",
        "the owning team's Go experience",
        [
            ("none", "nobody has shipped Go"),
            ("some", "some members have shipped Go"),
            ("strong", "the team ships Go routinely"),
        ],
        "some",
    ),
    _trait(
        "rust_skill",
        "How much Rust experience does the owning team have?",
        "the owning team's Rust experience",
        [
            ("none", "nobody has shipped Rust"),
            ("some", "some members have shipped Rust"),
            ("strong", "the team ships Rust routinely"),
        ],
        "some",
    ),
    _trait(
        "deadline",
        "How pressing is the first release?",
        "pressure on the first release",
        [
            ("relaxed", "time to invest upfront"),
            ("normal", "an ordinary plan"),
            ("urgent", "a hard date, weeks away"),
        ],
        "normal",
    ),
    _trait(
        "integrations",
        "How much does it rely on cloud SDKs and off-the-shelf libraries?",
        "reliance on cloud SDKs and off-the-shelf integrations",
        [
            ("few", "a database driver and the platform libraries"),
            ("many", "several cloud SDKs, third-party APIs, client libraries"),
        ],
        "few",
    ),
    _trait(
        "platform",
        "In which language is the existing shared internal tooling?",
        "language of the existing shared internal tooling (libraries, CI, templates)",
        [
            ("none", "no shared tooling to reuse"),
            ("go", "shared logging, tracing, CI and client packages are in Go"),
            ("rust", "shared logging, tracing, CI and client crates are in Rust"),
            ("mixed", "shared tooling exists in both languages"),
        ],
        "none",
    ),
)

TRAITS: Mapping[str, Trait] = MappingProxyType({trait.name: trait for trait in _TRAIT_LIST})
"""Every trait, in the order questions are asked and reported."""


@dataclass(frozen=True)
class _Pull:
    favors: Language
    weight: float
    why: str


def _go(weight: float, why: str) -> _Pull:
    return _Pull("go", weight, why)


def _rust(weight: float, why: str) -> _Pull:
    return _Pull("rust", weight, why)


BASELINE_GO = 2.0
"""Points Go starts with, before any trait counts."""

BASELINE_WHY = "for typical services the simpler, safer bet is Go"

WEIGHTS: Mapping[str, Mapping[str, _Pull | None]] = MappingProxyType(
    {
        "latency": {
            "relaxed": _go(
                1.0, "a p99 budget of 500 ms or more makes GC pauses irrelevant; simplicity wins"
            ),
            "standard": None,
            "strict": _rust(
                2.5, "a ~10 ms p99 budget exposes GC pauses and jitter; Rust has no GC"
            ),
            "ultra": _rust(
                5.0,
                "a p99 of 1 ms or less cannot absorb GC pauses; "
                "Rust keeps p99/p999 predictable without a GC",
            ),
        },
        "workload": {
            "io": _go(1.0, "I/O-bound work: Go serves thousands of requests/s; CPU speed is moot"),
            "mixed": None,
            "cpu": _rust(
                3.0,
                "CPU-heavy work: zero-cost abstractions and memory control "
                "give more throughput per core",
            ),
        },
        "memory": {
            "ample": None,
            "limited": _rust(
                1.5, "memory is a real cost: Rust needs no GC headroom and has a smaller footprint"
            ),
            "tight": _rust(
                3.5,
                "tight memory (edge, IoT, sidecar) needs a small, predictable footprint "
                "with no GC heap",
            ),
        },
        "concurrency": {
            "low": None,
            "high": _rust(
                0.5,
                "thousands of connections: goroutines cope well, "
                "Rust async tasks are slightly leaner",
            ),
            "massive": _rust(
                3.0,
                "millions of connections: Tokio tasks keep CPU and memory per connection minimal",
            ),
        },
        "safety": {
            "standard": None,
            "critical": _rust(
                3.0,
                "safety-critical: ownership rules out data races, null dereferences "
                "and memory corruption at compile time",
            ),
        },
        "layer": {
            "business": None,
            "network": _rust(
                3.0,
                "network component: fine control of sockets, buffers and queues "
                "(rustls, quinn, mio)",
            ),
        },
        "change_rate": {
            "low": _rust(
                1.0, "stable, long-lived contracts let Rust's upfront cost pay back over time"
            ),
            "medium": None,
            "high": _go(2.0, "contracts change often: readable Go is quicker to review and change"),
        },
        "teams": {
            "single": None,
            "several": _go(
                1.0, "several teams change it: Go's low cognitive overhead eases cross-team review"
            ),
            "many": _go(
                2.5, "many teams change it: anyone can read and review Go, no specialists needed"
            ),
        },
        "go_skill": {
            "none": _rust(
                1.0, "no Go experience removes Go's familiarity edge (though Go is quick to learn)"
            ),
            "some": None,
            "strong": _go(1.5, "the team ships Go routinely and is productive from day one"),
        },
        "rust_skill": {
            "none": _go(
                3.0,
                "no Rust experience: weeks of ramp-up on ownership and lifetimes, scarcer hires",
            ),
            "some": None,
            "strong": _rust(2.0, "the team ships Rust routinely, so the learning curve is paid"),
        },
        "deadline": {
            "relaxed": _rust(0.5, "a relaxed deadline leaves time to pay Rust's upfront cost"),
            "normal": None,
            "urgent": _go(
                2.5,
                "an urgent deadline favours Go: fast compiles, minimal syntax, short iterations",
            ),
        },
        "integrations": {
            "few": None,
            "many": _go(
                2.0, "many cloud SDKs and libraries: Go's ecosystem is broader and plug-and-play"
            ),
        },
        "platform": {
            "none": None,
            "go": _go(
                2.0,
                "shared tooling is in Go: Rust would need its logging, tracing and CI "
                "packages ported",
            ),
            "rust": _rust(
                2.0, "shared tooling is in Rust: a Rust service reuses it instead of duplicating it"
            ),
            "mixed": None,
        },
    }
)
"""Points each (trait, value) adds to one language, with the one-line reason; None is neutral."""

# The direction each trait's values push as they get more demanding, per issue 4. A categorical
# trait (platform) has no direction: its Go and Rust values must be the extremes instead.
_DIRECTION: Mapping[str, Language] = MappingProxyType(
    {
        "latency": "rust",
        "workload": "rust",
        "memory": "rust",
        "concurrency": "rust",
        "safety": "rust",
        "layer": "rust",
        "change_rate": "go",
        "teams": "go",
        "go_skill": "go",
        "rust_skill": "rust",
        "deadline": "go",
        "integrations": "go",
    }
)

_TECHNICAL = ("latency", "workload", "memory", "concurrency", "safety", "layer")
"""Traits that describe what the service does, as opposed to who builds it and when."""

CLOSE_CALL_CONFIDENCE = 0.7
"""Below this confidence the recommendation carries a close-call caveat."""

_CONFIDENCE_SCALE = 2.0
"""Margin (in points) that moves the logistic confidence by one unit of its argument."""

_STRONG_TECHNICAL_PULL = 5.0
"""Rust points from technical traits above which a Go answer says what it is giving up."""


def _net(trait: str, value: str) -> float:
    """Return one (trait, value)'s signed share of the margin: Rust positive, Go negative."""
    pull = WEIGHTS[trait][value]
    if pull is None:
        return 0.0
    return pull.weight if pull.favors == "rust" else -pull.weight


def _check_model() -> None:
    """Fail loudly at import if an edit to the tables breaks the model's invariants."""
    if set(WEIGHTS) != set(TRAITS):
        raise RuntimeError("WEIGHTS and TRAITS must cover the same traits")
    for name, trait in TRAITS.items():
        if set(WEIGHTS[name]) != set(trait.values) or set(trait.value_help) != set(trait.values):
            raise RuntimeError(f"trait {name!r}: weights and help must cover every value")
        if trait.default not in trait.values:
            raise RuntimeError(f"trait {name!r}: default {trait.default!r} is not a value")
        if any(pull is not None and pull.weight <= 0 for pull in WEIGHTS[name].values()):
            raise RuntimeError(f"trait {name!r}: weights must be positive (or None)")
        nets = [_net(name, value) for value in trait.values]
        direction = _DIRECTION.get(name)
        if direction is None:
            continue
        ordered = nets if direction == "rust" else [-net for net in nets]
        if ordered != sorted(ordered):
            raise RuntimeError(f"trait {name!r}: points must move monotonically toward {direction}")
    platform = {value: _net("platform", value) for value in TRAITS["platform"].values}
    if platform["go"] != min(platform.values()) or platform["rust"] != max(platform.values()):
        raise RuntimeError("platform: 'go' must pull hardest to Go and 'rust' hardest to Rust")


_check_model()


@dataclass(frozen=True)
class Reason:
    """One trait that moved the decision, the direction it pushed, and why."""

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


def _trait_names() -> str:
    return ", ".join(TRAITS)


def _check_trait(name: str, value: str) -> None:
    trait = TRAITS.get(name)
    if trait is None:
        raise UsageError(
            f"unknown trait {name!r}; valid traits: {_trait_names()}",
            hint="see `scaffold recommend --help` for what each trait means",
        )
    if value not in trait.values:
        raise UsageError(
            f"invalid value {value!r} for trait {name!r}; valid values: {trait.choices()}",
            hint=f"{name} is the {trait.help}",
        )


def parse_traits(pairs: Iterable[str]) -> dict[str, str]:
    """Parse `key=value` strings (as given to `--trait`) into a validated trait mapping.

    Surrounding spaces are ignored, names and values are lower-cased, and a dash in a name
    reads as an underscore (`change-rate=high`). Only the traits given are returned.

    Raises:
        UsageError: a pair without '=', an unknown trait, an invalid value or a trait given twice.

    """
    traits: dict[str, str] = {}
    for pair in pairs:
        key, sep, raw_value = pair.partition("=")
        if not sep:
            raise UsageError(
                f"trait {pair!r} is not key=value; valid traits: {_trait_names()}",
                hint="e.g. --trait latency=strict",
            )
        name = key.strip().lower().replace("-", "_")
        value = raw_value.strip().lower()
        _check_trait(name, value)
        if name in traits:
            raise UsageError(
                f"trait {name!r} given twice ({traits[name]!r} and {value!r}); "
                f"give one of: {TRAITS[name].choices()}",
                hint="pass each --trait once",
            )
        traits[name] = value
    return traits


def default_traits() -> dict[str, str]:
    """Every trait at its default: an ordinary internal service."""
    return {name: trait.default for name, trait in TRAITS.items()}


def resolve_traits(traits: Mapping[str, str]) -> dict[str, str]:
    """Validate the given traits and fill in the defaults, in the order of `TRAITS`.

    Raises:
        UsageError: an unknown trait or an invalid value.

    """
    for name, value in traits.items():
        _check_trait(name, value)
    return {name: traits.get(name, trait.default) for name, trait in TRAITS.items()}


def _confidence(margin: float) -> float:
    return round(1.0 / (1.0 + math.exp(-abs(margin) / _CONFIDENCE_SCALE)), 3)


def _caveats(
    language: Language, confidence: float, margin: float, traits: Mapping[str, str]
) -> tuple[str, ...]:
    caveats: list[str] = []
    if confidence < CLOSE_CALL_CONFIDENCE:
        lead = f"leads by only {_points(abs(margin))}" if margin else "wins a tie"
        caveats.append(
            f"Close call: {_LABELS[language]} {lead} (confidence {confidence:.2f}); either "
            "language is defensible, so let the team weigh the reasons listed."
        )
    rust_skill = traits["rust_skill"]
    if language == "rust" and rust_skill == "none":
        caveats.append(
            "The team has no Rust experience (rust_skill=none): plan weeks of ramp-up on "
            "ownership and lifetimes, pair with an experienced Rust engineer, and have "
            "Rust-literate reviewers on every change until the team is fluent."
        )
    elif language == "rust" and rust_skill == "some":
        caveats.append(
            "The team has only some Rust experience (rust_skill=some): budget ramp-up time "
            "and make sure an experienced Rust engineer reviews the code."
        )
    if language == "go" and traits["go_skill"] == "none":
        caveats.append(
            "The team has no Go experience (go_skill=none): Go is quick to learn, but plan a "
            "short ramp-up and Go-literate code review."
        )
    technical = [
        (name, traits[name])
        for name in _TECHNICAL
        if (pull := WEIGHTS[name][traits[name]]) is not None and pull.favors == "rust"
    ]
    technical_points = sum(_net(name, value) for name, value in technical)
    if language == "go" and technical_points >= _STRONG_TECHNICAL_PULL:
        listed = ", ".join(f"{name}={value}" for name, value in technical)
        caveats.append(
            f"The technical traits pull toward Rust ({listed}: {_points(technical_points)}), "
            "but team and delivery factors decided for Go: watch p99 latency and memory, and "
            "consider moving the hot path into a Rust component later (hybrid stacks are normal)."
        )
    if language == "rust" and traits["platform"] == "go":
        caveats.append(
            "The shared platform tooling is in Go (platform=go): budget for porting or "
            "duplicating the internal logging, tracing and client packages in Rust; the "
            "generated service covers the platform contract, not internal libraries."
        )
    if language == "go" and traits["platform"] == "rust":
        caveats.append(
            "The shared platform tooling is in Rust (platform=rust): this Go service will "
            "need Go equivalents of the internal crates it would otherwise reuse."
        )
    if language == "rust" and traits["deadline"] == "urgent":
        caveats.append(
            "The deadline is urgent (deadline=urgent): Rust's upfront development cost and "
            "slower compiles put the date at risk; keep the first release narrow."
        )
    return tuple(caveats)


def recommend(traits: Mapping[str, str]) -> Recommendation:
    """Recommend Go or Rust for a service; traits not given take their defaults.

    Raises:
        UsageError: an unknown trait or an invalid value.

    """
    effective = resolve_traits(traits)
    points: dict[Language, float] = {"go": BASELINE_GO, "rust": 0.0}
    reasons: list[Reason] = []
    for name, value in effective.items():
        pull = WEIGHTS[name][value]
        if pull is None:
            continue
        points[pull.favors] += pull.weight
        reasons.append(Reason(name, value, pull.favors, pull.weight, pull.why))
    order = list(TRAITS)
    # Heaviest first; equal weights keep the order in which the traits are asked.
    reasons.sort(key=lambda reason: (-reason.weight, order.index(reason.trait)))
    margin = points["rust"] - points["go"]
    language: Language = "rust" if margin > 0 else "go"
    confidence = _confidence(margin)
    return Recommendation(
        language=language,
        template=TEMPLATES[language],
        confidence=confidence,
        scores={"go": round(points["go"], 3), "rust": round(points["rust"], 3)},
        reasons=tuple(reasons),
        caveats=_caveats(language, confidence, margin, effective),
        traits=effective,
    )


def _points(value: float) -> str:
    return f"{value:g} point" if value == 1 else f"{value:g} points"


def _lead(rec: Recommendation) -> str:
    if rec.margin == 0:
        return "a tie; ties go to Go"
    return f"{_LABELS[rec.language]} ahead by {_points(rec.margin)}"


def format_recommendation(rec: Recommendation) -> str:
    """Render a plain-text report for the terminal: answer, confidence, reasons, caveats."""
    language = _LABELS[rec.language]
    lines = [
        f"Recommendation: {language} (template {rec.template})",
        f"Confidence:     {rec.confidence:.2f} ({_lead(rec)})",
        f"Scores:         Go {rec.scores['go']:g}  Rust {rec.scores['rust']:g}"
        f"  (Go starts at {BASELINE_GO:g}: {BASELINE_WHY})",
        "",
    ]
    if rec.reasons:
        rows = [("trait", "value", "favors", "weight", "why")]
        rows += [
            (r.trait, r.value, _LABELS[r.favors], f"+{r.weight:g}", r.why) for r in rec.reasons
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines.append("Reasons, heaviest first:")
        for row in rows:
            cells = [row[i].ljust(widths[i]) for i in range(4)]
            cells[3] = row[3].rjust(widths[3])
            lines.append("  " + "  ".join([*cells, row[4]]).rstrip())
    else:
        lines.append("Reasons: none; every trait is neutral, so the baseline decides.")
    neutral = [
        f"{name}={value}" for name, value in rec.traits.items() if WEIGHTS[name][value] is None
    ]
    if neutral:
        lines.append(f"Neutral:  {', '.join(neutral)}")
    if rec.caveats:
        lines.append("")
        lines.append("Caveats:")
        lines.extend(f"  - {caveat}" for caveat in rec.caveats)
    return "\n".join(lines)
