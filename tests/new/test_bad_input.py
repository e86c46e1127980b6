"""`scaffold new` with careless input: one line, a distinct exit code, and nothing left behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT, Invoke, one_line_error, snapshot


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lang", "go", "--data", "language=rust"], "contradictory answers"),
        (["--lang", "go", "--owner", "a", "--data", "owner=b"], "contradictory answers"),
        (["--lang", "go", "--data", "owner=a", "--data", "owner=b"], "contradictory answers"),
        (["--lang", "go", "--module", "example.com/a/b\n"], "go_module"),
        (["--lang", "go", "--module", "example.com/a/.."], "dot"),
        (["--lang", "go", "--module", "example.com/con/x"], "Windows"),
        (["--lang", "go", "--module", "example.com/a/v1"], "/vN"),
        (["--lang", "go", "--module", "nodot/a"], "domain name"),
        (["--lang", "go", "--owner", "team\n"], "owner"),
        (["--lang", "go", "--owner", "con"], "Windows"),
        (["--lang", "rust", "--description", "two\nlines"], "one line"),
        (["--lang", "go", "--description", "bell\x07"], "printable"),
    ],
)
def test_contradictory_and_unbuildable_answers_exit_2(
    invoke: Invoke, tmp_path: Path, args: list[str], message: str
) -> None:
    result = invoke("new", "payments", "--defaults", "--no-git", *args)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert one_line_error(result.stderr), result.stderr
    assert snapshot(tmp_path) == []


def test_the_same_answer_twice_is_fine(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(
        "new", "payments", "--lang", "go", "--defaults", "--no-git",
        "--data", "language=go", "--owner", "a", "--data", "owner=a",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr


def test_descriptions_in_any_script_render_valid_manifests(invoke: Invoke, tmp_path: Path) -> None:
    import tomllib

    description = 'Rocket 🚀 "quoted" \\ back-slashed, naïve, 日本語'
    result = invoke(
        "new", "payments", "--lang", "rust", "--defaults", "--no-git", "--description", description
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    manifest = tomllib.loads((tmp_path / "payments" / "Cargo.toml").read_text())
    assert manifest["package"]["description"] == description


@pytest.mark.parametrize(
    ("directory", "message"),
    [
        ("~nosuchuser-scaffold/payments", "no such user"),
        ("y" * 300 + "/payments", "File name too long"),
        ("/proc/payments", "cannot write in /proc"),
    ],
)
def test_unusable_directories_are_one_line(
    invoke: Invoke, tmp_path: Path, directory: str, message: str
) -> None:
    result = invoke("new", "payments", "--lang", "go", "--defaults", "--dir", directory)
    assert result.exit_code == 2
    assert message in result.stderr
    assert one_line_error(result.stderr), result.stderr
    assert snapshot(tmp_path) == []


def scaffold(*args: str) -> list[str]:
    return [sys.executable, "-m", "generator", *args]


def test_a_read_only_mount_is_one_line(tmp_path: Path) -> None:
    """A real read-only bind mount, made in a private mount namespace."""
    readonly = tmp_path / "ro"
    readonly.mkdir()
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False)
    if shutil.which("unshare") is None or probe.returncode != 0:
        if os.environ.get("SCAFFOLD_REQUIRE_TOOLCHAINS"):
            pytest.fail("needs unshare with user namespaces to make a read-only mount")
        pytest.skip("needs unshare with user namespaces to make a read-only mount")
    new = scaffold("new", "payments", "--lang", "go", "--defaults", "--no-git")
    command = " ".join(
        [f"mount --bind -o ro {readonly} {readonly} && exec", *new, "--dir", str(readonly / "p")]
    )
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", command],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 2, result.stderr
    assert "Read-only file system" in result.stderr
    assert one_line_error(result.stderr), result.stderr
    assert list(readonly.iterdir()) == []  # the mount is gone with its namespace: still empty


def test_concurrent_runs_into_one_directory_leave_the_winner_intact(tmp_path: Path) -> None:
    runs = [
        subprocess.Popen(
            scaffold("new", "payments", "--lang", "go", "--defaults", "--no-git"),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outcomes = [(run.wait(timeout=120), run.communicate()[1]) for run in runs]
    codes = sorted(code for code, _ in outcomes)
    assert codes == [0, 2, 2, 2], outcomes
    for code, stderr in outcomes:
        if code == 2:
            assert one_line_error(stderr), stderr
            assert "payments" in stderr
    service = tmp_path / "payments"
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers["service_name"] == "payments"
    assert (service / "go.mod").is_file()
    assert snapshot(tmp_path) == ["payments", *(f"payments/{p}" for p in snapshot(service))]


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGHUP, 129)],
)
def test_signals_during_new_leave_nothing_behind(tmp_path: Path, signum: int, code: int) -> None:
    run = subprocess.Popen(
        scaffold("new", "payments", "--lang", "rust", "--defaults"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".payments.scaffold-*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert list(tmp_path.glob(".payments.scaffold-*")), "the staging folder never appeared"
    run.send_signal(signum)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == code, stderr
    assert "interrupted; nothing was written" in stderr
    assert snapshot(tmp_path) == []


def test_stale_staging_folders_are_removed(invoke: Invoke, tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f".payments.scaffold-{dead.pid}-abc123"
    (stale / "payments").mkdir(parents=True)
    running = subprocess.Popen(["sleep", "60"])
    live = tmp_path / f".payments.scaffold-{running.pid}-def456"
    live.mkdir()
    try:
        result = invoke("new", "payments", "--lang", "go", "--defaults", "--no-git")
    finally:
        running.kill()
        running.wait()
    assert result.exit_code == 0, result.stderr
    assert not stale.exists()
    assert live.is_dir()  # its process still runs: maybe a concurrent `scaffold new`


def test_next_line_quotes_the_path_for_the_shell(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(
        "new", "payments", "--lang", "go", "--defaults", "--no-git", "--dir", "my dir/pay'ments"
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Next: cd 'my dir/pay'\"'\"'ments' && make build test lint run" in result.stdout
