"""Slow: the contract scenarios against real services, default and broken on purpose.

A checker that cannot fail proves nothing: each mutation (tests/conformance/cases.py) breaks one
contract item in a copy of a generated service, rebuilds it, and expects exactly the matching
items to fail. With SCAFFOLD_RECORD_OBSERVATIONS=1 every observation that got its expected
verdicts is written to tests/data/observations, which the fast tests judge again.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.conformance import Observation, contract_items, observe, verify
from tests.conformance.cases import CONTRACT, MUTATIONS, RECORD_ENV, Mutation, recording, shapes
from tests.conftest import LANGUAGES, make

pytestmark = pytest.mark.slow

Observe = Callable[[str], Observation]
# A mutation breaks behaviour, not speed: its Rust builds skip LTO and most optimisation (about
# 8 s instead of 36 s each on two cores). The default services build exactly as users build them.
QUICK_BUILD = {
    "CARGO_PROFILE_RELEASE_LTO": "false",
    "CARGO_PROFILE_RELEASE_OPT_LEVEL": "1",
    "CARGO_PROFILE_RELEASE_CODEGEN_UNITS": "16",
}


def keep(name: str, observation: Observation) -> None:
    """Re-record an observation when asked to (see tests/data/observations/README.md)."""
    if os.environ.get(RECORD_ENV):
        recording(name).write_text(observation.to_json(), encoding="utf-8")


@pytest.fixture(scope="session")
def observed(built: Callable[[str], Path], built_probe: Callable[[str], Path]) -> Observe:
    """Observe each language's default service (and its probe build) once per session."""
    seen: dict[str, Observation] = {}

    def get(language: str) -> Observation:
        if language not in seen:
            seen[language] = observe(built(language), CONTRACT, probe=built_probe(language))
        return seen[language]

    return get


@pytest.mark.parametrize("language", LANGUAGES)
def test_default_service_passes_every_item(observed: Observe, language: str) -> None:
    observation = observed(language)
    results = verify(CONTRACT, "payments", observation)
    assert {r.name: r.detail for r in results if not r.passed} == {}
    assert [r.name for r in results] == contract_items(CONTRACT)
    keep(language, observation)


def test_go_and_rust_are_identical_from_outside(observed: Observe) -> None:
    go, rust = (shapes(observed(language)) for language in LANGUAGES)
    assert go["span_attribute_keys"]
    assert go == rust


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_each_item_can_fail(
    built: Callable[[str], Path],
    built_probe: Callable[[str], Path],
    tmp_path: Path,
    mutation: Mutation,
) -> None:
    source = built(mutation.language).parent.parent
    service = tmp_path / "payments"
    # Fresh mtimes: cargo's artifacts do not depend on the service's path, so a file copied with
    # its old mtime would count as built already, from the previous mutation's copy.
    shutil.copytree(
        source,
        service,
        ignore=shutil.ignore_patterns("bin", "target", ".git"),
        copy_function=shutil.copy,
    )
    for name, old, new in mutation.edits:
        path = service / name
        text = path.read_text()
        assert old in text, f"{mutation.id}: {old!r} not in {name}"
        path.write_text(text.replace(old, new, 1))
    make(service, "build", env=QUICK_BUILD)
    # A break of the probe build's routes needs that build; any other break runs the default
    # service's probe build, which it does not touch (one build per mutation, not two).
    if mutation.probe:
        make(service, CONTRACT.probe.make_target, env=QUICK_BUILD)
        probe = service / CONTRACT.probe.binary_for("payments")
    else:
        probe = built_probe(mutation.language)
    for _ in range(mutation.attempts):
        observation = observe(service / "bin" / "payments", CONTRACT, probe=probe)
        results = verify(CONTRACT, "payments", observation)
        failed = {r.name: r.detail for r in results if not r.passed}
        if set(failed) == mutation.fails:
            break
    assert set(failed) == mutation.fails, failed
    keep(mutation.id, observation)
