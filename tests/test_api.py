"""The public API in generator/__init__.py: every name resolves, and importing stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import generator
from generator.errors import ScaffoldError


@pytest.mark.parametrize("name", generator.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(generator, name) is not None


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        generator.nope  # noqa: B018 - the lookup is the test


def test_the_errors_form_one_hierarchy() -> None:
    errors = [generator.UsageError, generator.TemplateError, generator.ToolchainError]
    assert all(issubclass(error, ScaffoldError) for error in [*errors, generator.Aborted])
    assert [error.exit_code for error in errors] == [2, 3, 4]


def test_embedding_scaffold_renders_a_service(tmp_path: Path) -> None:
    options = generator.NewOptions(
        name="payments", language="go", directory=tmp_path / "payments", defaults=True, git=False
    )
    result = generator.new_service(options, progress=lambda _: None, show=lambda _: None)
    assert (result.path / "go.mod").is_file()
    assert generator.recommend({"latency": "ultra", "workload": "cpu"}).language == "rust"


def test_help_does_not_import_the_heavy_libraries() -> None:
    """`scaffold --help` must stay fast: copier, questionary and protobuf load only when used."""
    probe = (
        "import sys; from generator.cli import app; "
        "from typer.testing import CliRunner; CliRunner().invoke(app, ['--help']); "
        "print(sorted(m for m in ('copier', 'questionary', 'google.protobuf', 'jinja2') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
