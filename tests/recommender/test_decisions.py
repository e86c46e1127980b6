"""The recommender against published production decisions (tests/data/recommender/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator._languages import Language
from generator.errors import ScaffoldError
from generator.recommender import CONFIDENCE_SCALE, TRAITS, ceiling, recommend
from generator.recommender.evaluation import (
    CONFIDENT,
    DECISIONS,
    HELD_OUT,
    Decision,
    Outcome,
    Tally,
    confident,
    fit_scale,
    format_misses,
    format_report,
    labelled,
    load_decisions,
    load_sets,
    main,
    rater_agreement,
    raters_concur,
    replay,
    rounds,
    tally,
)
from tests.conftest import ROOT

DEV_RAW = yaml.safe_load(DECISIONS.read_text(encoding="utf-8"))["decisions"]
HELD_OUT_RAW = yaml.safe_load(HELD_OUT.read_text(encoding="utf-8"))["decisions"]
RAW = [*DEV_RAW, *HELD_OUT_RAW]
OUTCOMES = replay(load_sets())
REPORT = format_report(OUTCOMES)


@pytest.mark.parametrize(("entries", "least"), [(DEV_RAW, 30), (HELD_OUT_RAW, 20)])
def test_each_set_is_large_balanced_and_sourced(entries: list[dict[str, Any]], least: int) -> None:
    assert len(entries) >= least
    chose = [entry["chose"] for entry in entries]
    assert min(chose.count("go"), chose.count("rust")) >= least // 3
    for entry in entries:
        assert entry["sources"], entry["id"]
        assert entry["summary"].strip(), entry["id"]
        assert entry["kind"] in (
            "rewrite-from-go",
            "rewrite-from-rust",
            "rewrite-from-other",
            "greenfield",
        )


@pytest.mark.parametrize("entry", RAW, ids=[entry["id"] for entry in RAW])
def test_every_mapped_trait_is_explained(entry: dict[str, Any]) -> None:
    """Every value, final or a rater's, is non-default and named where its evidence is."""
    raters = entry.get("raters") or []
    all_notes = " ".join([str(entry["mapping_notes"]), *(str(one["notes"]) for one in raters)])
    mappings = [(entry.get("traits") or {}, all_notes)]
    mappings += [(one.get("traits") or {}, str(one["notes"])) for one in raters]
    for traits, notes in mappings:
        assert isinstance(traits, dict)
        for name, value in traits.items():
            assert name in TRAITS
            assert value != TRAITS[name].default, "defaults are omitted, not recorded"
            assert f"{name}={value}" in notes or name in notes, (entry["id"], name)


def test_every_held_out_decision_was_mapped_by_two_raters_and_settled() -> None:
    decisions = [d for d in load_sets() if d.split == "held_out"]
    for decision in decisions:
        assert len(decision.raters) == 2, decision.id
        first, second = decision.raters
        for name in TRAITS:
            values = {first.get(name), second.get(name)}
            if len(values) == 1:  # where the raters agree, the final mapping agrees too
                assert decision.traits.get(name) == first.get(name), (decision.id, name)


def test_rater_agreement_replays_each_raters_mapping() -> None:
    held_out = [o for o in OUTCOMES if o.decision.split == "held_out"]
    tallies = rater_agreement(held_out)
    assert [t.total for t in tallies] == [len(held_out)] * 2
    for rater, tallied in enumerate(tallies):
        expected = sum(
            recommend(o.decision.raters[rater]).language == o.decision.chose for o in held_out
        )
        assert tallied.agree == expected
        assert f"held out as rater {rater + 1} mapped it | - | {tallied} |" in REPORT
    assert rater_agreement([o for o in OUTCOMES if o.decision.split == "dev"]) == []


def _rated(*mappings: dict[str, str]) -> Outcome:
    decision = Decision("x", "x", "go", ("https://example.com",), {}, "held_out", mappings)
    return Outcome(decision, "go", 0.5, 0.0)


def test_raters_concur_counts_the_decisions_whose_two_mappings_get_the_same_verdict() -> None:
    rust = {"workload": "cpu", "key_libraries": "rust", "rust_skill": "strong"}
    assert recommend({}).language == "go"
    assert recommend(rust).language == "rust"
    outcomes = [_rated({}, {}), _rated({}, rust), _rated(rust, {"workload": "cpu", **rust})]
    outcomes.append(_rated({}))  # one rater: nothing to compare
    assert raters_concur(outcomes) == Tally(2, 3)
    assert raters_concur([_rated({})]) == Tally(0, 0)
    held_out = [o for o in OUTCOMES if o.decision.split == "held_out"]
    same = raters_concur(held_out)
    assert same.total == len(held_out)
    assert f"same verdict on {same.agree} of {same.total} held-out decisions" in REPORT


def test_the_held_out_set_is_separate_and_from_the_rust_1_0_era() -> None:
    decisions = load_sets()
    assert {d.split for d in decisions if d.id in {e["id"] for e in HELD_OUT_RAW}} == {"held_out"}
    dev_systems = {str(entry["system"]).lower() for entry in DEV_RAW}
    for entry in HELD_OUT_RAW:
        assert str(entry["system"]).lower() not in dev_systems, entry["id"]
        assert isinstance(entry["year"], int), entry["id"]
        assert entry["year"] >= 2016, entry["id"]


def test_every_held_out_decision_says_which_round_it_came_from_and_each_is_reported() -> None:
    held_out = [o for o in OUTCOMES if o.decision.split == "held_out"]
    collected = rounds(held_out)
    assert all(o.decision.round is not None for o in held_out)
    assert collected == list(range(1, len(collected) + 1)), "numbered 1, 2, ... in turn"
    assert rounds(o for o in OUTCOMES if o.decision.split == "dev") == []
    for number in collected:
        group = [o for o in held_out if o.decision.round == number]
        assert f"| held out, round {number} ({len(group)}) | {tally(group)} |" in REPORT


def test_a_decision_in_both_sets_is_refused(tmp_path: Path) -> None:
    held_out = tmp_path / "held_out.yml"
    held_out.write_text(yaml.safe_dump({"decisions": [DEV_RAW[0]]}), encoding="utf-8")
    with pytest.raises(ScaffoldError, match=f"also in the dev set: {DEV_RAW[0]['id']}"):
        load_sets(DECISIONS, held_out)


def test_every_verdict_is_explained_by_a_reason_that_favours_it() -> None:
    for outcome in OUTCOMES:
        rec = recommend(outcome.decision.traits)
        assert any(reason.favors == rec.language for reason in rec.reasons), outcome.decision.id


def test_the_shipped_confidence_scale_is_the_fit_on_the_dev_decisions() -> None:
    dev = [o for o in OUTCOMES if o.decision.split == "dev"]
    assert fit_scale(dev) == pytest.approx(CONFIDENCE_SCALE)


def test_the_readme_quotes_the_current_evaluation() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert REPORT in readme, "rerun python -m generator.recommender.evaluation"
    assert f"{len(DEV_RAW)} published" in readme
    assert f"{len(HELD_OUT_RAW)} more" in readme


def test_confident_answers_agree_at_least_nine_times_in_ten() -> None:
    """Issue 17's calibration bar: confidence 0.8 or more agrees at least 90% of the time."""
    held_out = [o for o in OUTCOMES if o.decision.split == "held_out"]
    sure = confident(OUTCOMES)
    assert sure.total >= len(OUTCOMES) // 10, "enough confident answers to measure"
    assert sure.rate >= 0.9
    assert confident(held_out).total >= 5
    assert confident(held_out).rate >= 0.9


@pytest.mark.xfail(
    strict=True,
    reason="issue 17 is open: over all three held-out rounds pooled (the result declared "
    "before round 3 was collected) the recommender agrees in 60 of 76 decisions (79%), one "
    "short of the 80% bar; round 3 alone: 28/35",
)
def test_held_out_agreement_reaches_the_issues_bar() -> None:
    held_out = [o for o in OUTCOMES if o.decision.split == "held_out"]
    assert tally(held_out).rate >= 0.8


def test_the_weights_beat_a_free_fit_where_it_counts() -> None:
    """On the held-out set the reasoned weights do at least as well as a model fitted to dev.

    If this fails, a free fit generalises better than the weights, and they deserve a look.
    """
    dev = labelled(o for o in OUTCOMES if o.decision.split == "dev")
    held_out = [o for o in OUTCOMES if o.decision.split == "held_out"]
    test = labelled(held_out)
    fitted = ceiling.agreement(dev, test, ceiling.ceiling(dev).penalty)
    assert tally(held_out).agree >= fitted
    assert f"| {Tally(fitted, len(test))} |" in REPORT


def test_on_the_newest_round_the_weights_do_as_well_as_a_fit_given_everything_before_it() -> None:
    """The free fit sees the dev set and the earlier rounds, as the weights had; both face the
    newest round blind. If the fit wins, the earlier data held something the weights miss."""
    held_out = [o for o in OUTCOMES if o.decision.split == "held_out"]
    last = rounds(held_out)[-1]
    newest = [o for o in held_out if o.decision.round == last]
    before = labelled(o for o in OUTCOMES if o not in newest)
    penalty = ceiling.ceiling(before).penalty
    fitted = Tally(ceiling.agreement(before, labelled(newest), penalty), len(newest))
    assert tally(newest).agree >= fitted.agree
    row = f"| the free fit given dev and rounds before {last} (L2 {penalty:g}), on round {last}"
    assert f"{row} | - | {fitted} |" in REPORT
    everything = ceiling.ceiling(labelled(OUTCOMES))
    assert f"is {Tally(everything.agree, everything.total)}: about as much" in REPORT


# --- the evaluation's own mechanics ----------------------------------------------------------


def _outcome(agrees: bool, margin: float) -> Outcome:
    decision = Decision("x", "x", "go", ("https://example.com",), {}, "dev")
    language: Language = "go" if agrees else "rust"
    return Outcome(decision, language, 0.5, margin)


def test_fit_scale_follows_how_often_large_margins_agree() -> None:
    always = [_outcome(True, margin) for margin in (1, 2, 3, 5, 8)]
    assert fit_scale(always) == 0.5, "always right: as sharp as the grid allows"
    coin = [_outcome(agrees, margin) for margin in (2, 4, 6) for agrees in (True, False)]
    assert fit_scale(coin) == 20.0, "right half the time at every margin: as flat as allowed"
    mostly = [_outcome(True, 4.0)] * 3 + [_outcome(False, 4.0)]
    assert 1.0 < fit_scale(mostly) < 20.0


def test_the_report_counts_what_it_says() -> None:
    text = REPORT
    assert f"| all ({len(OUTCOMES)}) | {tally(OUTCOMES)} |" in text
    starts = ("| 0.5-", "| 0.6-", "| 0.7-", "| 0.8-")
    bins = [line for line in text.splitlines() if line.startswith(starts)]
    assert len(bins) == 4
    assert sum(int(line.split("|")[2]) for line in bins) == len(OUTCOMES)
    assert CONFIDENT == 0.8
    misses = format_misses(OUTCOMES)
    for outcome in OUTCOMES:
        assert (outcome.decision.id in misses) == (not outcome.agrees)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("decisions: []\n", "non-empty list"),
        ("decisions: [{id: b, chose: go, sources: [https://x]}, {id: a}]\n", "sorted"),
        ("decisions: [{id: a, chose: java, sources: [https://x]}]\n", "'chose' must be go or rust"),
        ("decisions: [{id: a, chose: go, sources: [ftp://x]}]\n", "web addresses"),
        (
            "decisions: [{id: a, chose: go, sources: [https://x], traits: {speed: fast}}]\n",
            "unknown trait 'speed'",
        ),
        ("decisions: [\n", "cannot read"),
        ("decisions: [a, b]\n", "expected a list of decisions"),
        ("decisions: [{id: a, chose: go, sources: [https://x], raters: oops}]\n", "'raters'"),
        (
            "decisions: [{id: a, chose: go, sources: [https://x], raters: [{traits: {a: b}}]}]\n",
            "unknown trait 'a'",
        ),
        ("decisions: [{id: a, chose: go, sources: [https://x], round: 0}]\n", "'round'"),
        ("decisions: [{id: a, chose: go, sources: [https://x], round: two}]\n", "'round'"),
        ("decisions: [{id: a, chose: go, sources: [https://x], round: true}]\n", "'round'"),
    ],
)
def test_a_bad_decisions_file_is_one_clear_error(
    tmp_path: Path, content: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "decisions.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ScaffoldError, match=message):
        load_decisions(path)
    for flag in ("--decisions", "--held-out"):
        assert main([flag, str(path)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: ")
        assert len(err.strip().splitlines()) == 1


def test_main_prints_the_report_and_the_fit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--fit"]) == 0
    out = capsys.readouterr().out
    assert REPORT in out
    assert f"Fitted confidence scale on dev: {CONFIDENCE_SCALE:g}" in out
