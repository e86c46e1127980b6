"""One set of pins: every workflow scaffold writes uses the actions of shared/tools.yml."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import yaml

from generator.lifecycle._golden import template_ci
from generator.template import Template
from tests.conftest import TEMPLATES


def uses(workflow: str) -> list[str]:
    return re.findall(r"^\s*-?\s*uses:\s*(\S+)", workflow, re.MULTILINE)


def test_every_workflow_uses_only_pinned_actions_at_one_version(
    generated: Callable[[str], Path],
) -> None:
    pinned = set(Template.load(TEMPLATES).tools.actions.values())
    workflows = {
        "golden": template_ci("1.2.3"),
        **{
            lang: (generated(lang) / ".github/workflows/ci.yml").read_text()
            for lang in ("go", "rust")
        },
    }
    seen: dict[str, set[str]] = {}
    for name, text in workflows.items():
        used = uses(text)
        assert used, name
        assert set(used) <= pinned, (name, set(used) - pinned)
        for ref in used:
            action, version = ref.split("@")
            seen.setdefault(action, set()).add(version)
    assert all(len(versions) == 1 for versions in seen.values()), seen


def test_the_go_toolchain_pin_is_the_one_go_mod_and_the_dockerfile_use(
    generated: Callable[[str], Path],
) -> None:
    go = Template.load(TEMPLATES).tools.go
    service = generated("go")
    assert f"toolchain go{go}\n" in (service / "go.mod").read_text()
    assert f"FROM golang:{go}-" in (service / "Dockerfile").read_text()
    assert f'go-version: "{go}"' in template_ci("1.2.3")


def test_the_golden_workflow_is_valid_yaml_with_one_job_per_language() -> None:
    workflow = yaml.safe_load(template_ci("1.2.3"))
    job = workflow["jobs"]["smoke"]
    assert job["strategy"]["matrix"]["language"] == ["go", "rust"]
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert any("scaffold smoke" in run and "--ref HEAD" in run for run in runs)
    assert any("scaffold doctor" in run and "--install" in run for run in runs)
