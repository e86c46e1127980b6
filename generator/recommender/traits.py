"""The questions `scaffold recommend` asks about a service: names, values, defaults, parsing.

The vocabulary is a public interface: names and values appear in `--trait key=value`, in every
generated service's answers file and in its ADR, so a value is never renamed or removed. Traits
added later (`LATER_TRAITS`) are missing from older answers files; they read as their neutral
default there, which is what the service was recommended with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from generator.errors import UsageError


@dataclass(frozen=True)
class Trait:
    """One question about the service.

    Attributes:
        name: the key used in `--trait name=value` and in the answers file.
        question: the prompt shown on a terminal.
        help: one line for `--help` and documentation.
        values: the allowed values in the order they are offered; the neutral value comes
            first for traits added after the first release.
        value_help: a short explanation of every value, for prompts and help.
        default: the value of an ordinary internal service; it moves neither language.
        scale: the values from least to most demanding, for traits that have an order; empty
            for categorical traits (platform, key_libraries), whose values have none.

    """

    name: str
    question: str
    help: str
    values: tuple[str, ...]
    value_help: Mapping[str, str] = field(hash=False)
    default: str
    scale: tuple[str, ...] = ()

    def choices(self) -> str:
        """Return the valid values as one comma-separated string, for messages."""
        return ", ".join(self.values)


def _trait(
    name: str,
    question: str,
    help_text: str,
    values: Iterable[tuple[str, str]],
    default: str,
    *,
    scale: Iterable[str] | None = None,
) -> Trait:
    """Build a trait; `scale` defaults to the values' own order, `()` makes it categorical."""
    pairs = tuple(values)
    names = tuple(value for value, _ in pairs)
    return Trait(
        name=name,
        question=question,
        help=help_text,
        values=names,
        value_help=MappingProxyType(dict(pairs)),
        default=default,
        scale=names if scale is None else tuple(scale),
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
        "How critical is the service to the business?",
        "business criticality: what a failure costs (not exposure to untrusted input)",
        [
            ("standard", "ordinary internal service hygiene"),
            ("critical", "payments, finance, data integrity: a failure is a business incident"),
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
        "reliance on cloud SDKs and client libraries the team would otherwise write",
        [
            ("few", "a database driver and the platform libraries"),
            ("many", "several cloud SDKs, third-party APIs, client libraries to reuse"),
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
        scale=(),
    ),
    _trait(
        "cost_pressure",
        "How much do compute and memory per request cost at the expected scale?",
        "cost of compute and memory per request at the expected scale",
        [
            ("medium", "an ordinary service on a handful of instances"),
            ("low", "small scale; the bill for this service does not matter"),
            ("high", "large fleets, per-host agents, sidecars or per-tenant instances"),
        ],
        "medium",
        scale=("low", "medium", "high"),
    ),
    _trait(
        "key_libraries",
        "Where are the libraries or sibling code it must build on mature?",
        "the language of the libraries or sibling code the service builds on",
        [
            ("either", "what it needs exists in both languages"),
            ("go", "it builds on Go code (client-go for a Kubernetes controller, a Go SDK)"),
            ("rust", "it builds on Rust crates (DataFusion, a sibling Rust proxy's crates)"),
        ],
        "either",
        scale=(),
    ),
    _trait(
        "exposure",
        "Does it parse untrusted input at a security boundary?",
        "whether it parses untrusted input at a security boundary",
        [
            ("internal", "its callers are trusted services behind the platform's edge"),
            ("untrusted", "isolation, VPN or TLS data planes, secret handling, hostile input"),
        ],
        "internal",
    ),
)

TRAITS: Mapping[str, Trait] = MappingProxyType({trait.name: trait for trait in _TRAIT_LIST})
"""Every trait, in the order questions are asked and reported."""

LATER_TRAITS = ("cost_pressure", "key_libraries", "exposure")
"""Traits added after the first release: answers files written before lack them."""


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

    Surrounding spaces are ignored and a dash in a name reads as an underscore
    (`change-rate=high`). Names and values are lower case: `Latency=Strict` is refused with a
    hint rather than guessed at. Only the traits given are returned.

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
        name = key.strip().replace("-", "_")
        value = raw_value.strip()
        if name != name.lower() or value != value.lower():
            _check_trait(name.lower(), value.lower())  # even the lower-case form is wrong
            raise UsageError(
                f"trait {pair.strip()!r} is not lower case, as trait names and values are",
                hint=f"did you mean --trait {name.lower()}={value.lower()}?",
            )
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
