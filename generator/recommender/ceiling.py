"""The ceiling: how well could *any* weighting of the traits agree with published decisions.

The points model in `weights` is written by hand, one reasoned weight at a time. When it misses a
real decision, there are two explanations: a weight is wrong, or the vocabulary cannot express
what decided. This module tells them apart. It fits the most flexible model of the same form
(an L2-regularised logistic regression over every non-default trait value, free to give any
value any sign) and measures it by leave-one-out: each decision is predicted by a model fitted
on all the others. Its agreement is a practical ceiling for additive models over these traits:
re-weighting cannot beat it by much without memorising the set. The fitted weights themselves
are not advice (they learn the set's selection biases, e.g. that famous Go→Rust rewrites come
from strong Go teams); only the agreement is reported.

Pure Python (Newton's method on at most a few dozen features), so the check needs no numeric
library and is exact and deterministic.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from generator.recommender.traits import TRAITS

PENALTIES = (0.1, 0.3, 1.0, 3.0, 10.0)
"""L2 strengths tried; the best leave-one-out agreement among them is reported (optimistic)."""

Features = tuple[tuple[str, str], ...]


def features() -> Features:
    """Every non-default (trait, value): the indicators a decision is described by."""
    return tuple(
        (name, value)
        for name, trait in TRAITS.items()
        for value in trait.values
        if value != trait.default
    )


def _row(traits: Mapping[str, str], columns: Features) -> tuple[int, ...]:
    """Return the indices of a decision's active indicators; 0 is the intercept, always on."""
    return (0, *(i + 1 for i, (name, value) in enumerate(columns) if traits.get(name) == value))


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Solve a symmetric positive-definite system by Gaussian elimination with pivoting."""
    size = len(vector)
    rows = [[*matrix[i], vector[i]] for i in range(size)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, size):
            factor = rows[r][col] / rows[col][col]
            for c in range(col, size + 1):
                rows[r][c] -= factor * rows[col][c]
    solution = [0.0] * size
    for r in reversed(range(size)):
        tail = sum(rows[r][c] * solution[c] for c in range(r + 1, size))
        solution[r] = (rows[r][size] - tail) / rows[r][r]
    return solution


def fit(
    rows: Sequence[Sequence[int]], labels: Sequence[int], width: int, penalty: float
) -> list[float]:
    """Fit logistic regression by Newton's method; the intercept (index 0) is not penalised.

    Each row lists its active indicator indices, so the work per row is its few active pairs.
    """
    coef = [0.0] * width
    for _ in range(50):
        gradient = [0.0] * width
        hessian = [[0.0] * width for _ in range(width)]
        for row, label in zip(rows, labels, strict=True):
            p = 1.0 / (1.0 + math.exp(-sum(coef[i] for i in row)))
            for i in row:
                gradient[i] += p - label
                for j in row:
                    hessian[i][j] += p * (1 - p)
        for i in range(1, width):
            gradient[i] += penalty * coef[i]
            hessian[i][i] += penalty
        hessian[0][0] += 1e-9  # keeps the system solvable when every label is the same
        step = _solve(hessian, gradient)
        coef = [w - s for w, s in zip(coef, step, strict=True)]
        if max(abs(s) for s in step) < 1e-9:
            break
    return coef


@dataclass(frozen=True)
class Ceiling:
    """The best leave-one-out agreement of a freely fitted model, and at which penalty."""

    agree: int
    total: int
    penalty: float


Labelled = Sequence[tuple[Mapping[str, str], bool]]
"""Decisions as (traits, chose Rust)."""


def agreement(train: Labelled, test: Labelled, penalty: float) -> int:
    """Fit on `train` and count the decisions in `test` the fitted model predicts correctly."""
    columns = features()
    coef = fit(
        [_row(traits, columns) for traits, _ in train],
        [int(rust) for _, rust in train],
        len(columns) + 1,
        penalty,
    )
    return sum((sum(coef[i] for i in _row(traits, columns)) > 0) == rust for traits, rust in test)


def leave_one_out(decisions: Labelled, penalty: float) -> int:
    """Count the decisions a model fitted on all the others predicts correctly."""
    return sum(
        agreement([*decisions[:index], *decisions[index + 1 :]], [decisions[index]], penalty)
        for index in range(len(decisions))
    )


def ceiling(decisions: Labelled) -> Ceiling:
    """Return the best leave-one-out agreement over `PENALTIES` (ties: the stronger penalty).

    Memoised: the report, `--fit` and the tests ask for the same sets, and each costs hundreds
    of fits.
    """
    return _ceiling(tuple((tuple(sorted(traits.items())), rust) for traits, rust in decisions))


@functools.cache
def _ceiling(decisions: tuple[tuple[tuple[tuple[str, str], ...], bool], ...]) -> Ceiling:
    labelled = [(dict(traits), rust) for traits, rust in decisions]
    results = [(leave_one_out(labelled, penalty), penalty) for penalty in PENALTIES]
    agree, penalty = max(results)
    return Ceiling(agree, len(decisions), penalty)
