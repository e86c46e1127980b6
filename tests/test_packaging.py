"""pyproject.toml's ranges and requirements/constraints.txt's pins agree (offline).

The wheel declares compatible ranges so that it installs next to other tools; builds and CI install
the exact pins. `scripts/lock --check` also re-resolves the pins against PyPI; this is the fast,
network-free half of that check.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from tests.conftest import ROOT

PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
CEILING = ROOT / "requirements" / "ceiling.txt"
"""The pins of scripts/recommender-ceiling's own environment (scikit-learn; not scaffold's)."""


def pins(path: Path = CONSTRAINTS) -> dict[NormalizedName, str]:
    pinned: dict[NormalizedName, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        (spec,) = requirement.specifier
        where = f"{path.name} line {number}: {line!r}"
        assert spec.operator == "==", f"{where} is not exact"
        assert not requirement.marker, f"{where} has a marker"
        assert not requirement.extras, f"{where} has extras"
        name = canonicalize_name(requirement.name)
        assert name not in pinned, f"{path.name} pins {name} twice"
        pinned[name] = spec.version
    return pinned


def direct() -> list[tuple[str, Requirement]]:
    """Every direct requirement, with where it is declared ('dependencies' or the extra)."""
    project = PYPROJECT["project"]
    found = [("dependencies", Requirement(text)) for text in project["dependencies"]]
    for extra, texts in project["optional-dependencies"].items():
        found += [(f"[{extra}]", Requirement(text)) for text in texts]
    return found


@pytest.mark.parametrize(("where", "requirement"), direct(), ids=str)
def test_every_direct_dependency_is_pinned_within_its_range(
    where: str, requirement: Requirement
) -> None:
    pinned = pins().get(canonicalize_name(requirement.name))
    assert pinned is not None, f"{requirement} ({where}) has no pin; run scripts/lock"
    assert requirement.specifier.contains(pinned, prereleases=True), (
        f"{requirement.name}=={pinned} is outside {requirement} ({where}); run scripts/lock"
    )


@pytest.mark.parametrize(
    "requirement",
    [r for where, r in direct() if where in {"dependencies", "[dev]"}],
    ids=str,
)
def test_ranges_are_compatible_ranges_not_pins(requirement: Requirement) -> None:
    """A lower bound (a tested version) and an upper bound (the next breaking one), no ==."""
    operators = {spec.operator for spec in requirement.specifier}
    assert not operators & {"==", "==="}, f"{requirement}: exact pins go in constraints.txt"
    assert ">=" in operators, f"{requirement}: needs a lower bound (the pinned version)"
    assert "<" in operators, f"{requirement}: needs an upper bound (the next breaking release)"


def test_build_requirements_are_exact_and_agree_with_the_pins() -> None:
    pinned = pins()
    for text in PYPROJECT["build-system"]["requires"]:
        requirement = Requirement(text)
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"[build-system] requires {text!r}: pin it exactly"
        name = canonicalize_name(requirement.name)
        assert pinned.get(name, spec.version) == spec.version, (
            f"[build-system] requires {text!r}, constraints.txt pins {pinned[name]}"
        )


def test_the_ceiling_scripts_pins_are_exact_and_agree_with_scaffolds() -> None:
    """Its environment imports scaffold's evaluation, so shared packages keep scaffold's pins."""
    ceiling = pins(CEILING)
    assert "scikit-learn" in ceiling
    scaffolds = pins()
    for name, version in ceiling.items():
        assert scaffolds.get(name, version) == version, (
            f"{CEILING.name}: {name} != {scaffolds[name]}"
        )
