"""The recommendation engine: realistic profiles, properties (hypothesis), JSON shape, errors."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.errors import UsageError
from generator.recommender import (
    BASELINE_GO,
    CLOSE_CALL_CONFIDENCE,
    GC_CAP,
    LATER_TRAITS,
    PRIOR,
    TRAITS,
    WEIGHTS,
    Recommendation,
    default_traits,
    format_recommendation,
    parse_traits,
    recommend,
    resolve_traits,
)
from generator.recommender._engine import TECHNICAL_TRAITS

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)


# --- the vocabulary is exactly the one issue 4 asks for --------------------------------------

ISSUE_VOCABULARY = {
    "latency": ("relaxed", "standard", "strict", "ultra"),
    "workload": ("io", "mixed", "cpu"),
    "memory": ("ample", "limited", "tight"),
    "concurrency": ("low", "high", "massive"),
    "safety": ("standard", "critical"),
    "layer": ("business", "network"),
    "change_rate": ("low", "medium", "high"),
    "teams": ("single", "several", "many"),
    "go_skill": ("none", "some", "strong"),
    "rust_skill": ("none", "some", "strong"),
    "deadline": ("relaxed", "normal", "urgent"),
    "integrations": ("few", "many"),
    "platform": ("none", "go", "rust", "mixed"),
    # issue 17: the neutral value first
    "cost_pressure": ("medium", "low", "high"),
    "key_libraries": ("either", "go", "rust"),
    "exposure": ("internal", "untrusted"),
}


def test_vocabulary_matches_the_issue() -> None:
    assert {name: trait.values for name, trait in TRAITS.items()} == ISSUE_VOCABULARY
    assert list(TRAITS) == list(ISSUE_VOCABULARY)


@pytest.mark.parametrize("name", list(ISSUE_VOCABULARY))
def test_every_trait_is_documented(name: str) -> None:
    trait = TRAITS[name]
    assert trait.name == name
    assert trait.question.endswith("?")
    assert trait.help
    assert trait.default in trait.values
    assert set(trait.value_help) == set(trait.values)
    assert all(text and "\n" not in text for text in trait.value_help.values())


def test_defaults_describe_an_ordinary_internal_service() -> None:
    assert default_traits() == {
        "latency": "standard",
        "workload": "io",
        "memory": "ample",
        "concurrency": "low",
        "safety": "standard",
        "layer": "business",
        "change_rate": "medium",
        "teams": "single",
        "go_skill": "some",
        "rust_skill": "some",
        "deadline": "normal",
        "integrations": "few",
        "platform": "none",
        "cost_pressure": "medium",
        "key_libraries": "either",
        "exposure": "internal",
    }


def test_later_traits_are_neutral_by_default() -> None:
    """Answers files from before issue 17 lack these; reading them as defaults changes nothing."""
    assert LATER_TRAITS == ("cost_pressure", "key_libraries", "exposure")
    for name in LATER_TRAITS:
        assert WEIGHTS[name][TRAITS[name].default] is None


# --- realistic profiles ----------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    name: str
    traits: dict[str, str]
    expected: str
    why: str


PROFILES = [
    Profile(
        "card fraud scoring within microseconds",
        {"latency": "ultra", "workload": "cpu", "safety": "critical", "change_rate": "low"},
        "rust",
        "microsecond budgets cannot absorb GC pauses, and scoring is CPU work on money",
    ),
    Profile(
        "real-time bidding engine",
        {"latency": "ultra", "workload": "mixed", "concurrency": "high"},
        "rust",
        "latency jitter costs revenue on every auction",
    ),
    Profile(
        "TLS-terminating edge proxy",
        {
            "latency": "strict",
            "layer": "network",
            "concurrency": "massive",
            "safety": "critical",
            "memory": "limited",
        },
        "rust",
        "a network component facing untrusted traffic at scale: rustls, no GC",
    ),
    Profile(
        "IoT gateway on edge nodes",
        {"memory": "tight", "concurrency": "high", "workload": "mixed"},
        "rust",
        "a small, predictable footprint on constrained hardware",
    ),
    Profile(
        "service-mesh sidecar",
        {"memory": "tight", "layer": "network", "latency": "strict"},
        "rust",
        "runs beside every pod: memory and added latency multiply across the fleet",
    ),
    Profile(
        "chat presence for millions of connections",
        {"concurrency": "massive", "latency": "strict", "memory": "limited"},
        "rust",
        "Tokio keeps memory per connection minimal at millions of sockets",
    ),
    Profile(
        "telemetry burst ingestion from devices",
        {"latency": "strict", "concurrency": "high", "workload": "mixed", "memory": "limited"},
        "rust",
        "bursts from thousands of devices cannot afford GC jitter",
    ),
    Profile(
        "ML feature preprocessing with SIMD",
        {"workload": "cpu", "latency": "strict"},
        "rust",
        "throughput per core and SIMD control on the inference path",
    ),
    Profile(
        "signing service for payment tokens",
        {"workload": "cpu", "safety": "critical", "change_rate": "low"},
        "rust",
        "cryptography on a payment path: CPU-bound, safety-critical, stable contract",
    ),
    Profile(
        "metadata indexer at millions of ops/s",
        {"workload": "cpu", "latency": "strict", "memory": "limited"},
        "rust",
        "millions of ops/s reward zero-cost abstractions and memory control",
    ),
    Profile(
        "untrusted document parser",
        {"workload": "cpu", "safety": "critical"},
        "rust",
        "parsing hostile input is where memory safety matters most",
    ),
    Profile(
        "payment ledger core",
        {"safety": "critical", "change_rate": "low", "workload": "mixed", "deadline": "relaxed"},
        "rust",
        "correctness-critical and long-lived: the upfront cost pays back",
    ),
    Profile(
        "WebAssembly plugin host for a Rust team",
        {"layer": "network", "safety": "critical", "rust_skill": "strong", "platform": "rust"},
        "rust",
        "a sandboxing host built by a Rust team on Rust tooling",
    ),
    Profile(
        "custom message broker",
        {"layer": "network", "concurrency": "massive", "latency": "strict", "memory": "limited"},
        "rust",
        "tight control over sockets, buffers and queues",
    ),
    Profile(
        "rate-limiting sidecar on a Go platform",
        {"layer": "network", "latency": "strict", "memory": "tight", "platform": "go"},
        "rust",
        "the platform cost is real but the footprint and latency needs outweigh it",
    ),
    Profile(
        "pricing engine for a team without Rust",
        {"latency": "ultra", "workload": "cpu", "rust_skill": "none", "go_skill": "strong"},
        "rust",
        "skills are a modifier, not a veto: the latency need still wins, with a caveat",
    ),
    Profile(
        "internal API for a Rust-only team on Rust tooling",
        {"rust_skill": "strong", "go_skill": "none", "platform": "rust"},
        "rust",
        "with no Go skills and Rust tooling, Go's usual advantages are gone",
    ),
    Profile(
        "blockchain transaction validator",
        {"workload": "cpu", "safety": "critical", "latency": "strict"},
        "rust",
        "CPU-bound validation where a memory bug is a security incident",
    ),
    Profile(
        "billing orchestrator",
        {"change_rate": "high", "teams": "several", "integrations": "many"},
        "go",
        "glue between payment providers: SDKs and fast change, not raw speed",
    ),
    Profile(
        "authentication gateway",
        {"safety": "critical", "teams": "many", "integrations": "many", "go_skill": "strong"},
        "go",
        "security-relevant, but decided by mature OIDC libraries and many reviewers",
    ),
    Profile(
        "API aggregator for the mobile app",
        {"change_rate": "high", "teams": "several", "integrations": "many"},
        "go",
        "I/O fan-out with contracts that change every sprint",
    ),
    Profile(
        "logging and audit pipeline",
        {"latency": "relaxed", "integrations": "many", "platform": "go"},
        "go",
        "ops glue on the existing Go platform with cloud storage SDKs",
    ),
    Profile(
        "internal admin CRUD API",
        {"latency": "relaxed", "change_rate": "high"},
        "go",
        "back-office CRUD: delivery speed is everything",
    ),
    Profile(
        "notification dispatcher over cloud SDKs",
        {"integrations": "many", "latency": "relaxed"},
        "go",
        "email, SMS and push providers all ship first-class Go SDKs",
    ),
    Profile(
        "partner webhook relay for an urgent launch",
        {"deadline": "urgent", "integrations": "many"},
        "go",
        "a hard date and many third-party APIs",
    ),
    Profile(
        "pricing engine for a team without Rust, due in weeks",
        {
            "latency": "ultra",
            "workload": "cpu",
            "rust_skill": "none",
            "go_skill": "strong",
            "deadline": "urgent",
        },
        "go",
        "under a hard deadline the missing Rust skills tip the balance to Go",
    ),
    Profile(
        "report generation API",
        {"latency": "relaxed", "workload": "cpu", "integrations": "many", "change_rate": "high"},
        "go",
        "CPU work, but nobody waits on it and the report formats change constantly",
    ),
    Profile(
        "feature-flag evaluation on a Go platform",
        {"latency": "strict", "teams": "many", "platform": "go", "go_skill": "strong"},
        "go",
        "in-memory lookups many teams touch; Go's GC is fine at this budget",
    ),
    Profile(
        "search fan-out gateway",
        {"concurrency": "high", "teams": "several"},
        "go",
        "goroutines handle thousands of concurrent fan-out calls well",
    ),
    Profile(
        "inventory service in a Go shop",
        {"teams": "several", "go_skill": "strong", "platform": "go"},
        "go",
        "an ordinary business service where the tooling and the team are Go",
    ),
    Profile(
        "Rust-fluent team on a Go platform shared by many teams",
        {"rust_skill": "strong", "platform": "go", "teams": "many"},
        "go",
        "one team's Rust fluency does not outweigh everyone else reading the code",
    ),
    Profile(
        "ETL job scheduler",
        {"latency": "relaxed", "integrations": "many", "teams": "several"},
        "go",
        "orchestration across cloud services; latency is irrelevant",
    ),
    Profile(
        "GraphQL gateway for many teams",
        {"teams": "many", "change_rate": "high"},
        "go",
        "a schema many teams extend every week",
    ),
    Profile(
        "CPU-heavy worker under an urgent deadline",
        {"workload": "cpu", "deadline": "urgent"},
        "go",
        "CPU alone is a modest pull; a hard date outweighs it",
    ),
    Profile(
        "ordinary internal service (all defaults)",
        {},
        "go",
        "for typical services the simpler, safer bet is Go",
    ),
]


def test_profile_table_is_large_and_balanced() -> None:
    assert len(PROFILES) >= 25
    assert len({profile.name for profile in PROFILES}) == len(PROFILES)
    languages = [profile.expected for profile in PROFILES]
    assert languages.count("go") >= 10
    assert languages.count("rust") >= 10


@pytest.mark.parametrize("profile", PROFILES, ids=[profile.name for profile in PROFILES])
def test_profile(profile: Profile) -> None:
    rec = recommend(profile.traits)
    assert rec.language == profile.expected, (
        f"{profile.name}: expected {profile.expected} because {profile.why}\n"
        + format_recommendation(rec)
    )


def test_skills_modifier_cases_carry_their_caveats() -> None:
    no_rust = recommend(
        {"latency": "ultra", "workload": "cpu", "rust_skill": "none", "go_skill": "strong"}
    )
    assert any("rust_skill=none" in caveat for caveat in no_rust.caveats)
    assert any(caveat.startswith("Close call") for caveat in no_rust.caveats)

    urgent = recommend({**no_rust.traits, "deadline": "urgent"})
    assert urgent.language == "go"
    assert any("pull toward Rust" in caveat for caveat in urgent.caveats)


# --- property tests --------------------------------------------------------------------------

full_traits = st.fixed_dictionaries(
    {name: st.sampled_from(trait.values) for name, trait in TRAITS.items()}
)
partial_traits = st.fixed_dictionaries(
    {}, optional={name: st.sampled_from(trait.values) for name, trait in TRAITS.items()}
)


def _margin(rec: Recommendation) -> float:
    return rec.scores["rust"] - rec.scores["go"]


@PROPERTY_SETTINGS
@given(partial_traits)
def test_deterministic(traits: dict[str, str]) -> None:
    first = recommend(traits)
    assert recommend(dict(reversed(list(traits.items())))) == first
    assert recommend(first.traits) == first
    assert json.dumps(recommend(traits).to_dict()) == json.dumps(first.to_dict())
    assert format_recommendation(recommend(traits)) == format_recommendation(first)


# (trait, direction): moving the trait up its scale never moves the answer away from `direction`.
# The first twelve are issue 4's list; rust_skill mirrors go_skill; issue 17 adds the last two.
MONOTONE = [
    ("latency", "rust"),
    ("workload", "rust"),
    ("memory", "rust"),
    ("concurrency", "rust"),
    ("safety", "rust"),
    ("layer", "rust"),
    ("go_skill", "go"),
    ("change_rate", "go"),
    ("teams", "go"),
    ("deadline", "go"),
    ("integrations", "go"),
    ("rust_skill", "rust"),
    ("cost_pressure", "rust"),
    ("exposure", "rust"),
]


def test_every_ordered_trait_is_checked_for_monotonicity() -> None:
    ordered = {name for name, trait in TRAITS.items() if trait.scale}
    assert ordered == {name for name, _ in MONOTONE}
    assert TRAITS["cost_pressure"].scale == ("low", "medium", "high")


@pytest.mark.parametrize(("trait", "direction"), MONOTONE)
def test_monotone(trait: str, direction: str) -> None:
    values = TRAITS[trait].scale

    @PROPERTY_SETTINGS
    @given(full_traits, st.data())
    def check(traits: dict[str, str], data: st.DataObject) -> None:
        low = data.draw(st.integers(0, len(values) - 2), label="lower")
        high = data.draw(st.integers(low + 1, len(values) - 1), label="higher")
        before = recommend({**traits, trait: values[low]})
        after = recommend({**traits, trait: values[high]})
        if before.language == direction:
            assert after.language == direction, (trait, values[low], values[high], traits)
        sign = 1 if direction == "rust" else -1
        assert sign * _margin(after) >= sign * _margin(before)

    check()


# The traits the model's interactions join (GC cap, lapses). Every other trait adds a constant
# that does not depend on them, so checking every combination of these with the rest at their
# defaults proves monotonicity over the whole trait space, not only the sampled part of it.
INTERACTING = (
    "latency",
    "layer",
    "concurrency",
    "workload",
    "cost_pressure",
    "integrations",
    "key_libraries",
)


def _combinations(names: tuple[str, ...]) -> list[dict[str, str]]:
    combos: list[dict[str, str]] = [{}]
    for name in names:
        combos = [{**combo, name: value} for combo in combos for value in TRAITS[name].values]
    return combos


def test_monotone_exhaustively_where_traits_interact() -> None:
    moves = [(name, d) for name, d in MONOTONE if name in INTERACTING]
    moves += [("key_libraries", "rust"), ("key_libraries", "go")]
    checked = 0
    for combo in _combinations(INTERACTING):
        base = _margin(recommend(combo))
        for name, direction in moves:
            sign = 1 if direction == "rust" else -1
            if name == "key_libraries":
                changed = _margin(recommend({**combo, name: direction}))
                assert sign * changed >= sign * base, (combo, name)
                continue
            scale = TRAITS[name].scale
            position = scale.index(combo[name])
            for higher in scale[position + 1 :]:
                changed = _margin(recommend({**combo, name: higher}))
                assert sign * changed >= sign * base, (combo, name, higher)
                checked += 1
    assert checked > 1000


@pytest.mark.parametrize(
    ("trait", "value", "direction"),
    [
        ("platform", "go", "go"),
        ("platform", "rust", "rust"),
        ("key_libraries", "go", "go"),
        ("key_libraries", "rust", "rust"),
    ],
)
def test_a_categorical_value_never_moves_away_from_its_language(
    trait: str, value: str, direction: str
) -> None:
    @PROPERTY_SETTINGS
    @given(full_traits)
    def check(traits: dict[str, str]) -> None:
        before = recommend(traits)
        after = recommend({**traits, trait: value})
        if before.language == direction:
            assert after.language == direction
        sign = 1 if direction == "rust" else -1
        assert sign * _margin(after) >= sign * _margin(before)

    check()


@PROPERTY_SETTINGS
@given(full_traits)
def test_reasons_name_known_traits_and_their_actual_values(traits: dict[str, str]) -> None:
    rec = recommend(traits)
    prior = [r for r in rec.reasons if r.trait == PRIOR]
    assert len(prior) == 1
    assert (prior[0].value, prior[0].favors, prior[0].weight) == ("baseline", "go", BASELINE_GO)
    for reason in rec.reasons:
        if reason.trait != PRIOR:
            assert reason.trait in TRAITS
            assert reason.value == rec.traits[reason.trait] == traits[reason.trait]
        assert reason.favors in ("go", "rust")
        assert reason.weight > 0
        assert reason.why
        assert "\n" not in reason.why
        assert len(reason.why) <= 120
    assert [r.weight for r in rec.reasons] == sorted((r.weight for r in rec.reasons), reverse=True)
    assert len({r.trait for r in rec.reasons}) == len(rec.reasons)
    moved = {name for name, value in rec.traits.items() if WEIGHTS[name][value] is not None}
    assert {r.trait for r in rec.reasons} - {PRIOR} <= moved


@PROPERTY_SETTINGS
@given(full_traits)
def test_every_verdict_has_a_reason_that_favours_it(traits: dict[str, str]) -> None:
    rec = recommend(traits)
    assert any(reason.favors == rec.language for reason in rec.reasons)


@PROPERTY_SETTINGS
@given(full_traits)
def test_scores_are_the_sum_of_the_reasons(traits: dict[str, str]) -> None:
    rec = recommend(traits)
    go = sum(r.weight for r in rec.reasons if r.favors == "go")
    rust = sum(r.weight for r in rec.reasons if r.favors == "rust")
    assert rec.scores == {"go": pytest.approx(go), "rust": pytest.approx(rust)}
    assert rec.language == ("rust" if rust > go + 1e-9 else "go")
    assert rec.template == {"go": "go-gin", "rust": "rust-axum"}[rec.language]


@PROPERTY_SETTINGS
@given(full_traits)
def test_the_gc_traits_count_as_one_argument(traits: dict[str, str]) -> None:
    rec = recommend(traits)
    gc = sum(
        r.weight
        for r in rec.reasons
        if r.trait in ("latency", "layer", "concurrency") and r.favors == "rust"
    )
    assert gc <= GC_CAP
    capped = any(caveat.startswith("Capped:") for caveat in rec.caveats)
    raw = sum(
        pull.weight
        for name in ("latency", "layer", "concurrency")
        if (pull := WEIGHTS[name][traits[name]]) is not None and pull.favors == "rust"
    )
    assert capped == (raw > GC_CAP)
    assert gc == pytest.approx(min(raw, GC_CAP))


def test_the_gc_cap_in_one_profile() -> None:
    rec = recommend({"latency": "ultra", "layer": "network", "concurrency": "massive"})
    weights = {r.trait: r.weight for r in rec.reasons}
    assert weights["latency"] == 4
    assert "layer" not in weights
    assert "concurrency" not in weights
    assert any("layer=network, concurrency=massive count for less" in c for c in rec.caveats)


def test_io_favours_go_only_at_ordinary_budgets_and_costs() -> None:
    ordinary = recommend({"workload": "io"})
    assert any(r.trait == "workload" and r.favors == "go" for r in ordinary.reasons)
    for pressing in ({"latency": "strict"}, {"latency": "ultra"}, {"cost_pressure": "high"}):
        rec = recommend({"workload": "io", **pressing})
        assert all(r.trait != "workload" for r in rec.reasons), pressing
        assert "workload=io:" in format_recommendation(rec)


def test_integrations_count_only_when_the_team_would_write_them() -> None:
    assert any(r.trait == "integrations" for r in recommend({"integrations": "many"}).reasons)
    rec = recommend({"integrations": "many", "key_libraries": "rust"})
    assert all(r.trait != "integrations" for r in rec.reasons)


def test_a_payments_api_is_not_pushed_to_rust_by_criticality_alone() -> None:
    assert recommend({"safety": "critical"}).language == "go"
    assert recommend({"safety": "critical", "go_skill": "strong"}).language == "go"


def test_strong_skill_counts_the_same_for_both_languages() -> None:
    go = WEIGHTS["go_skill"]["strong"]
    rust = WEIGHTS["rust_skill"]["strong"]
    assert go is not None
    assert rust is not None
    assert go.weight == rust.weight


@PROPERTY_SETTINGS
@given(full_traits)
def test_the_prior_deciding_is_said(traits: dict[str, str]) -> None:
    rec = recommend(traits)
    without_prior = sum(
        (r.weight if r.favors == "rust" else -r.weight) for r in rec.reasons if r.trait != PRIOR
    )
    said = any(caveat.startswith("The prior decided") for caveat in rec.caveats)
    assert said == (rec.language == "go" and without_prior >= -1e-9)


def test_the_prior_alone_decides_a_tie_of_traits() -> None:
    rec = recommend({"workload": "mixed"})
    assert rec.language == "go"
    assert [r.trait for r in rec.reasons] == [PRIOR]
    assert any("The prior decided: the traits alone are even" in c for c in rec.caveats)


@PROPERTY_SETTINGS
@given(full_traits)
def test_rust_for_a_team_without_rust_always_says_so(traits: dict[str, str]) -> None:
    rec = recommend({**traits, "rust_skill": "none"})
    if rec.language == "rust":
        assert any("rust_skill=none" in caveat for caveat in rec.caveats)


@PROPERTY_SETTINGS
@given(full_traits)
def test_caveats_follow_the_situation(traits: dict[str, str]) -> None:
    rec = recommend(traits)
    close = any(caveat.startswith("Close call") for caveat in rec.caveats)
    assert close == (rec.confidence < CLOSE_CALL_CONFIDENCE)
    if rec.language == "rust" and traits["platform"] == "go":
        assert any("platform=go" in caveat for caveat in rec.caveats)
    if rec.language == "rust" and traits["deadline"] == "urgent":
        assert any("deadline=urgent" in caveat for caveat in rec.caveats)
    if rec.language == "rust" and traits["rust_skill"] == "some":
        assert any("rust_skill=some" in caveat for caveat in rec.caveats)
    if rec.language == "go" and traits["exposure"] == "untrusted":
        assert any("exposure=untrusted" in caveat for caveat in rec.caveats)
    if rec.language != traits["key_libraries"] != "either":
        assert any(f"key_libraries={traits['key_libraries']}" in c for c in rec.caveats)
    technical = [c for c in rec.caveats if c.startswith("The technical traits pull toward Rust")]
    if technical:
        points = float(re.findall(r": ([\d.]+) points?\)", technical[0])[0])
        counted = sum(
            r.weight for r in rec.reasons if r.favors == "rust" and r.trait in TECHNICAL_TRAITS
        )
        assert points == pytest.approx(counted), "the caveat adds the points the reasons show"
    assert len(set(rec.caveats)) == len(rec.caveats)


@PROPERTY_SETTINGS
@given(full_traits)
def test_confidence_is_in_unit_interval_and_grows_with_the_margin(traits: dict[str, str]) -> None:
    rec = recommend(traits)
    assert 0.0 <= rec.confidence <= 1.0
    assert rec.confidence >= 0.5
    stronger = recommend({**traits, "latency": "ultra", "workload": "cpu", "layer": "network"})
    if rec.language == stronger.language == "rust":
        assert stronger.confidence >= rec.confidence


@PROPERTY_SETTINGS
@given(partial_traits)
def test_missing_traits_take_their_defaults(traits: dict[str, str]) -> None:
    rec = recommend(traits)
    assert rec.traits == {**default_traits(), **traits}
    assert list(rec.traits) == list(TRAITS)
    assert resolve_traits(traits) == rec.traits


def test_all_defaults_give_go() -> None:
    rec = recommend({})
    assert rec.language == "go"
    assert rec == recommend(default_traits())
    assert rec.confidence >= CLOSE_CALL_CONFIDENCE
    assert rec.caveats == ()


def test_a_tie_goes_to_go() -> None:
    # memory=limited (+1.5) exactly matches Go's prior of 1.5 once workload is not io.
    rec = recommend({"workload": "mixed", "memory": "limited"})
    assert rec.scores["go"] == rec.scores["rust"]
    assert rec.language == "go"
    assert rec.confidence == 0.5
    assert any("wins a tie" in caveat for caveat in rec.caveats)


def test_the_model_guard_rejects_a_non_monotone_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.recommender import weights

    weights.check_model()
    broken = {name: dict(pulls) for name, pulls in WEIGHTS.items()}
    broken["latency"]["ultra"] = broken["latency"]["relaxed"]
    monkeypatch.setattr(weights, "WEIGHTS", broken)
    with pytest.raises(RuntimeError, match="latency"):
        weights.check_model()


def test_the_model_guard_keeps_later_traits_neutral_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from generator.recommender import weights

    broken = {name: dict(pulls) for name, pulls in WEIGHTS.items()}
    broken["cost_pressure"]["medium"] = broken["cost_pressure"]["high"]
    monkeypatch.setattr(weights, "WEIGHTS", broken)
    with pytest.raises(RuntimeError, match="cost_pressure"):
        weights.check_model()


# --- JSON shape ------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(partial_traits)
def test_to_dict_has_exactly_the_issue_shape(traits: dict[str, str]) -> None:
    data: dict[str, Any] = json.loads(json.dumps(recommend(traits).to_dict()))
    assert list(data) == [
        "language",
        "template",
        "confidence",
        "scores",
        "reasons",
        "caveats",
        "traits",
    ]
    assert data["language"] in ("go", "rust")
    assert data["template"] in ("go-gin", "rust-axum")
    assert isinstance(data["confidence"], float)
    assert list(data["scores"]) == ["go", "rust"]
    assert all(isinstance(score, float) for score in data["scores"].values())
    assert isinstance(data["reasons"], list)
    for reason in data["reasons"]:
        assert list(reason) == ["trait", "value", "favors", "weight", "why"]
        assert isinstance(reason["trait"], str)
        assert isinstance(reason["value"], str)
        assert reason["favors"] in ("go", "rust")
        assert isinstance(reason["weight"], float)
        assert isinstance(reason["why"], str)
    assert isinstance(data["caveats"], list)
    assert all(isinstance(caveat, str) for caveat in data["caveats"])
    assert data["traits"] == {**default_traits(), **traits}
    assert all(isinstance(value, str) for value in data["traits"].values())


# --- parse_traits ----------------------------------------------------------------------------


def test_parse_traits_reads_key_value_pairs() -> None:
    assert parse_traits([]) == {}
    assert parse_traits(["latency=ultra", " workload = cpu ", "change-rate=high"]) == {
        "latency": "ultra",
        "workload": "cpu",
        "change_rate": "high",
    }


@pytest.mark.parametrize(
    ("pair", "hint"),
    [
        ("Latency=Strict", "did you mean --trait latency=strict?"),
        ("latency=STRICT", "did you mean --trait latency=strict?"),
        ("Cost_Pressure=high", "did you mean --trait cost_pressure=high?"),
    ],
)
def test_parse_traits_refuses_other_cases_with_a_hint(pair: str, hint: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_traits([pair])
    assert caught.value.exit_code == 2
    assert "not lower case" in caught.value.message
    assert caught.value.hint == hint


def test_parse_traits_reports_the_real_problem_when_lower_case_would_not_help() -> None:
    with pytest.raises(UsageError, match="unknown trait 'speed'"):
        parse_traits(["Speed=Fast"])


@PROPERTY_SETTINGS
@given(partial_traits)
def test_parse_traits_round_trips(traits: dict[str, str]) -> None:
    assert parse_traits(f"{name}={value}" for name, value in traits.items()) == traits


ALL_TRAIT_NAMES = ", ".join(ISSUE_VOCABULARY)


@pytest.mark.parametrize(
    ("pairs", "must_contain"),
    [
        (["latency"], [ALL_TRAIT_NAMES, "key=value"]),
        (["speed=fast"], ["unknown trait 'speed'", ALL_TRAIT_NAMES]),
        (["=ultra"], ["unknown trait ''", ALL_TRAIT_NAMES]),
        (["latency=fast"], ["'fast'", "'latency'", "relaxed, standard, strict, ultra"]),
        (["latency="], ["''", "relaxed, standard, strict, ultra"]),
        (["platform=java"], ["none, go, rust, mixed"]),
        (
            ["latency=strict", "latency=ultra"],
            ["given twice", "'strict'", "'ultra'", "relaxed, standard, strict, ultra"],
        ),
        (["latency=strict", "latency=strict"], ["given twice"]),
    ],
)
def test_parse_traits_errors(pairs: list[str], must_contain: list[str]) -> None:
    with pytest.raises(UsageError) as caught:
        parse_traits(pairs)
    assert caught.value.exit_code == 2
    for text in must_contain:
        assert text in caught.value.message
    assert caught.value.hint


@pytest.mark.parametrize(
    ("traits", "must_contain"),
    [
        ({"speed": "fast"}, ["unknown trait 'speed'", ALL_TRAIT_NAMES]),
        ({"memory": "huge"}, ["'huge'", "ample, limited, tight"]),
        ({"memory": "Tight"}, ["'Tight'", "ample, limited, tight"]),
    ],
)
def test_recommend_rejects_bad_traits(traits: dict[str, str], must_contain: list[str]) -> None:
    with pytest.raises(UsageError) as caught:
        recommend(traits)
    assert caught.value.exit_code == 2
    for text in must_contain:
        assert text in caught.value.message


# --- terminal report -------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(partial_traits)
def test_format_recommendation_shows_everything_plainly(traits: dict[str, str]) -> None:
    rec = recommend(traits)
    text = format_recommendation(rec)
    assert "\x1b" not in text
    assert text.isascii()
    label = {"go": "Go", "rust": "Rust"}[rec.language]
    assert text.startswith(f"Recommendation: {label} (template {rec.template})")
    assert f"{rec.confidence:.2f}" in text
    positions = [text.index(f"  {r.trait} ") for r in rec.reasons]
    assert positions == sorted(positions)
    for reason in rec.reasons:
        assert reason.why in text
        assert f"+{reason.weight:g}" in text
    for caveat in rec.caveats:
        assert caveat in text


def test_format_recommendation_table() -> None:
    text = format_recommendation(recommend({"latency": "ultra", "rust_skill": "none"}))
    lines = text.splitlines()
    header = next(line for line in lines if line.strip().startswith("trait"))
    assert re.match(r"^  trait\s+value\s+favors\s+weight\s+why$", header)
    assert any(re.match(r"^  latency\s+ultra\s+Rust\s+\+4\s+", line) for line in lines)
    assert any(re.match(r"^  prior\s+baseline\s+Go\s+\+1.5\s+", line) for line in lines)
    assert any(re.match(r"^  rust_skill\s+none\s+Go\s+\+3\s+", line) for line in lines)
    assert "Caveats:" in lines
    assert "Neutral:" in text
