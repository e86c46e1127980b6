"""One version rule everywhere: PEP 440 order, pre-releases ignored, chosen once, passed to copier.

And every check judges a service against the template version the service records.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from generator.template import newest, version_key
from tests.helpers import Invoke, git, release, replace_in


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["v1.0.0", "v1.1"], "v1.1"),
        (["v1.0.0", "v1.0.1", "v1.0.10", "v1.0.9"], "v1.0.10"),
        (["v1.0.0", "v2.0.0rc1", "v2.0.0.dev3"], "v1.0.0"),
        (["1.2.0", "v1.10.0"], "v1.10.0"),
        (["latest", "release-7", "v1.0.0"], "v1.0.0"),
        (["latest"], None),
        ([], None),
    ],
)
def test_newest_release_is_chosen_by_pep_440(tags: list[str], expected: str | None) -> None:
    assert newest(tags) == expected


def test_version_key_reads_a_leading_v_and_refuses_non_versions() -> None:
    assert version_key("v1.2.3") == version_key("1.2.3")
    assert version_key("main") is None


@pytest.fixture
def golden(invoke: Invoke, tmp_path: Path) -> Path:
    result = invoke("golden", "init", "golden")
    assert result.exit_code == 0, result.stderr
    return tmp_path / "golden"


def test_new_and_check_agree_on_the_newest_tag(invoke: Invoke, golden: Path) -> None:
    """v1.1 is newer than v1.0.0: the questions, the render and check all say so."""
    release(golden, "v1.1", {"copier.yml": ("default: platform-team", "default: ledger-team")})
    release(golden, "v2.0.0rc1", {"copier.yml": ("default: ledger-team", "default: rc-team")})
    result = invoke("new", "payments", "--template", str(golden), "--lang", "go", "--defaults")
    assert result.exit_code == 0, result.stderr
    service = golden.parent / "payments"
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.1"
    assert answers["owner"] == "ledger-team"  # the default of v1.1, the version rendered
    check = invoke("check", str(service))
    assert check.exit_code == 0, check.stdout + check.stderr
    assert "v1.1 is the newest version" in check.stdout


def test_check_runs_against_the_contract_of_the_recorded_version(
    invoke: Invoke, golden: Path
) -> None:
    """A platform team moved the binary in v1.0.1 and again in v1.1.0; a v1.0.1 service is
    checked against v1.0.1's contract: neither the bundled one nor the newest."""
    contract = "shared/contract.yml"
    release(golden, "v1.0.1", {contract: ("binary: bin/{name}", "binary: out/{name}")})
    result = invoke(
        "new", "payments", "--template", str(golden), "--lang", "go", "--defaults", "--no-git"
    )
    assert result.exit_code == 0, result.stderr
    release(golden, "v1.1.0", {contract: ("binary: out/{name}", "binary: dist/{name}")})

    service = golden.parent / "payments"
    ran = service / "RAN"
    for folder in ("bin", "out", "dist"):
        fake = service / folder / "payments"
        fake.parent.mkdir(exist_ok=True)
        fake.write_text(f"#!/bin/sh\necho {folder} >> '{ran}'\nexit 3\n")
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    check = invoke("check", str(service), "--run", "--no-build")
    assert check.exit_code & 8, check.stdout  # behind v1.1.0
    assert check.exit_code & 1, check.stdout  # the fake binary keeps no contract
    assert set(ran.read_text().split()) == {"out"}


def test_update_goes_to_the_newest_release_by_the_same_rule(invoke: Invoke, golden: Path) -> None:
    result = invoke("new", "payments", "--template", str(golden), "--lang", "go", "--defaults")
    assert result.exit_code == 0, result.stderr
    makefile = "go-gin/Makefile.jinja"
    release(golden, "v1.1", {makefile: ("\nbuild:", "\n# v1.1\nbuild:")})
    release(golden, "v1.0.9", {makefile: ("# v1.1\n", "# v1.0.9\n")})
    replace_in(golden / makefile, "# v1.0.9\n", "# v2 rc\n")
    git(golden, "commit", "-qam", "rc")
    git(golden, "tag", "v2.0.0rc1")
    update = invoke("update", str(golden.parent / "payments"))
    assert update.exit_code == 0, update.stdout + update.stderr
    assert "v1.0.0 -> v1.1;" in update.stdout
    assert "# v1.1" in (golden.parent / "payments" / "Makefile").read_text()
