"""Static checks on the rendered default services: no template residue, linted Dockerfile and CI."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.lifecycle._smoke import is_template_residue, matching_lines
from tests.conftest import LANGUAGES, require_tools, tool_env

PLACEHOLDERS = re.compile(r"\b(TODO|FIXME|XXX|CHANGEME)\b|(?i:lorem ipsum|your[-_ ]service)")


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_template_residue_or_placeholders(
    generated: Callable[[str], Path], language: str
) -> None:
    service = generated(language)
    offenders = matching_lines(
        service,
        lambda path, line: is_template_residue(path, line) or bool(PLACEHOLDERS.search(line)),
    )
    assert offenders == []
    assert not list(service.rglob("*.jinja"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_service_has_the_platform_files(
    generated: Callable[[str], Path], language: str
) -> None:
    service = generated(language)
    for name in (
        "Makefile",
        "Dockerfile",
        ".dockerignore",
        ".github/workflows/ci.yml",
        ".gitignore",
        ".editorconfig",
        "README.md",
        "CONTRACT.md",
        ".copier-answers.yml",
    ):
        assert (service / name).is_file(), name
    lockfile = {"go": "go.sum", "rust": "Cargo.lock"}[language]
    assert (service / lockfile).is_file()
    makefile = (service / "Makefile").read_text()
    for target in ("build", "test", "lint", "fmt", "run", "docker"):
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert "payments" in (service / "README.md").read_text()


@pytest.mark.parametrize("language", LANGUAGES)
def test_dockerfile_passes_hadolint(
    generated: Callable[[str], Path], hadolint: Path, language: str
) -> None:
    service = generated(language)
    result = subprocess.run(
        [hadolint, "--failure-threshold", "style", "Dockerfile"],
        cwd=service,
        capture_output=True,
        text=True,
        env=tool_env(),
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    dockerfile = (service / "Dockerfile").read_text()
    assert "distroless" in dockerfile
    assert ":nonroot" in dockerfile
    assert re.search(r"^HEALTHCHECK .*healthcheck", dockerfile, re.M)
    assert ":latest" not in dockerfile


@pytest.mark.parametrize("language", LANGUAGES)
def test_workflow_passes_actionlint(
    generated: Callable[[str], Path], actionlint: Path, language: str
) -> None:
    service = generated(language)
    result = subprocess.run(
        [actionlint, ".github/workflows/ci.yml"],
        cwd=service,
        capture_output=True,
        text=True,
        env=tool_env(),
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_both_workflows_run_the_same_stages(generated: Callable[[str], Path]) -> None:
    import yaml

    jobs = {
        language: list(
            yaml.safe_load((generated(language) / ".github/workflows/ci.yml").read_text())["jobs"]
        )
        for language in LANGUAGES
    }
    assert jobs["go"] == jobs["rust"]
    assert set(jobs["go"]) >= {"lint", "test", "vulnerability-scan", "image"}
