"""Slow tests: generate the default service of each language, then build, test and lint it.

This is the product's core promise ("ready to build"), so these tests run in CI (.ci/run).
Builds share the Go build cache and one cargo target directory, so only the first is cold.
How the running binaries behave is the checker's to judge (tests/conformance: every contract
item, live and on recordings); only what the contract does not cover is checked here.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.conformance import RunningService
from tests.conftest import LANGUAGES, make, tool_env

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("language", LANGUAGES)
def test_make_build_leaves_the_binary(built: Callable[[str], Path], language: str) -> None:
    binary = built(language)
    assert binary.is_file()
    assert binary.stat().st_mode & 0o111


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("target", ["test", "lint"])
def test_make_test_and_lint_pass(built: Callable[[str], Path], language: str, target: str) -> None:
    service = built(language).parent.parent
    make(service, target)


@pytest.mark.parametrize("language", LANGUAGES)
def test_healthcheck_argument(built: Callable[[str], Path], language: str) -> None:
    binary = built(language)
    with RunningService(binary) as svc:
        svc.wait_ready()
        env = {**tool_env(), "PORT": str(svc.port)}
        ok = subprocess.run(
            [binary, "healthcheck"], env=env, capture_output=True, timeout=10, check=False
        )
        assert ok.returncode == 0
    env = {**tool_env(), "PORT": str(svc.port)}  # nothing listens there any more
    down = subprocess.run(
        [binary, "healthcheck"], env=env, capture_output=True, timeout=10, check=False
    )
    assert down.returncode == 1
