"""The language-choice ADR (templates/shared/adr-0001-language-choice.md.jinja) renders right."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest
from jinja2.sandbox import SandboxedEnvironment

from generator.recommender import LATER_TRAITS, Recommendation, recommend

ROOT = Path(__file__).resolve().parents[2]
ADR = ROOT / "templates" / "shared" / "adr-0001-language-choice.md.jinja"

Render = Callable[..., str]

SECTIONS = ["# ADR 0001: ", "## Status", "## Context", "## Decision", "## Consequences"]

FRAUD = {"latency": "ultra", "workload": "cpu", "safety": "critical", "rust_skill": "none"}
BILLING = {"change_rate": "high", "teams": "several", "integrations": "many"}


def _environment(kind: str) -> jinja2.Environment:
    if kind == "copier":
        # The environment copier itself renders with: its sandbox and the ansible filters.
        from copier._jinja_ext import SandboxedEnvironment as CopierSandbox

        return CopierSandbox(
            keep_trailing_newline=True,
            extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
        )
    return SandboxedEnvironment(keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


@pytest.fixture(params=["jinja2-strict", "copier"])
def render(request: pytest.FixtureRequest) -> Render:
    template = _environment(request.param).from_string(ADR.read_text(encoding="utf-8"))

    def run(**variables: Any) -> str:
        return template.render(**variables)

    return run


def _render_rec(render: Render, rec: Recommendation, language: str, name: str = "svc") -> str:
    return render(
        service_name=name,
        language=language,
        recommendation=rec.to_dict(),
        language_override=rec.language != language,
        traits=rec.traits,
    )


def _assert_well_formed(text: str) -> None:
    assert "{{" not in text
    assert "{%" not in text
    assert "{#" not in text
    assert not re.search(r"\bNone\b", text)
    assert "\n\n\n" not in text
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
    positions = [text.index(section) for section in SECTIONS]
    assert positions == sorted(positions)
    assert text.startswith("# ADR 0001: ")


def _section(text: str, title: str) -> str:
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _assert_reasons_in_order(text: str, rec: Recommendation) -> None:
    rows = [line for line in text.splitlines() if re.match(r"^\| \d+ \| `", line)]
    assert len(rows) == len(rec.reasons)
    for index, (row, reason) in enumerate(zip(rows, rec.reasons, strict=True), start=1):
        assert row.startswith(f"| {index} | `{reason.trait}` | `{reason.value}` |")
        assert reason.why in row
        assert f"| {reason.weight:g} |" in row
        assert f"| {'Go' if reason.favors == 'go' else 'Rust'} |" in row


def _assert_traits_table(text: str, traits: dict[str, str]) -> None:
    for name, value in traits.items():
        assert f"| `{name}` | `{value}` |" in text
        assert f"--trait {name}={value}" in text


def test_rust_recommendation(render: Render) -> None:
    rec = recommend(FRAUD)
    assert rec.language == "rust"
    text = _render_rec(render, rec, "rust", name="fraud-scoring")
    _assert_well_formed(text)
    assert text.startswith("# ADR 0001: Write fraud-scoring in Rust\n")
    assert (
        f"recommended **Rust** (template `rust-axum`) with confidence {rec.confidence:.2f}" in text
    )
    _assert_reasons_in_order(text, rec)
    _assert_traits_table(text, rec.traits)
    for caveat in rec.caveats:
        assert f"- {caveat}" in text
    assert any("rust_skill=none" in caveat for caveat in rec.caveats)
    decision = _section(text, "Decision")
    assert "**Rust** (template `rust-axum`), as recommended." in decision
    assert "overrid" not in text.lower()
    assert "No garbage collector" in _section(text, "Consequences")


def test_go_recommendation(render: Render) -> None:
    rec = recommend(BILLING)
    assert rec.language == "go"
    text = _render_rec(render, rec, "go", name="billing")
    _assert_well_formed(text)
    assert text.startswith("# ADR 0001: Write billing in Go\n")
    assert "recommended **Go** (template `go-gin`)" in text
    assert "Go starts with a prior of 1.5 (listed below as `prior`)" in text
    assert "predates the traits" not in text
    _assert_reasons_in_order(text, rec)
    _assert_traits_table(text, rec.traits)
    assert "\n\nCaveats: none.\n\n## Decision" in text
    assert "as recommended." in _section(text, "Decision")
    assert "overrid" not in text.lower()
    assert "garbage collector" in _section(text, "Consequences")


# A recommendation as `scaffold new` recorded it before the prior became a reason and before
# cost_pressure, key_libraries and exposure existed: such answers files are in the field.
OLD_RECORD: dict[str, Any] = {
    "language": "go",
    "template": "go-gin",
    "confidence": 0.924,
    "scores": {"go": 6.0, "rust": 1.0},
    "reasons": [
        {
            "trait": "change_rate",
            "value": "high",
            "favors": "go",
            "weight": 2.0,
            "why": "contracts change often: readable Go is quicker to review and change",
        },
        {
            "trait": "workload",
            "value": "io",
            "favors": "go",
            "weight": 1.0,
            "why": "I/O-bound work: Go serves thousands of requests/s; CPU speed is moot",
        },
        {
            "trait": "teams",
            "value": "several",
            "favors": "go",
            "weight": 1.0,
            "why": "several teams change it: Go's low cognitive overhead eases cross-team review",
        },
        {
            "trait": "change_rate",
            "value": "low",
            "favors": "rust",
            "weight": 1.0,
            "why": "stand-in Rust reason so both columns render",
        },
    ],
    "caveats": [],
    "traits": {
        "latency": "standard",
        "workload": "io",
        "memory": "ample",
        "concurrency": "low",
        "safety": "standard",
        "layer": "business",
        "change_rate": "high",
        "teams": "several",
        "go_skill": "some",
        "rust_skill": "some",
        "deadline": "normal",
        "integrations": "few",
        "platform": "none",
    },
}


def test_a_record_from_before_the_later_traits_renders_as_it_was(render: Render) -> None:
    text = render(
        service_name="billing",
        language="go",
        recommendation=OLD_RECORD,
        language_override=False,
        traits=OLD_RECORD["traits"],
    )
    _assert_well_formed(text)
    assert "Go starts at 2 because" in text
    assert "prior of" not in text
    assert (
        "This record predates the traits `cost_pressure`, `key_libraries`, `exposure`: the "
        "recommendation was made without them, which is the same as their neutral values."
    ) in text
    assert "as recommended." in _section(text, "Decision")


def test_the_template_knows_which_traits_came_later() -> None:
    source = ADR.read_text(encoding="utf-8")
    listed = re.search(r"set later_traits = (\[[^\]]*\])", source)
    assert listed is not None
    assert tuple(re.findall(r'"(\w+)"', listed.group(1))) == LATER_TRAITS


@pytest.mark.parametrize(("traits", "chosen"), [(FRAUD, "go"), (BILLING, "rust")])
def test_override(render: Render, traits: dict[str, str], chosen: str) -> None:
    rec = recommend(traits)
    assert rec.language != chosen
    text = _render_rec(render, rec, chosen)
    _assert_well_formed(text)
    label = {"go": "Go", "rust": "Rust"}
    assert text.startswith(f"# ADR 0001: Write svc in {label[chosen]}\n")
    decision = _section(text, "Decision")
    assert (
        f"**{label[chosen]}** (template `{'go-gin' if chosen == 'go' else 'rust-axum'}`), "
        f"**overriding the recommendation** of {label[rec.language]} "
        f"(confidence {rec.confidence:.2f})"
    ) in decision
    assert "as recommended" not in text
    assert "goes against the recommendation" in _section(text, "Consequences")
    _assert_reasons_in_order(text, rec)


def test_override_is_derived_from_the_languages_not_only_the_flag(render: Render) -> None:
    rec = recommend(FRAUD)
    text = render(
        service_name="svc",
        language="go",
        recommendation=rec.to_dict(),
        language_override=False,
    )
    assert "**overriding the recommendation** of Rust" in text


@pytest.mark.parametrize("empty", [{}, None, "missing"])
@pytest.mark.parametrize("language", ["go", "rust"])
def test_no_recommendation(render: Render, empty: object, language: str) -> None:
    variables: dict[str, Any] = {"service_name": "edge", "language": language}
    if empty != "missing":
        variables |= {"recommendation": empty, "language_override": False, "traits": {}}
    text = render(**variables)
    _assert_well_formed(text)
    decision = _section(text, "Decision")
    assert f"The language was chosen explicitly (`--lang {language}`)" in decision
    assert "no recommendation was asked for" in decision
    assert "No service traits were recorded." in decision
    assert "### Recommendation" not in text
    assert "| Trait | Value |" not in text
    assert "scaffold recommend" not in _section(text, "Consequences")


def test_no_recommendation_lists_the_traits_if_any(render: Render) -> None:
    traits = {"latency": "strict", "teams": "many"}
    text = render(service_name="edge", language="go", recommendation={}, traits=traits)
    _assert_well_formed(text)
    _assert_traits_table(text, traits)
    assert "chosen explicitly" in text
    assert "No service traits were recorded." not in text
    assert "### Recommendation" not in text


def test_renders_through_copier(tmp_path: Path) -> None:
    """A minimal copier template that includes the shared file, like the language templates do."""
    import copier

    template = tmp_path / "template"
    (template / "shared").mkdir(parents=True)
    (template / "out" / "docs" / "adr").mkdir(parents=True)
    shutil.copy(ADR, template / "shared" / ADR.name)
    (template / "copier.yml").write_text(
        "_subdirectory: out\n"
        "_templates_suffix: .jinja\n"
        "service_name: {type: str}\n"
        "language: {type: str, choices: [go, rust]}\n"
        'recommendation: {type: yaml, default: "{}"}\n'
        "language_override: {type: bool, default: false}\n"
        'traits: {type: yaml, default: "{}"}\n',
        encoding="utf-8",
    )
    (template / "out" / "docs" / "adr" / "0001-language-choice.md.jinja").write_text(
        "{% include 'shared/" + ADR.name + "' %}", encoding="utf-8"
    )
    rec = recommend(FRAUD)
    data = {
        "service_name": "fraud",
        "language": "go",
        "recommendation": rec.to_dict(),
        "language_override": True,
        "traits": rec.traits,
    }
    copier.run_copy(str(template), tmp_path / "service", data=data, defaults=True, quiet=True)
    text = (tmp_path / "service" / "docs" / "adr" / "0001-language-choice.md").read_text(
        encoding="utf-8"
    )
    _assert_well_formed(text)
    _assert_reasons_in_order(text, rec)
    assert "**overriding the recommendation** of Rust" in text
