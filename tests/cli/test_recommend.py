"""`scaffold recommend` on the command line: JSON and human output, bad traits, help, no prompts."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from generator.recommender import TRAITS, default_traits, recommend
from tests.conftest import ROOT, Invoke

REASON_KEYS = {"trait", "value", "favors", "weight", "why"}
TOP_KEYS = {"language", "template", "confidence", "scores", "reasons", "caveats", "traits"}


def trait_args(traits: dict[str, str]) -> list[str]:
    return [arg for name, value in traits.items() for arg in ("--trait", f"{name}={value}")]


def recommend_json(invoke: Invoke, *args: str) -> dict[str, Any]:
    result = invoke("recommend", *args, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("traits", "language", "template", "first_reason"),
    [
        ({}, "go", "go-gin", ("prior", "baseline", "go")),
        (
            {"latency": "ultra", "workload": "cpu"},
            "rust",
            "rust-axum",
            ("latency", "ultra", "rust"),
        ),
        ({"teams": "many", "change_rate": "high"}, "go", "go-gin", ("teams", "many", "go")),
        (
            {"safety": "critical", "layer": "network", "memory": "tight", "rust_skill": "strong"},
            "rust",
            "rust-axum",
            None,
        ),
    ],
)
def test_json_shape_and_values(
    invoke: Invoke,
    traits: dict[str, str],
    language: str,
    template: str,
    first_reason: tuple[str, str, str] | None,
) -> None:
    data = recommend_json(invoke, *trait_args(traits))
    assert set(data) == TOP_KEYS
    assert data["language"] == language
    assert data["template"] == template
    assert 0.5 <= data["confidence"] <= 1.0
    assert set(data["scores"]) == {"go", "rust"}
    assert (data["scores"]["rust"] > data["scores"]["go"]) == (language == "rust")
    # every trait is reported, the given ones as given and the rest at their defaults
    assert data["traits"] == {**default_traits(), **traits}
    assert list(data["traits"]) == list(TRAITS)
    assert all(set(reason) == REASON_KEYS for reason in data["reasons"])
    weights = [reason["weight"] for reason in data["reasons"]]
    assert weights == sorted(weights, reverse=True), "reasons are heaviest first"
    assert all(isinstance(caveat, str) and caveat for caveat in data["caveats"])
    if first_reason is not None:
        first = data["reasons"][0]
        assert (first["trait"], first["value"], first["favors"]) == first_reason
    # the CLI prints exactly what the engine decides (and what `new` records in the answers)
    assert data == json.loads(json.dumps(recommend(traits).to_dict()))


def test_json_reports_the_rust_caveat_for_a_team_without_rust(invoke: Invoke) -> None:
    traits = {"latency": "ultra", "workload": "cpu", "rust_skill": "none"}
    data = recommend_json(invoke, *trait_args(traits))
    assert data["language"] == "rust"
    assert any("rust_skill=none" in caveat for caveat in data["caveats"])


def test_trait_spelling_forgives_spaces_and_dashes(invoke: Invoke) -> None:
    data = recommend_json(invoke, "--trait", " change-rate = high ")
    assert data["traits"]["change_rate"] == "high"


@pytest.mark.parametrize("pair", ["Latency=Strict", " Change-Rate = HIGH "])
def test_other_cases_are_refused_with_a_hint(invoke: Invoke, pair: str) -> None:
    result = invoke("recommend", "--trait", pair, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not lower case" in result.stderr
    expected = "latency=strict" if "Latency" in pair else "change_rate=high"
    assert f"did you mean --trait {expected}?" in result.stderr


def test_human_output(invoke: Invoke) -> None:
    result = invoke("recommend", "--trait", "latency=ultra", "--trait", "workload=cpu")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("Recommendation: Rust (template rust-axum)\n")
    rec = recommend({"latency": "ultra", "workload": "cpu"})
    margin = rec.scores["rust"] - rec.scores["go"]
    assert f"Confidence:     {rec.confidence:.2f} (Rust ahead by {margin:g} points)" in out
    assert "Reasons, heaviest first:" in out
    reasons = out[out.index("Reasons, heaviest first:") :]
    assert reasons.index("latency") < reasons.index("workload")
    assert "Caveats:" in out
    assert "rust_skill=some" in out
    # the trait vocabulary follows, one line per trait with its values and default
    assert "Traits (key=value for --trait):" in out
    for name, trait in TRAITS.items():
        assert f"{' | '.join(trait.values)}  (default {trait.default})" in out, name
        assert f"  {name} " in out


def test_human_output_for_the_defaults_is_go(invoke: Invoke) -> None:
    result = invoke("recommend")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Recommendation: Go (template go-gin)\n")
    assert "Neutral:  latency=standard" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trait", "colour=blue"], "unknown trait 'colour'"),
        (["--trait", "latency=fast"], "invalid value 'fast' for trait 'latency'"),
        (["--trait", "latency"], "trait 'latency' is not key=value"),
        (["--trait", "latency=ultra", "--trait", "latency=strict"], "given twice"),
        (["--trait", "latency=fast", "--json"], "invalid value 'fast'"),
        (["--colour"], "No such option"),
    ],
)
def test_bad_traits_exit_2_with_one_line(invoke: Invoke, args: list[str], message: str) -> None:
    result = invoke("recommend", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert "hint:" in lines[0]


def test_help_has_examples(invoke: Invoke) -> None:
    result = invoke("recommend", "--help")
    assert result.exit_code == 0
    assert "--trait" in result.stdout
    assert "--json" in result.stdout
    assert "Examples:" in result.stdout
    examples = result.stdout[result.stdout.index("Examples:") :]
    assert "scaffold recommend --trait latency=ultra" in examples
    assert "--json" in examples


def test_without_a_terminal_it_does_not_prompt(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_prompts(*_args: object, **_kwargs: object) -> dict[str, str]:
        raise AssertionError("recommend prompted without a terminal")

    monkeypatch.setattr("generator.new._prompts.ask_traits", no_prompts)
    result = invoke("recommend", stdin="")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Recommendation: Go")
    for trait in TRAITS.values():
        assert trait.question not in result.stdout


def test_without_a_terminal_in_a_real_process() -> None:
    """stdin from /dev/null: the real isatty() check, not CliRunner's stand-in."""
    result = subprocess.run(
        [sys.executable, "-m", "generator", "recommend"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Recommendation: Go")
    assert result.stderr == ""
