"""Check the recommender against published production decisions between Go and Rust.

Two files in `tests/data/recommender/` hold real decisions (with sources), each mapped onto the
trait vocabulary from its sources:

* `decisions.yml`, the dev set: the weights and the confidence scale were shaped while its
  misses were read.
* `held_out.yml`, the held-out set: collected and mapped blind (by people who saw neither the
  weights nor any result), mapped again by a second rater, the disagreements settled by an
  adjudicator, and replayed only after the model was frozen. It is the independent check; each
  rater's own mapping is replayed beside it (`rater_agreement`).

This module replays both through `recommend` and reports agreement, calibration, and the
ceiling: how well a freely fitted model over the same traits does (`ceiling`), which tells a
wrong weight from a vocabulary that cannot express what decided. The README quotes
`format_report`'s output; a test keeps it current.

    python -m generator.recommender.evaluation            # the report, then every miss
    python -m generator.recommender.evaluation --fit      # also refit the confidence scale
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from generator._languages import Language
from generator.errors import ScaffoldError, UsageError
from generator.recommender import ceiling
from generator.recommender._engine import CONFIDENCE_SCALE, confidence_for, recommend
from generator.recommender.traits import resolve_traits

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "recommender"
"""The evaluation sets, in the source checkout (they are not shipped in the wheel)."""

DECISIONS = DATA / "decisions.yml"
"""The dev set."""

HELD_OUT = DATA / "held_out.yml"
"""The held-out set, mapped blind and replayed once the model was frozen."""

Split = Literal["dev", "held_out"]

CONFIDENT = 0.8
"""The issue's bar: answers at or above this confidence must agree at least 90% of the time."""

BINS = ((0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 1.01))
"""Confidence bins for the calibration table (the last one includes 1.0)."""


@dataclass(frozen=True)
class Decision:
    """One published decision: what the team chose, why, where it says so, and its traits."""

    id: str
    system: str
    chose: Language
    sources: tuple[str, ...]
    traits: dict[str, str]
    split: Split
    raters: tuple[dict[str, str], ...] = ()
    """Each independent rater's own mapping, when `traits` settles their disagreements."""
    round: int | None = None
    """Which collection round a held-out decision came from (rounds were collected in turn)."""


@dataclass(frozen=True)
class Outcome:
    """What the recommender answered for one decision."""

    decision: Decision
    language: Language
    confidence: float
    margin: float

    @property
    def agrees(self) -> bool:
        return self.language == self.decision.chose


def read_entries(path: Path, hint: str = "") -> list[dict[str, Any]]:
    """Read a decisions file as written: the mappings listed under `decisions`, unvalidated.

    The evaluation sets and every file of a collection round share this format.

    Raises:
        ScaffoldError: the file is missing, is not YAML, or holds no list of mappings there.

    """
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ScaffoldError(
            f"cannot read the decisions file {path}: {' '.join(str(error).split())}", hint=hint
        ) from error
    entries = data.get("decisions") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ScaffoldError(f"{path}: expected a list of decisions under 'decisions'")
    return entries


def load_decisions(path: Path = DECISIONS, split: Split = "dev") -> tuple[Decision, ...]:
    """Read and validate one evaluation set; every decision in it belongs to `split`.

    Raises:
        ScaffoldError: the file is missing or malformed, or an entry's traits are invalid.

    """
    entries = read_entries(
        path, hint="run from a source checkout of scaffold, or pass --decisions/--held-out PATH"
    )
    if not entries:
        raise ScaffoldError(f"{path}: expected a non-empty list under 'decisions'")
    ids = [entry.get("id") for entry in entries]
    if ids != sorted(ids, key=str) or len(set(ids)) != len(ids):
        raise ScaffoldError(f"{path}: decision ids must be unique and sorted")
    return tuple(_decision(path, split, entry) for entry in entries)


def load_sets(dev: Path = DECISIONS, held_out: Path = HELD_OUT) -> tuple[Decision, ...]:
    """Read the dev set and the held-out set; an id in both is an error.

    Raises:
        ScaffoldError: either file is missing or malformed, or they share a decision.

    """
    decisions = (*load_decisions(dev, "dev"), *load_decisions(held_out, "held_out"))
    ids = [decision.id for decision in decisions]
    shared = sorted({one for one in ids if ids.count(one) > 1})
    if shared:
        raise ScaffoldError(f"{held_out}: decisions also in the dev set: {', '.join(shared)}")
    return decisions


def _decision(path: Path, split: Split, entry: dict[str, Any]) -> Decision:
    where = f"{path}: decision {entry.get('id')!r}"
    chose = entry.get("chose")
    if chose not in ("go", "rust"):
        raise ScaffoldError(f"{where}: 'chose' must be go or rust, not {chose!r}")
    sources = entry.get("sources")
    if not isinstance(sources, list) or not all(
        isinstance(url, str) and url.startswith(("https://", "http://")) for url in sources
    ):
        raise ScaffoldError(f"{where}: 'sources' must list web addresses")
    raters = entry.get("raters") or []
    if not isinstance(raters, list) or not all(isinstance(one, dict) for one in raters):
        raise ScaffoldError(f"{where}: 'raters' must list each rater's traits and notes")
    collected = entry.get("round")
    if collected is not None and (type(collected) is not int or collected < 1):
        raise ScaffoldError(f"{where}: 'round' must be a positive whole number, not {collected!r}")
    mappings = [entry.get("traits") or {}, *((one.get("traits") or {}) for one in raters)]
    for traits in mappings:
        try:
            resolve_traits(traits)
        except UsageError as error:
            raise ScaffoldError(f"{where}: {error.message}") from error
    return Decision(
        id=str(entry["id"]),
        system=str(entry.get("system", "")),
        chose=chose,
        sources=tuple(sources),
        traits=dict(mappings[0]),
        split=split,
        raters=tuple(dict(traits) for traits in mappings[1:]),
        round=collected,
    )


def replay(decisions: Iterable[Decision]) -> tuple[Outcome, ...]:
    """Recommend for every decision's traits."""
    outcomes = []
    for decision in decisions:
        rec = recommend(decision.traits)
        margin = rec.scores["rust"] - rec.scores["go"]
        outcomes.append(Outcome(decision, rec.language, rec.confidence, margin))
    return tuple(outcomes)


def fit_scale(outcomes: Sequence[Outcome]) -> float:
    """Return the logistic scale that makes confidence most likely to predict agreement.

    A one-parameter maximum-likelihood fit (Platt scaling without an offset), by grid search
    over 0.5 to 20 points in steps of 0.1, so it is exact and needs no numeric library.
    """

    def log_likelihood(scale: float) -> float:
        total = 0.0
        for outcome in outcomes:
            p = min(max(confidence_for(outcome.margin, scale), 1e-9), 1 - 1e-9)
            total += math.log(p if outcome.agrees else 1 - p)
        return total

    grid = [round(0.5 + 0.1 * step, 1) for step in range(196)]
    return max(grid, key=log_likelihood)


@dataclass(frozen=True)
class Tally:
    """Agreement over a group of outcomes."""

    agree: int
    total: int

    @property
    def rate(self) -> float:
        return self.agree / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.agree}/{self.total} ({self.rate:.0%})" if self.total else "0/0 (-)"


def tally(outcomes: Iterable[Outcome]) -> Tally:
    """Count how many outcomes agree with the team's choice."""
    listed = list(outcomes)
    return Tally(sum(outcome.agrees for outcome in listed), len(listed))


def confident(outcomes: Iterable[Outcome]) -> Tally:
    """Agreement among answers at or above `CONFIDENT`."""
    return tally(outcome for outcome in outcomes if outcome.confidence >= CONFIDENT)


def format_report(outcomes: Sequence[Outcome]) -> str:
    """Render the agreement and calibration tables the README quotes (Markdown)."""
    dev = [o for o in outcomes if o.decision.split == "dev"]
    held_out = [o for o in outcomes if o.decision.split == "held_out"]
    chose = {
        language: [o for o in outcomes if o.decision.chose == language]
        for language in ("go", "rust")
    }
    lines = [
        "| Decisions | Agreement | Confidence >= 0.8 agrees |",
        "| --- | --- | --- |",
        f"| all ({len(outcomes)}) | {tally(outcomes)} | {confident(outcomes)} |",
        f"| dev ({len(dev)}) | {tally(dev)} | {confident(dev)} |",
        f"| held out ({len(held_out)}) | {tally(held_out)} | {confident(held_out)} |",
        *_round_rows(held_out),
        f"| teams that chose Go ({len(chose['go'])}) | {tally(chose['go'])} "
        f"| {confident(chose['go'])} |",
        f"| teams that chose Rust ({len(chose['rust'])}) | {tally(chose['rust'])} "
        f"| {confident(chose['rust'])} |",
        "",
        "| Confidence | Answers | Agree | Mean confidence |",
        "| --- | --- | --- | --- |",
    ]
    for low, high in BINS:
        group = [o for o in outcomes if low <= o.confidence < high]
        mean = sum(o.confidence for o in group) / len(group) if group else 0.0
        label = f"{low:.1f}-{min(high, 1.0):.1f}"
        shown = f"{mean:.2f}" if group else "-"
        lines.append(f"| {label} | {len(group)} | {tally(group)} | {shown} |")
    lines += ["", *_ceiling_rows(dev, held_out)]
    return "\n".join(lines)


def rounds(outcomes: Iterable[Outcome]) -> list[int]:
    """Return the collection rounds the outcomes' decisions came from, in order."""
    return sorted({o.decision.round for o in outcomes if o.decision.round is not None})


def _round_rows(held_out: Sequence[Outcome]) -> list[str]:
    """One row per collection round, when there was more than one: each round on its own."""
    collected = rounds(held_out)
    if len(collected) < 2:
        return []
    rows = []
    for number in collected:
        group = [o for o in held_out if o.decision.round == number]
        rows.append(
            f"| held out, round {number} ({len(group)}) | {tally(group)} | {confident(group)} |"
        )
    return rows


def labelled(outcomes: Iterable[Outcome]) -> list[tuple[dict[str, str], bool]]:
    """Return the decisions as `ceiling` takes them: (traits, whether the team chose Rust)."""
    return [(o.decision.traits, o.decision.chose == "rust") for o in outcomes]


def _ceiling_rows(dev: Sequence[Outcome], held_out: Sequence[Outcome]) -> list[str]:
    """Compare the weights with the best any weighting of the same traits does (`ceiling`)."""
    train, test = labelled(dev), labelled(held_out)
    best = ceiling.ceiling(train)
    transferred = ceiling.agreement(train, test, best.penalty) if test else 0
    rows = [
        "| Model | Dev | Held out |",
        "| --- | --- | --- |",
        f"| scaffold's weights | {tally(dev)} | {tally(held_out)} |",
    ]
    for rater, agreed in enumerate(rater_agreement(held_out), start=1):
        rows.append(f"| scaffold's weights, held out as rater {rater} mapped it | - | {agreed} |")
    rows.append(
        f"| a free fit over the same traits (L2 {best.penalty:g}; dev: leave-one-out) "
        f"| {Tally(best.agree, best.total)} | {Tally(transferred, len(test))} |"
    )
    collected = rounds(held_out)
    if len(collected) > 1:
        # the free fit gets the same chance the weights had: all it could see before the last
        # round, then scored on it
        last = collected[-1]
        before = [*train, *labelled(o for o in held_out if o.decision.round != last)]
        newest = labelled(o for o in held_out if o.decision.round == last)
        penalty = ceiling.ceiling(before).penalty
        scored = Tally(ceiling.agreement(before, newest, penalty), len(newest))
        rows.append(
            f"| the free fit given dev and rounds before {last} (L2 {penalty:g}), "
            f"on round {last} | - | {scored} |"
        )
    everything = ceiling.ceiling([*train, *test])
    rows += [
        "",
        f"Given every decision, the free fit's leave-one-out agreement (the best of "
        f"{len(ceiling.PENALTIES)} penalties, so optimistic: L2 {everything.penalty:g}) is "
        f"{Tally(everything.agree, everything.total)}: about as much as these traits can explain.",
    ]
    same = raters_concur(held_out)
    if same.total:
        rows += [
            "",
            f"The two raters' own mappings give the same verdict on {same.agree} of "
            f"{same.total} held-out decisions ({same.rate:.0%}): the mapping alone, before any "
            f"weight, changes the answer for {same.total - same.agree}.",
        ]
    return rows


def rater_agreement(outcomes: Sequence[Outcome]) -> list[Tally]:
    """Agreement when each decision is replayed as each independent rater mapped it.

    Shows how much the result depends on the mapping: decisions with fewer raters count only
    for the raters they have.
    """
    most = max((len(o.decision.raters) for o in outcomes), default=0)
    tallies = []
    for rater in range(most):
        rated = [o.decision for o in outcomes if len(o.decision.raters) > rater]
        agree = sum(recommend(d.raters[rater]).language == d.chose for d in rated)
        tallies.append(Tally(agree, len(rated)))
    return tallies


def raters_concur(outcomes: Sequence[Outcome]) -> Tally:
    """How often two independent raters' mappings of a decision get the same verdict.

    Counts the decisions with at least two raters. Where the verdicts differ, the answer turns
    on how the sources were read, not on the weights: noise in the measurement that no
    weighting of the traits removes.
    """
    rated = [o.decision for o in outcomes if len(o.decision.raters) >= 2]
    same = sum(recommend(d.raters[0]).language == recommend(d.raters[1]).language for d in rated)
    return Tally(same, len(rated))


def format_misses(outcomes: Sequence[Outcome]) -> str:
    """List every decision the recommender disagrees with, for whoever works on the weights."""
    misses = [o for o in outcomes if not o.agrees]
    if not misses:
        return "No misses."
    lines = ["Misses (id, split, team chose, recommended at confidence):"]
    lines.extend(
        f"  {o.decision.id:<34} {o.decision.split:<8} chose {o.decision.chose:<4} "
        f"got {o.language:<4} at {o.confidence:.2f}"
        for o in misses
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the report and the misses; exit 1 if the decisions file cannot be read."""
    parser = argparse.ArgumentParser(
        prog="python -m generator.recommender.evaluation",
        description="Replay published Go/Rust decisions through scaffold recommend.",
    )
    parser.add_argument("--decisions", type=Path, default=DECISIONS, help="the dev set")
    parser.add_argument("--held-out", type=Path, default=HELD_OUT, help="the held-out set")
    parser.add_argument(
        "--fit", action="store_true", help="also fit the confidence scale on the dev decisions"
    )
    args = parser.parse_args(argv)
    try:
        outcomes = replay(load_sets(args.decisions, args.held_out))
    except ScaffoldError as error:
        print(f"error: {error.one_line()}", file=sys.stderr)
        return 1
    print(format_report(outcomes))
    print()
    print(format_misses(outcomes))
    if args.fit:
        dev = [o for o in outcomes if o.decision.split == "dev"]
        print(
            f"\nFitted confidence scale on dev: {fit_scale(dev):g} (shipped: {CONFIDENCE_SCALE:g})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
