"""A template's shared/ files are read into typed models when it is loaded.

A missing key, a misspelt key or a wrong type is the template's fault: exit 3 with one line that
names the file and the key, never a KeyError later reported as the service failing a check.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.errors import TemplateError
from generator.template import Template
from tests.conftest import TEMPLATES, Invoke, snapshot

Edit = Callable[[dict[str, Any]], None]


def rename_level(contract: dict[str, Any]) -> None:
    contract["logging"]["fields"]["levle"] = contract["logging"]["fields"].pop("level")


TYPO = "shared/contract.yml: logging.fields.levle: unknown key; logging.fields.level: missing key"


def template_copy(tmp_path: Path, file: str, edit: Edit) -> Path:
    """The bundled templates with one shared/ file edited (its comments are lost)."""
    root = tmp_path / "template"
    shutil.copytree(TEMPLATES, root, ignore=shutil.ignore_patterns("__pycache__"))
    edit_yaml(root / "shared" / file, edit)
    return root


def edit_yaml(path: Path, edit: Edit) -> None:
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def set_key(*path: str, value: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        for key in path[:-1]:
            data = data[key]
        data[path[-1]] = value

    return edit


def drop_key(*path: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        for key in path[:-1]:
            data = data[key]
        del data[path[-1]]

    return edit


@pytest.mark.parametrize(
    ("file", "edit", "message"),
    [
        ("contract.yml", rename_level, TYPO),
        ("contract.yml", drop_key("hello"), "shared/contract.yml: hello: missing key"),
        (
            "contract.yml",
            set_key("startup_failure_exit_code", value="one"),
            "shared/contract.yml: startup_failure_exit_code: Input should be a valid integer, "
            "unable to parse string as an integer",
        ),
        (
            "contract.yml",
            set_key("invalid_config_examples", value=[{"name": "PORT", "value": 0}]),
            "shared/contract.yml: invalid_config_examples[0].value: Input should be a valid string",
        ),
        (
            "contract.yml",
            set_key("tracing", "attributes", "url.path", value="text"),
            "shared/contract.yml: tracing.attributes.url.path: Input should be 'string' or 'int'",
        ),
        (
            "ownership.yml",
            set_key("platform_owned", value="Makefile"),
            "shared/ownership.yml: platform_owned: must be a list",
        ),
        (
            "smoke.yml",
            drop_key("axes", "service_name"),
            "shared/smoke.yml: axes: needs values for service_name",
        ),
        (
            "naming.yml",
            set_key("max_length", value=0),
            "shared/naming.yml: max_length: Input should be greater than or equal to 1",
        ),
        (
            "naming.yml",
            set_key("pattern", value="(["),
            "shared/naming.yml: pattern: not a regular expression: "
            "unterminated character set at position 1",
        ),
    ],
)
def test_a_broken_shared_file_is_a_template_error(
    tmp_path: Path, file: str, edit: Edit, message: str
) -> None:
    root = template_copy(tmp_path, file, edit)
    with pytest.raises(TemplateError) as error:
        Template.load(root)
    assert error.value.one_line() == message
    assert error.value.exit_code == 3


def test_the_bundled_files_fit_their_models() -> None:
    template = Template.load(TEMPLATES)
    assert template.contract.logging.fields.level == "level"
    assert template.contract.build.binary_for("payments") == "bin/payments"
    assert "Makefile" in template.ownership.platform_owned
    assert set(template.smoke.axes) >= {"language", "service_name"}
    assert "main" in template.naming.reserved


def test_new_refuses_a_template_with_a_typo(invoke: Invoke, tmp_path: Path) -> None:
    root = template_copy(tmp_path, "contract.yml", rename_level)
    before = snapshot(tmp_path)
    result = invoke("new", "payments", "--lang", "go", "--defaults", "--template", str(root))
    assert result.exit_code == 3, result.stdout + result.stderr
    assert result.stderr.strip() == f"error: {TYPO}"
    assert snapshot(tmp_path) == before


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True)


def test_check_refuses_a_recorded_template_with_a_typo(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{key}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{key}_EMAIL", "test@example.com")
    root = template_copy(tmp_path, "contract.yml", lambda _: None)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "template")
    git(root, "tag", "v1.0.0")
    made = invoke("new", "payments", "--lang", "go", "--defaults", "--template", str(root))
    assert made.exit_code == 0, made.stderr
    # The platform team breaks the release the service records.
    edit_yaml(root / "shared" / "contract.yml", rename_level)
    git(root, "commit", "-qam", "typo")
    git(root, "tag", "-f", "v1.0.0")

    result = invoke("check", str(tmp_path / "payments"), "--run")
    assert result.exit_code == 3, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"error: {TYPO}"
