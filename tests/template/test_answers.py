"""A service's answers file: portable, readable by Renovate's copier manager, old forms still read.

Renovate's copier manager (lib/modules/manager/copier) reads `.copier-answers.yml` and proposes a
template update only for a file whose `_commit` is a string and whose `_src_path` is a URL or a
`git@host:repo` address; any other file is skipped, never an error. `renovate_dependency` is that
rule.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from generator import __version__
from generator.errors import TemplateError, UsageError
from generator.template import ANSWERS_FILE, rewrite_answers
from tests.helpers import ROOT, TEMPLATES, Invoke, git, one_line_error

HEADER = "# Written by scaffold (copier)."


def renovate_dependency(answers: dict[str, Any]) -> tuple[str, str] | None:
    """(template source, current version) as Renovate's copier manager reads them, or None."""
    src, commit = answers.get("_src_path"), answers.get("_commit")
    if not isinstance(src, str) or not isinstance(commit, str):
        return None
    url = urlparse(src)
    if not (url.scheme and (url.netloc or url.path)) and not re.match(r"^git@[^:]*:.+$", src):
        return None
    return src, commit


def bundled_service(invoke: Invoke, tmp_path: Path, *args: str) -> Path:
    result = invoke("new", "payments", "--lang", "go", "--defaults", *args)
    assert result.exit_code == 0, result.stderr
    return tmp_path / "payments"


def test_a_bundled_service_records_nothing_machine_local(invoke: Invoke, tmp_path: Path) -> None:
    service = bundled_service(invoke, tmp_path)
    text = (service / ANSWERS_FILE).read_text()
    assert text.startswith(HEADER)
    for local in {str(ROOT), str(TEMPLATES), str(TEMPLATES.resolve()), str(tmp_path)}:
        assert local not in text
    if Path.home() != Path("/"):
        assert str(Path.home()) not in text
    answers = yaml.safe_load(text)
    assert "_src_path" not in answers
    assert "_commit" not in answers
    assert answers["template_version"] == __version__
    # Renovate skips it (nothing to look up) instead of failing on a path it cannot fetch.
    assert renovate_dependency(answers) is None
    # Rewritten before the initial commit: the service starts clean.
    assert git(service, "status", "--porcelain") == ""
    assert "_src_path" not in git(service, "show", f"HEAD:{ANSWERS_FILE}")


def test_a_golden_service_records_what_renovate_reads(invoke: Invoke, tmp_path: Path) -> None:
    assert invoke("golden", "init", "golden").exit_code == 0
    git(tmp_path / "golden", "tag", "latest")  # a second tag on v1.0.0's commit
    git(tmp_path, "clone", "-q", "--bare", "golden", "golden.git")
    url = f"file://{tmp_path}/golden.git"
    service = bundled_service(invoke, tmp_path, "--template", url, "--no-git")
    answers = yaml.safe_load((service / ANSWERS_FILE).read_text())
    assert answers["_src_path"] == url
    assert answers["_commit"] == "v1.0.0"  # a string, and the version tag, not `latest`
    assert renovate_dependency(answers) == (url, "v1.0.0")


@pytest.mark.parametrize(
    "recorded",
    [str(TEMPLATES), "/home/someone/src/scaffold/templates"],
    ids=["this-checkout", "another-machine"],
)
def test_check_still_reads_an_old_answers_file_with_an_absolute_path(
    invoke: Invoke, tmp_path: Path, recorded: str
) -> None:
    """Services generated before the rewrite record the checkout's path; they stay bundled."""
    service = bundled_service(invoke, tmp_path, "--no-git")
    rewrite_answers(service / ANSWERS_FILE, {"_src_path": recorded})
    assert yaml.safe_load((service / ANSWERS_FILE).read_text())["_src_path"] == recorded
    result = invoke("check", str(service))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"bundled templates {__version__}" in result.stdout


def test_a_fresh_bundled_service_passes_check(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("check", str(bundled_service(invoke, tmp_path, "--no-git")))
    assert result.exit_code == 0, result.stdout + result.stderr


def test_nothing_is_written_when_the_answers_cannot_be_rewritten(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(path: Path, changes: object) -> None:
        raise TemplateError(f"cannot rewrite {path} safely")

    monkeypatch.setattr("generator.template._copier.rewrite_answers", fail)
    result = invoke("new", "payments", "--lang", "go", "--defaults")
    assert result.exit_code == 3
    assert one_line_error(result.stderr)
    assert list(tmp_path.iterdir()) == []  # no service, no staging folder


ANSWERS = """\
# Written by scaffold (copier). Do not edit by hand.
# Second header line.
_src_path: /home/someone/templates
description: 'A long description that copier folded over two lines because it is longer
    than eighty columns'
recommendation:
    reasons:
    -   why: kept
language: go
service_name: payments
"""


def test_rewrite_answers_touches_only_the_named_entries(tmp_path: Path) -> None:
    path = tmp_path / ANSWERS_FILE
    path.write_text(ANSWERS)
    path.chmod(0o640)
    rewrite_answers(path, {"_src_path": None})
    assert path.read_text() == ANSWERS.replace("_src_path: /home/someone/templates\n", "")
    assert path.stat().st_mode & 0o777 == 0o640

    rewrite_answers(path, {"_src_path": "https://git.example.com/golden.git", "_commit": "v1.0.0"})
    text = path.read_text()
    head = text.splitlines()[:4]
    assert head[2:] == ["_commit: v1.0.0", "_src_path: https://git.example.com/golden.git"]
    assert text.replace("_commit: v1.0.0\n_src_path: https://git.example.com/golden.git\n", "") == (
        ANSWERS.replace("_src_path: /home/someone/templates\n", "")
    )
    answers = yaml.safe_load(text)
    assert renovate_dependency(answers) == ("https://git.example.com/golden.git", "v1.0.0")

    rewrite_answers(path, {"description": None, "recommendation": None})
    assert yaml.safe_load(path.read_text()) == {
        "_commit": "v1.0.0",
        "_src_path": "https://git.example.com/golden.git",
        "language": "go",
        "service_name": "payments",
    }
    assert [p.name for p in tmp_path.iterdir()] == [ANSWERS_FILE]  # no temporary files left


def test_rewrite_answers_refuses_a_file_that_is_no_mapping(tmp_path: Path) -> None:
    path = tmp_path / ANSWERS_FILE
    path.write_text("- a list\n")
    with pytest.raises(UsageError):
        rewrite_answers(path, {"_src_path": None})
    assert path.read_text() == "- a list\n"


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"_src_path": "https://github.com/acme/golden.git", "_commit": "v1.2.0"}, True),
        ({"_src_path": "git@github.com:acme/golden.git", "_commit": "v1.2.0"}, True),
        ({"_src_path": "/home/someone/templates", "_commit": "v1.2.0"}, False),
        ({"_src_path": "https://github.com/acme/golden.git"}, False),
        ({"template_version": "0.1.0"}, False),
    ],
)
def test_renovate_rule(answers: dict[str, Any], expected: bool) -> None:
    assert (renovate_dependency(answers) is not None) is expected
