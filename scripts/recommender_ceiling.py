"""Leave-one-out agreement of flexible models over the recommender's traits (a Markdown table).

`generator/recommender/ceiling.py` bounds what an *additive* weighting of the traits can reach.
A model that lets traits interact (strong Go skill outweighing a network layer, say) might do
better; if none does, the limit is the vocabulary and the decisions, not the model's form. Each
model here is scored the same way as the ceiling: every published decision (dev and held out)
is predicted by the model fitted on all the others, over the same trait indicators
(`ceiling.features()`). Settings are a small grid and the table shows every one, so the best
row is optimistic. Run it with `./scripts/recommender-ceiling`, which provides scikit-learn.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import LeaveOneOut, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import PolynomialFeatures
from sklearn.tree import DecisionTreeClassifier

from generator.recommender import ceiling
from generator.recommender.evaluation import Tally, labelled, load_sets, replay, tally

Model = Callable[[], Any]

ADDITIVE = "logistic, additive"
"""The rows that reproduce `ceiling.py`'s model with scikit-learn, as a cross-check."""


def _grid() -> list[tuple[str, str, bool, Model]]:
    """(model, setting, uses pairwise interaction columns, factory) for every row."""
    return [
        *(
            (ADDITIVE, f"C={c:g}", False, partial(LogisticRegression, C=c))
            for c in (0.1, 0.3, 1.0, 3.0)
        ),
        *(
            ("logistic, every pair of traits", f"C={c:g}", True, partial(LogisticRegression, C=c))
            for c in (0.03, 0.1, 0.3, 1.0)
        ),
        *(
            (
                "decision tree",
                f"depth {d}",
                False,
                partial(DecisionTreeClassifier, max_depth=d, random_state=0),
            )
            for d in (2, 3, 4, 6)
        ),
        *(
            (
                "random forest, 300 trees",
                f"min leaf {n}",
                False,
                partial(RandomForestClassifier, 300, min_samples_leaf=n, random_state=0),
            )
            for n in (1, 3, 5)
        ),
        *(
            (
                "gradient boosting, 100 rounds",
                f"depth {d}",
                False,
                partial(
                    GradientBoostingClassifier, max_depth=d, learning_rate=0.05, random_state=0
                ),
            )
            for d in (1, 2, 3)
        ),
        *(
            (
                "nearest neighbours (Hamming)",
                f"k={k}",
                False,
                partial(KNeighborsClassifier, k, metric="hamming"),
            )
            for k in (3, 5, 9, 15)
        ),
    ]


def _matrix(decisions: Sequence[tuple[dict[str, str], bool]]) -> tuple[Any, Any]:
    columns = ceiling.features()
    x = np.array(
        [[float(traits.get(name) == value) for name, value in columns] for traits, _ in decisions]
    )
    y = np.array([int(rust) for _, rust in decisions])
    return x, y


def main(argv: Sequence[str] | None = None) -> int:
    """Print one row per model and setting, and the best of them."""
    argparse.ArgumentParser(
        prog="scripts/recommender-ceiling",
        description=(
            "Leave-one-out agreement, over every published decision in tests/data/recommender/, "
            "of models that let the recommender's traits interact. Takes no options; prints a "
            "Markdown table."
        ),
        epilog="example: ./scripts/recommender-ceiling > /tmp/ceiling.md",
    ).parse_args(argv)
    warnings.filterwarnings("ignore")  # convergence chatter from the smallest penalties
    outcomes = replay(load_sets())
    decisions = labelled(outcomes)
    x, y = _matrix(decisions)
    pairs = PolynomialFeatures(2, interaction_only=True, include_bias=False).fit_transform(x)
    pairs = pairs[:, pairs.std(axis=0) > 0]  # drop pairs no decision has
    print(f"Leave-one-out over all {len(y)} published decisions ({x.shape[1]} trait indicators;")
    print(f"{pairs.shape[1]} with the pairs that occur). Higher is better.\n")
    print("| Model | Setting | Agreement |")
    print("| --- | --- | --- |")
    print(f"| scaffold's weights (in-sample, for reference) | - | {tally(outcomes)} |")
    fit = ceiling.ceiling(decisions)
    additive = Tally(fit.agree, fit.total)
    print(f"| `ceiling.py`'s free fit (best penalty) | L2 {fit.penalty:g} | {additive} |")
    best = Tally(0, len(y))
    for name, setting, interacts, factory in _grid():
        predicted = cross_val_predict(
            factory(), pairs if interacts else x, y, cv=LeaveOneOut(), n_jobs=-1
        )
        scored = Tally(int((predicted == y).sum()), len(y))
        if name != ADDITIVE:
            best = max(best, scored, key=lambda t: t.agree)
        print(f"| {name} | {setting} | {scored} |", flush=True)
    print(f"\nThe best model that lets traits interact: {best}; the additive free fit: {additive}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
