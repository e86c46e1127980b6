"""`scaffold new` without a terminal: flags, defaults, errors, and nothing half-written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from generator.errors import TemplateError
from generator.new import NewOptions, new_service
from generator.template import TemplateSource, render
from tests.conftest import LANGUAGES, TEMPLATES, Invoke, snapshot
from tests.helpers import build_wheel


def answers(service: Path) -> dict[str, object]:
    data = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("language", LANGUAGES)
def test_scripted_new_with_defaults(invoke: Invoke, tmp_path: Path, language: str) -> None:
    result = invoke("new", "payments", "--lang", language, "--defaults")
    assert result.exit_code == 0, result.stderr
    service = tmp_path / "payments"
    recorded = answers(service)
    assert recorded["service_name"] == "payments"
    assert recorded["language"] == language
    assert recorded["port"] == 8080
    assert (service / "CONTRACT.md").is_file()
    assert (service / ".editorconfig").is_file()
    assert "Created payments" in result.stdout
    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=service, capture_output=True, text=True, check=True
    )
    assert log.stdout.strip().splitlines() == ["Initial commit from scaffold 0.1.0"]
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=service, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""


def test_flags_answer_every_question(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(
        "new",
        "billing",
        "--lang",
        "go",
        "--dir",
        "out/billing",
        "--description",
        "Bills.",
        "--owner",
        "billing-team",
        "--module",
        "github.com/acme/billing",
        "--port",
        "8081",
        "--data",
        "system=payments-platform",
        "--data",
        "github_org=acme",
        "--no-git",
    )
    assert result.exit_code == 0, result.stderr
    service = tmp_path / "out" / "billing"
    recorded = answers(service)
    assert (recorded["system"], recorded["github_org"]) == ("payments-platform", "acme")
    assert recorded["description"] == "Bills."
    assert recorded["owner"] == "billing-team"
    assert recorded["go_module"] == "github.com/acme/billing"
    assert recorded["port"] == 8081
    assert not (service / ".git").exists()
    assert "| `PORT` | `8081` |" in (service / "CONTRACT.md").read_text()


def test_data_answers_a_question(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("new", "ledger", "--lang", "rust", "--defaults", "--data", "owner=ledger-team")
    assert result.exit_code == 0, result.stderr
    assert answers(tmp_path / "ledger")["owner"] == "ledger-team"


def test_defaults_without_lang_take_the_recommendation(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("new", "orders", "--defaults", "--no-git")
    assert result.exit_code == 0, result.stderr
    recorded = answers(tmp_path / "orders")
    assert recorded["language"] == "go"
    assert isinstance(recorded["recommendation"], dict)
    assert recorded["recommendation"]["language"] == "go"


def test_missing_answers_without_a_terminal_name_the_flags(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("new", "payments", "--lang", "go")
    assert result.exit_code == 2
    assert "--description" in result.stderr
    assert "--owner" in result.stderr
    assert "--module" in result.stderr
    assert "--defaults" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(tmp_path) == []


def test_missing_language_without_a_terminal_names_the_flag(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("new", "payments")
    assert result.exit_code == 2
    assert "--lang" in result.stderr
    assert snapshot(tmp_path) == []


@pytest.mark.parametrize(
    "name", ["Payments", "1svc", "my_svc", "-svc", "svc-", "../evil", "", "x" * 41, "main", "std"]
)
def test_invalid_names_exit_2_and_write_nothing(invoke: Invoke, tmp_path: Path, name: str) -> None:
    result = invoke("new", "--lang", "go", "--defaults", "--", name)
    assert result.exit_code == 2, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: ")
    assert "hint:" in result.stderr
    assert snapshot(tmp_path) == []
    assert not (tmp_path.parent / "evil").exists()


def test_non_empty_target_is_refused_and_left_alone(invoke: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "payments"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    result = invoke("new", "payments", "--lang", "go", "--defaults")
    assert result.exit_code == 2
    assert "not empty" in result.stderr
    assert snapshot(tmp_path) == ["payments", "payments/keep.txt"]
    assert (target / "keep.txt").read_text() == "mine"


def test_empty_target_directory_is_used(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "payments").mkdir()
    result = invoke("new", "payments", "--lang", "go", "--defaults", "--no-git")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "payments" / "CONTRACT.md").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "between 1 and 65535"),
        (["--port", "9464"], "METRICS_PORT"),
        (["--owner", "Bad Team"], "owner"),
        (["--module", "not a module"], "module path"),
        (["--data", "colour=blue"], "unknown template question"),
        (["--data", "novalue"], "key=value"),
        (["--data", "port=abc"], "whole number"),
        (["--trait", "latency=sometimes"], "latency"),
    ],
)
def test_bad_flags_exit_2_and_write_nothing(
    invoke: Invoke, tmp_path: Path, args: list[str], message: str
) -> None:
    result = invoke("new", "payments", "--lang", "go", "--defaults", *args)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(tmp_path) == []


def test_render_failure_leaves_nothing_behind(tmp_path: Path) -> None:
    broken = tmp_path / "broken-template"
    shutil.copytree(TEMPLATES, broken)
    (broken / "go-gin" / "oops.txt.jinja").write_text("{{ this is not jinja }")
    out = tmp_path / "out"
    out.mkdir()
    options = NewOptions(
        name="payments",
        language="go",
        directory=out / "payments",
        defaults=True,
        template=TemplateSource(str(broken)),
    )
    with pytest.raises(TemplateError) as caught:
        new_service(options, progress=lambda _: None, show=lambda _: None)
    assert caught.value.exit_code == 3
    assert snapshot(out) == []


def test_usage_errors_are_one_line(invoke: Invoke, tmp_path: Path) -> None:
    for args in (["new", "x", "--lang", "java"], ["new", "-svc"], ["new"], ["frobnicate"]):
        result = invoke(*args)
        assert result.exit_code == 2, args
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "hint: see `scaffold" in result.stderr
    assert snapshot(tmp_path) == []


def test_version_and_help(invoke: Invoke) -> None:
    assert invoke("--version").stdout.strip() == "scaffold 0.1.0"
    for command in (["--help"], ["new", "--help"], ["recommend", "--help"]):
        result = invoke(*command)
        assert result.exit_code == 0
        assert "Examples:" in result.stdout


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_service_records_the_language_decision(
    invoke: Invoke, tmp_path: Path, language: str
) -> None:
    traits = ["--trait", "latency=ultra", "--trait", "workload=cpu", "--trait", "teams=many"]
    result = invoke("new", "pricing", "--lang", language, "--defaults", "--no-git", *traits)
    assert result.exit_code == 0, result.stderr
    service = tmp_path / "pricing"
    adr = (service / "docs" / "adr" / "0001-language-choice.md").read_text()
    recorded = answers(service)
    recommended = recorded["recommendation"]
    assert isinstance(recommended, dict)
    assert recorded["traits"] == {**recommended["traits"]}
    assert "latency" in adr
    assert ("overriding the recommendation" in adr) == (recommended["language"] != language)
    assert recorded["language_override"] is (recommended["language"] != language)

    # The answers file alone reproduces the record, byte for byte.
    again = tmp_path / "again"
    data = {k: v for k, v in recorded.items() if not k.startswith("_")}
    render(TEMPLATES, again, data)
    assert (again / "docs" / "adr" / "0001-language-choice.md").read_text() == adr


def test_the_wheel_carries_the_templates(tmp_path: Path) -> None:
    """A non-editable install works: the templates ship inside the wheel."""
    wheel = build_wheel(tmp_path / "dist")
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        assert "generator/_templates/copier.yml" in archive.namelist()
        assert "generator/_templates/shared/contract.yml" in archive.namelist()
        archive.extractall(unpacked)
    marked = unpacked / "generator" / "_templates" / "rust-axum" / ".gitignore"
    marked.write_text(marked.read_text() + "# from the wheel\n")
    work = tmp_path / "work"
    work.mkdir()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "new",
            "payments",
            "--lang",
            "rust",
            "--defaults",
            "--no-git",
        ],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(unpacked)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    # Rendered from the wheel's copy, not this checkout; and its path is not recorded.
    assert "# from the wheel" in (work / "payments" / ".gitignore").read_text()
    answers_file = (work / "payments" / ".copier-answers.yml").read_text()
    assert "_templates" not in answers_file
    assert str(unpacked) not in answers_file
