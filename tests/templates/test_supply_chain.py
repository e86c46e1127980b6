"""The image job of every service's CI: one image, built once, then its SBOM and its scan."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.template import Template
from tests.conftest import LANGUAGES, TEMPLATES

ACTIONS = Template.load(TEMPLATES).tools.actions


def image_steps(service: Path) -> list[dict[str, Any]]:
    workflow = yaml.safe_load((service / ".github/workflows/ci.yml").read_text())
    steps: list[dict[str, Any]] = workflow["jobs"]["image"]["steps"]
    return steps


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_image_is_built_once_then_described_and_scanned(
    generated: Callable[[str], Path], language: str
) -> None:
    steps = image_steps(generated(language))
    builds = [s["run"] for s in steps if "docker" in s.get("run", "")]
    assert builds == ['make docker IMAGE="payments:${{ github.sha }}"']
    by_action = {s["uses"]: s.get("with", {}) for s in steps if "uses" in s}
    image = "payments:${{ github.sha }}"
    assert by_action[ACTIONS["sbom"]]["image"] == image
    assert by_action[ACTIONS["trivy"]]["image-ref"] == image
    sbom = by_action[ACTIONS["sbom"]]["output-file"]
    assert by_action[ACTIONS["upload_artifact"]]["path"] == sbom
    assert by_action[ACTIONS["trivy"]]["exit-code"] == "1"
    order = [s.get("uses", s.get("run")) for s in steps]
    assert order.index(builds[0]) < order.index(ACTIONS["sbom"]) < order.index(ACTIONS["trivy"])


def test_the_supply_chain_actions_are_pinned_in_tools_yml() -> None:
    assert ACTIONS["trivy"].startswith("aquasecurity/trivy-action@v")
    assert ACTIONS["sbom"].startswith("anchore/sbom-action@v")
