"""Shared by the local-stack, catalog and Renovate tests: the validators, a service to break."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.errors import ArtifactInvalid
from generator.template import Template
from tests.helpers import TEMPLATES, require_tools

TEMPLATE = Template.load(TEMPLATES)
Check = Callable[[Path, Template, dict[str, Path]], str]


@pytest.fixture(scope="session")
def validators() -> dict[str, Path]:
    """composecheck, Renovate's and Backstage's validators, as `scaffold smoke` gets them.

    Installed into scaffold's tool cache on first use (like actionlint): composecheck is built
    with go, the npm packages need node and npm.
    """
    from generator.tools import ensure_deploy_validators

    require_tools("go", "node", "npm")
    return ensure_deploy_validators(TEMPLATE.tools)


@pytest.fixture(params=["go", "rust"])
def service(
    request: pytest.FixtureRequest, generated: Callable[[str], Path], tmp_path: Path
) -> Path:
    """A copy of the default service of each language, ours to break."""
    return Path(shutil.copytree(generated(request.param), tmp_path / "payments"))


def failure(check: Check, service: Path, tools: dict[str, Path]) -> str:
    """The message check fails with (ArtifactInvalid, exit code 5)."""
    with pytest.raises(ArtifactInvalid) as raised:
        check(service, TEMPLATE, tools)
    assert raised.value.exit_code == 5
    assert "\n" not in raised.value.message
    return raised.value.message
