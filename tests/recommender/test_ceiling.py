"""The ceiling check: a freely fitted model over the same traits, measured by leave-one-out."""

from __future__ import annotations

import math

import pytest

from generator.recommender import TRAITS
from generator.recommender.ceiling import (
    PENALTIES,
    agreement,
    ceiling,
    features,
    fit,
    leave_one_out,
)


def test_features_are_every_non_default_value_once() -> None:
    columns = features()
    assert len(columns) == len(set(columns))
    assert len(columns) == sum(len(trait.values) - 1 for trait in TRAITS.values())
    assert all(value != TRAITS[name].default for name, value in columns)


def test_fit_matches_the_closed_form_of_a_single_indicator() -> None:
    # One indicator on in 3 of 4 rows, Rust in 2 of those 3; never Rust when it is off.
    rows = [(0, 1), (0, 1), (0, 1), (0,)]
    labels = [1, 1, 0, 0]
    coef = fit(rows, labels, width=2, penalty=1e-6)
    # Unpenalised, the intercept goes to -infinity for the off row; the indicator's total
    # log-odds stay at log(2/1) once the intercept is added back.
    assert coef[0] + coef[1] == pytest.approx(math.log(2), abs=1e-3)


def test_a_penalty_shrinks_the_weights() -> None:
    rows = [(0, 1), (0, 1), (0,), (0,)]
    labels = [1, 1, 0, 0]
    loose = fit(rows, labels, width=2, penalty=0.1)
    tight = fit(rows, labels, width=2, penalty=10.0)
    assert loose[1] > tight[1] > 0


Labelled = list[tuple[dict[str, str], bool]]


def _set(pattern: Labelled, times: int) -> Labelled:
    return pattern * times


def test_a_set_one_trait_explains_is_learnt_perfectly() -> None:
    decisions = _set([({"workload": "cpu"}, True), ({"teams": "many"}, False)], 5)
    assert leave_one_out(decisions, penalty=1.0) == len(decisions)
    best = ceiling(decisions)
    assert (best.agree, best.total) == (len(decisions), len(decisions))
    assert best.penalty in PENALTIES
    unseen = [({"workload": "cpu", "memory": "tight"}, True), ({"teams": "many"}, False)]
    assert agreement(decisions, unseen, best.penalty) == 2


def test_contradictory_decisions_cap_the_ceiling() -> None:
    # The same traits chose both languages: no model over these traits can get both right.
    decisions = _set([({"layer": "network"}, True), ({"layer": "network"}, False)], 4)
    assert ceiling(decisions).agree <= len(decisions) // 2 + 1
