"""How many points each trait value gives Go or Rust, and why: the recommender's whole model.

Every weight carries a one-line reason a human would accept, traced to the factors in
`shared/docs/go-vs-rust.md` or to a published production decision in
`tests/data/recommender/decisions.yml`. The model is additive with three deliberate exceptions,
each of which can only move an answer the way its trigger points (so monotonicity survives):

* **The GC argument counts once.** Strict latency, a network layer and massive concurrency all
  argue "no garbage collector, tight control of memory"; their Rust points together are capped
  at `GC_CAP` (`gc_capped`), so one argument is not counted three times.
* **I/O-bound work favours Go only at ordinary budgets.** The seed's argument for Go is "I/O-bound
  work with ordinary latency needs": under strict latency or high cost pressure it lapses.
* **Integrations favour Go only when the team would otherwise write them.** With
  `key_libraries=rust`, the libraries it needs exist in Rust, so `integrations=many` lapses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from generator._languages import Language
from generator.recommender.traits import LATER_TRAITS, TRAITS


@dataclass(frozen=True)
class Pull:
    """Points one trait value adds to one language, and the reason in one line."""

    favors: Language
    weight: float
    why: str


def _go(weight: float, why: str) -> Pull:
    return Pull("go", weight, why)


def _rust(weight: float, why: str) -> Pull:
    return Pull("rust", weight, why)


BASELINE_GO = 1.5
"""Points Go starts with (the prior), listed among the reasons as the trait "prior"."""

BASELINE_WHY = "for typical services the simpler, safer bet is Go"

PRIOR = "prior"
"""The trait name under which the baseline appears among the reasons."""

WEIGHTS: Mapping[str, Mapping[str, Pull | None]] = MappingProxyType(
    {
        "latency": {
            "relaxed": _go(
                1.0, "a p99 budget of 500 ms or more makes GC pauses irrelevant; simplicity wins"
            ),
            "standard": None,
            "strict": _rust(
                2.0, "a ~10 ms p99 budget exposes GC pauses and jitter; Rust has no GC"
            ),
            "ultra": _rust(
                4.0,
                "a p99 of 1 ms or less cannot absorb GC pauses; "
                "Rust keeps p99/p999 predictable without a GC",
            ),
        },
        "workload": {
            "io": _go(1.0, "I/O-bound work at an ordinary budget: Go serves it fast and simply"),
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
                3.0,
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
                2.5,
                "millions of connections: Tokio tasks keep CPU and memory per connection minimal",
            ),
        },
        "safety": {
            "standard": None,
            "critical": _rust(
                1.0,
                "business-critical: the compiler rules out data races and null dereferences, "
                "though Go serves many payment systems well",
            ),
        },
        "layer": {
            "business": None,
            "network": _rust(
                2.5,
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
            "strong": _go(2.0, "the team ships Go routinely and is productive from day one"),
        },
        "rust_skill": {
            "none": _go(
                3.0,
                "no Rust experience: weeks of ramp-up on ownership and lifetimes, scarcer hires",
            ),
            "some": None,
            "strong": _rust(2.0, "the team ships Rust routinely and is productive from day one"),
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
                1.0,
                "many cloud SDKs and client libraries to reuse: Go's ecosystem is broader",
            ),
        },
        "platform": {
            "none": None,
            # 1.0, not the 1.5 of the first release: scaffold renders the platform contract
            # (logging, tracing, metrics, health, CI) in both languages, so what is left to
            # port is the internal libraries beyond it.
            "go": _go(
                1.0,
                "shared tooling is in Go: a Rust service would need the internal packages "
                "beyond the generated contract ported",
            ),
            "rust": _rust(
                1.0,
                "shared tooling is in Rust: a Rust service reuses the internal crates beyond "
                "the generated contract",
            ),
            "mixed": None,
        },
        "cost_pressure": {
            "low": _go(0.5, "at small scale the bill is noise; development time is the real cost"),
            "medium": None,
            "high": _rust(
                3.0,
                "compute and memory multiply across a fleet, hosts or tenants: "
                "Rust needs fewer cores and no GC headroom",
            ),
        },
        "key_libraries": {
            "either": None,
            "go": _go(
                3.5, "the code it must build on is mature in Go; Rust would mean rewriting it"
            ),
            "rust": _rust(
                3.5, "the code it must build on is mature in Rust; Go would mean rewriting it"
            ),
        },
        "exposure": {
            "internal": None,
            "untrusted": _rust(
                2.0,
                "it parses untrusted input at a security boundary: memory safety without a "
                "runtime removes whole classes of exploits",
            ),
        },
    }
)
"""Points each (trait, value) adds to one language, with the one-line reason; None is neutral."""

GC_TRAITS = ("latency", "layer", "concurrency")
"""Traits whose Rust pull is the same argument (no GC, tight memory control), capped together."""

GC_CAP = 4.0
"""The most Rust points the GC-related traits give together: as much as ultra latency alone."""

GC_CAP_NOTE = "the GC-related traits (latency, layer, concurrency) count as one argument"

# The direction each ordered trait's values push as they get more demanding along its scale.
# Categorical traits (platform, key_libraries) have none: their go and rust values must pull
# hardest to their own language instead.
DIRECTION: Mapping[str, Language] = MappingProxyType(
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
        "cost_pressure": "rust",
        "exposure": "rust",
    }
)


def lapses(name: str, traits: Mapping[str, str]) -> str | None:
    """Return why a trait's pull does not count for these traits, or None when it counts.

    Each lapse removes a Go pull when another trait moves toward Rust, so it can only move an
    answer toward Rust, the way its trigger already points.
    """
    if name == "workload" and traits["workload"] == "io":
        if traits["latency"] in ("strict", "ultra"):
            return "I/O-bound work favours Go only at ordinary latency budgets"
        if traits["cost_pressure"] == "high":
            return "I/O-bound work favours Go only where cost per request is not pressing"
    if name == "integrations" and traits["key_libraries"] == "rust":
        return "the libraries it needs exist in Rust, so there is nothing to write in either"
    return None


def gc_capped(pulls: Mapping[str, Pull]) -> dict[str, float]:
    """Share `GC_CAP` among the GC-related Rust pulls, heaviest first (ties in trait order).

    Returns the points each of those traits keeps; a trait absorbed entirely keeps 0.
    """
    order = [name for name in GC_TRAITS if name in pulls and pulls[name].favors == "rust"]
    order.sort(key=lambda name: -pulls[name].weight)
    left = GC_CAP
    kept: dict[str, float] = {}
    for name in order:
        kept[name] = min(pulls[name].weight, left)
        left -= kept[name]
    return kept


def net(trait: str, value: str) -> float:
    """Return one (trait, value)'s signed points before interactions: Rust positive, Go negative."""
    pull = WEIGHTS[trait][value]
    if pull is None:
        return 0.0
    return pull.weight if pull.favors == "rust" else -pull.weight


def check_model() -> None:
    """Fail loudly at import if an edit to the tables breaks the model's invariants."""
    if set(WEIGHTS) != set(TRAITS):
        raise RuntimeError("WEIGHTS and TRAITS must cover the same traits")
    for name, trait in TRAITS.items():
        if set(WEIGHTS[name]) != set(trait.values) or set(trait.value_help) != set(trait.values):
            raise RuntimeError(f"trait {name!r}: weights and help must cover every value")
        if name in LATER_TRAITS and WEIGHTS[name][trait.default] is not None:
            # older answers files lack the trait; reading it as its default must change nothing
            raise RuntimeError(f"trait {name!r}: the default {trait.default!r} must be neutral")
        if any(pull is not None and pull.weight <= 0 for pull in WEIGHTS[name].values()):
            raise RuntimeError(f"trait {name!r}: weights must be positive (or None)")
        direction = DIRECTION.get(name)
        if direction is None:
            if trait.scale:
                raise RuntimeError(f"trait {name!r}: an ordered trait needs a direction")
            nets = {value: net(name, value) for value in trait.values}
            if nets["go"] != min(nets.values()) or nets["rust"] != max(nets.values()):
                raise RuntimeError(
                    f"{name}: 'go' must pull hardest to Go and 'rust' hardest to Rust"
                )
            continue
        if sorted(trait.scale) != sorted(trait.values):
            raise RuntimeError(f"trait {name!r}: its scale must order exactly its values")
        nets_along = [net(name, value) for value in trait.scale]
        ordered = nets_along if direction == "rust" else [-point for point in nets_along]
        if ordered != sorted(ordered):
            raise RuntimeError(f"trait {name!r}: points must move monotonically toward {direction}")


check_model()
