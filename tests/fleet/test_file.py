"""The fleet file: every bad entry is refused with its position, before any repository is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import UsageError
from generator.fleet import Entry, load_fleet


def fleet(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.yml"
    path.write_text(text)
    return path


def test_entries_with_defaults_and_overrides(tmp_path: Path) -> None:
    loaded = load_fleet(
        fleet(
            tmp_path,
            "services:\n"
            "  - repo: git@github.com:acme/payments.git\n"
            "  - {repo: https://git.example.com/acme/ledger, branch: trunk, name: ledger2,"
            " owner: team-l}\n"
            "  - repo: repos/local.git\n"
            "  - ssh://git@ghe.example.com/acme/audit.git\n",
        )
    )
    assert loaded.services == (
        Entry("git@github.com:acme/payments.git"),
        Entry("https://git.example.com/acme/ledger", "trunk", "ledger2", "team-l"),
        Entry(str(tmp_path / "repos/local.git")),  # relative to the fleet file
        Entry("ssh://git@ghe.example.com/acme/audit.git"),
    )
    assert [e.label for e in loaded.services] == ["payments", "ledger2", "local", "audit"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("services: []\n", "lists no services"),
        ("services: {}\n", "has no services: list"),
        ("- repo: x\n", "has no services: list"),
        ("services:\n  - branch: main\n", "entry 1 has no repo:"),
        ("services:\n  - repo: a\n  - 42\n", "entry 2 is not a mapping"),
        ("services:\n  - repo: a\n    colour: red\n", "entry 1 has unknown field 'colour'"),
        ("services:\n  - repo: a\n    branch: 7\n", "entry 1: branch must be a non-empty string"),
        ("services:\n  - repo: --upload-pack=touch:x\n", "entry 1 repo"),
        ("services:\n  - repo: a\n    branch: '-x'\n", "entry 1 branch"),
        ("services:\n  - repo: a\n    branch: 'a..b'\n", "entry 1 branch"),
        ("services:\n  - repo: a\n    name: '../x'\n", "entry 1: name '../x'"),
        ("services:\n  - repo: /r/a.git\n  - {repo: /r/a.git, name: b}\n", "entries 1 and 2"),
        ("services:\n  - repo: /r/a.git\n  - repo: /s/a.git\n", "'a' is listed twice"),
        ("services: [\n", "is not valid YAML"),
    ],
)
def test_bad_entries_are_refused_by_position(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        load_fleet(fleet(tmp_path, text))
    assert message in raised.value.message
    assert raised.value.exit_code == 2
    assert "\n" not in raised.value.one_line()


def test_a_missing_fleet_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such fleet file"):
        load_fleet(tmp_path / "nope.yml")


def test_select_by_name_repo_or_comma_list(tmp_path: Path) -> None:
    loaded = load_fleet(
        fleet(tmp_path, "services:\n  - /r/a.git\n  - /r/b.git\n  - {repo: /r/c.git, name: cee}\n")
    )
    assert [e.label for e in loaded.select([])] == ["a", "b", "cee"]
    assert [e.label for e in loaded.select(["cee,a"])] == ["a", "cee"]  # file order
    assert [e.label for e in loaded.select(["/r/b.git"])] == ["b"]
    with pytest.raises(UsageError, match="--only zed: no service"):
        loaded.select(["a", "zed"])
