"""The interactive flow, driven on a real pseudo-terminal with pexpect."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest
import yaml

from generator.recommender import TRAITS
from tests.conftest import ROOT, snapshot

DOWN = "\x1b[B"
ENTER = "\r"
CLEAR_LINE = "\x15"  # Ctrl-U: discard the pre-filled default


def spawn(cwd: Path, *args: str) -> pexpect.spawn:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "TERM": "xterm",
        "NO_COLOR": "1",
    }
    return pexpect.spawn(
        sys.executable,
        ["-m", "generator", *args],
        cwd=str(cwd),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 160),
    )


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None
    return int(child.exitstatus)


def test_recommend_then_generate(tmp_path: Path) -> None:
    child = spawn(tmp_path, "new", "fraud-scoring", "--no-git")
    child.expect_exact("Language of the service?")
    child.send(ENTER)  # "Recommend for me" is the first choice
    for trait in TRAITS.values():
        child.expect_exact(trait.question)
        if trait.name in {"latency", "workload"}:
            # the cursor starts on the default; move to the most demanding value
            child.send(DOWN * (len(trait.values) - 1 - trait.values.index(trait.default)))
        child.send(ENTER)
    child.expect_exact("Use the recommended language?")
    child.send(ENTER)  # accept
    for prompt in (
        "One-line description",
        "Owning team",
        "Backstage system",
        "GitHub organization",
        "Default of the PORT",
    ):
        child.expect_exact(prompt)  # accept the defaults
        child.send(ENTER)
    child.expect_exact("Created fraud-scoring")
    assert finish(child) == 0
    recorded = yaml.safe_load((tmp_path / "fraud-scoring" / ".copier-answers.yml").read_text())
    assert recorded["language"] == "rust"
    assert recorded["traits"]["latency"] == "ultra"
    assert recorded["traits"]["workload"] == "cpu"
    assert recorded["recommendation"]["language"] == "rust"
    assert recorded["language_override"] is False
    adr = (tmp_path / "fraud-scoring" / "docs" / "adr" / "0001-language-choice.md").read_text()
    assert "latency" in adr


def test_override_is_recorded(tmp_path: Path) -> None:
    child = spawn(
        tmp_path,
        "new",
        "billing",
        "--no-git",
        "--trait",
        "latency=ultra",
        "--trait",
        "workload=cpu",
        "--trait",
        "memory=tight",
    )
    # traits given on the command line are not asked again
    for trait in TRAITS.values():
        if trait.name in {"latency", "workload", "memory"}:
            continue
        child.expect_exact(trait.question)
        child.send(ENTER)
    child.expect_exact("Use the recommended language?")
    child.send(DOWN + ENTER)  # override: Go
    for prompt in (
        "One-line description",
        "Owning team",
        "Backstage system",
        "GitHub organization",
        "Go module path",
        "Default of the PORT",
    ):
        child.expect_exact(prompt)
        child.send(ENTER)
    child.expect_exact("Created billing")
    assert finish(child) == 0
    recorded = yaml.safe_load((tmp_path / "billing" / ".copier-answers.yml").read_text())
    assert recorded["language"] == "go"
    assert recorded["recommendation"]["language"] == "rust"
    assert recorded["language_override"] is True


def test_prompt_validation_lets_the_user_fix_a_value(tmp_path: Path) -> None:
    child = spawn(tmp_path, "new", "ledger", "--no-git")
    child.expect_exact("Language of the service?")
    child.send(DOWN + DOWN + ENTER)  # Rust (axum)
    child.expect_exact("One-line description")
    child.send(ENTER)
    child.expect_exact("Owning team")
    child.send(CLEAR_LINE + "Bad Team" + ENTER)
    child.expect_exact("must be lowercase")
    child.send(CLEAR_LINE + "ledger-team" + ENTER)
    for prompt in ("Backstage system", "GitHub organization"):
        child.expect_exact(prompt)
        child.send(ENTER)
    child.expect_exact("Default of the PORT")
    child.send(CLEAR_LINE + "99999" + ENTER)
    child.expect_exact("between 1 and 65535")
    child.send(CLEAR_LINE + "9000" + ENTER)
    child.expect_exact("Created ledger")
    assert finish(child) == 0
    recorded = yaml.safe_load((tmp_path / "ledger" / ".copier-answers.yml").read_text())
    assert (recorded["language"], recorded["owner"], recorded["port"]) == (
        "rust",
        "ledger-team",
        9000,
    )


@pytest.mark.parametrize("stage", ["language", "trait", "question"])
def test_ctrl_c_leaves_nothing_behind(tmp_path: Path, stage: str) -> None:
    child = spawn(tmp_path, "new", "payments")
    child.expect_exact("Language of the service?")
    if stage == "trait":
        child.send(ENTER)
        child.expect_exact(next(iter(TRAITS.values())).question)
    elif stage == "question":
        child.send(DOWN + ENTER)  # Go
        child.expect_exact("One-line description")
    child.sendcontrol("c")
    assert finish(child) == 130
    assert snapshot(tmp_path) == []
