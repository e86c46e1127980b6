"""Templates and service repositories are untrusted: nothing in them runs or is read outside.

Every hostile template and answers file here is built in tmp_path from the bundled templates;
none is committed as a usable template.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests import helpers
from tests.helpers import Invoke, git, replace_in, snapshot

SECRET = "TOP-SECRET-CONTENT"
Edit = Callable[[Path], None]


def template_copy(tmp_path: Path, edit: Edit, *, tagged: bool = False) -> Path:
    return helpers.template_copy(tmp_path / "hostile-template", edit, tagged=tagged)


def set_question_field(field: str, expression: str) -> Edit:
    """Set a field of copier.yml's owner question to a Jinja expression."""

    def edit(root: Path) -> None:
        config = root / "copier.yml"
        questions = yaml.safe_load(config.read_text())
        questions["owner"][field] = expression
        config.write_text(yaml.safe_dump(questions, sort_keys=False))

    return edit


ESCAPE = "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}"


# Every answer given as a flag: scaffold still evaluates the validator itself.
EVERY_ANSWER = [
    "--owner", "team", "--description", "d", "--module", "example.com/team/payments",
    "--port", "8080", "--data", "system=core", "--data", "github_org=team",
]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "answers"),
    [("validator", EVERY_ANSWER), ("when", ["--defaults"]), ("default", ["--defaults"])],
)
def test_template_expressions_run_in_the_sandbox(
    invoke: Invoke, tmp_path: Path, field: str, answers: list[str]
) -> None:
    template = template_copy(tmp_path, set_question_field(field, ESCAPE))
    before = snapshot(tmp_path)
    result = invoke(
        "new", "payments", "--lang", "go", *answers, "--no-git", "--template", str(template)
    )
    assert result.exit_code == 3, result.stderr
    assert "refused" in result.stderr
    assert "sandbox" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "PWNED").exists()
    assert snapshot(tmp_path) == before


def test_template_includes_stay_inside_the_template(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text(SECRET)
    template = template_copy(
        tmp_path, set_question_field("default", "{% include '../secret.txt' %}")
    )
    result = invoke("new", "payments", "--lang", "go", "--defaults", "--template", str(template))
    assert result.exit_code in {2, 3}, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert not (tmp_path / "payments").exists()


def test_template_files_that_link_outside_are_refused(invoke: Invoke, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yml"
    secret.write_text(f"key: {SECRET}\n")

    def link_contract(root: Path) -> None:
        (root / "shared" / "naming.yml").unlink()
        (root / "shared" / "naming.yml").symlink_to(secret)

    template = template_copy(tmp_path, link_contract)
    result = invoke("new", "payments", "--lang", "go", "--defaults", "--template", str(template))
    assert result.exit_code == 2, result.stderr
    assert "shared/naming.yml" in result.stderr
    assert "outside" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def add_task(root: Path) -> None:
    replace_in(
        root / "copier.yml", "_templates_suffix: .jinja\n",
        "_templates_suffix: .jinja\n_tasks:\n  - touch TASK_RAN\n",
    )  # fmt: skip


def test_a_template_that_runs_code_is_refused_with_a_hint_that_applies(
    invoke: Invoke, tmp_path: Path
) -> None:
    template = template_copy(tmp_path, add_task)
    result = invoke("new", "payments", "--lang", "go", "--defaults", "--template", str(template))
    assert result.exit_code == 3
    assert "refused" in result.stderr
    assert "_tasks" in result.stderr
    assert "pass --trust" in result.stderr  # a flag scaffold really has
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "payments").exists()


def test_trust_lets_the_template_run_its_tasks_and_says_so(invoke: Invoke, tmp_path: Path) -> None:
    template = template_copy(tmp_path, add_task)
    result = invoke(
        "new", "payments", "--lang", "go", "--defaults", "--no-git",
        "--template", str(template), "--trust",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "warning: --trust" in result.stderr
    assert (tmp_path / "payments" / "TASK_RAN").is_file()


# -- scaffold check and update on a hostile service repository ---------------------------------


def service_from(invoke: Invoke, template: Path, tmp_path: Path) -> Path:
    result = invoke(
        "new", "payments", "--lang", "go", "--defaults", "--template", str(template)
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return tmp_path / "payments"


def test_check_never_prints_files_outside_the_template_or_service(
    invoke: Invoke, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_text(SECRET)

    def own_a_file_outside(root: Path) -> None:
        replace_in(
            root / "shared" / "ownership.yml", "platform_owned:\n",
            "platform_owned:\n  - ../secret.txt\n",
        )  # fmt: skip

    template = template_copy(tmp_path, own_a_file_outside, tagged=True)
    service = service_from(invoke, template, tmp_path)
    result = invoke("check", str(service))
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "'../secret.txt'" in result.stderr
    assert "outside" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_check_never_follows_a_service_symlink_outside(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text(SECRET)
    template = template_copy(tmp_path, lambda _: None, tagged=True)
    service = service_from(invoke, template, tmp_path)
    (service / "Makefile").unlink()
    (service / "Makefile").symlink_to(tmp_path / "secret.txt")
    result = invoke("check", str(service))
    assert result.exit_code == 2
    assert "'Makefile'" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def write_answers(service: Path, **changes: object) -> None:
    path = service / ".copier-answers.yml"
    answers = yaml.safe_load(path.read_text())
    answers.update(changes)
    path.write_text(yaml.safe_dump(answers))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("_src_path", "--upload-pack=touch PWNED;git-upload-pack"),
        ("_src_path", "-uPWNED"),
        ("_commit", "--output=PWNED"),
        ("_commit", "v1..0"),
    ],
)
@pytest.mark.parametrize("command", ["check", "update"])
def test_answers_files_cannot_inject_git_options(
    invoke: Invoke, tmp_path: Path, key: str, value: str, command: str
) -> None:
    template = template_copy(tmp_path, lambda _: None, tagged=True)
    service = service_from(invoke, template, tmp_path)
    write_answers(service, **{key: value})
    git(service, "commit", "-qam", "hostile answers")
    result = invoke(command, str(service))
    assert result.exit_code == 2, result.stdout + result.stderr
    assert key in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "PWNED").exists()
    assert not (service / "PWNED").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["new", "payments", "--lang", "go", "--defaults", "--template=--upload-pack=touch PWNED"],
        ["new", "payments", "--lang", "go", "--defaults", "--template", ".", "--ref=--orphan=x"],
        ["update", "--to=--upload-pack=touch PWNED"],
        ["update", "--template=--upload-pack=touch PWNED"],
        ["update", "--template", ".", "--from=--orphan=x"],
        ["smoke", "--template=-uPWNED"],
    ],
)
def test_flags_cannot_inject_git_options(invoke: Invoke, tmp_path: Path, args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "PWNED").exists()
    assert not (tmp_path / "payments").exists()


def test_an_answers_file_that_links_outside_is_refused(invoke: Invoke, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yml"
    secret.write_text(f"service_name: x\nlanguage: go\nnote: {SECRET}\n")
    service = tmp_path / "svc"
    service.mkdir()
    (service / ".copier-answers.yml").symlink_to(secret)
    result = invoke("check", str(service))
    assert result.exit_code == 2
    assert "outside" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_a_non_utf8_answers_file_is_one_line(invoke: Invoke, tmp_path: Path) -> None:
    service = tmp_path / "svc"
    service.mkdir()
    (service / ".copier-answers.yml").write_bytes(b"service_name: \xff\xfe\nlanguage: go\n")
    for command in ("check", "update"):
        result = invoke(command, str(service))
        assert result.exit_code == 2, command
        assert result.stderr.startswith("error: ")
        assert "UTF-8" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
