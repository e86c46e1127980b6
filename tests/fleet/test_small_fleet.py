"""A two-service fleet in the test's own process (`--jobs 1`): the whole status -> update ->
status loop through the CLI, fast enough for every run of the unit tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator._git import git
from generator.lifecycle import init_golden
from tests.fleet.builders import make_fleet, write_fleet_file
from tests.helpers import Invoke, release

V110 = {
    "go-gin/Makefile.jinja": ("\nbuild:", "\n# platform v1.1.0\nbuild:"),
    "rust-axum/Makefile.jinja": ("\nbuild:", "\n# platform v1.1.0\nbuild:"),
}


def test_status_update_status_in_process(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCAFFOLD_FLEET_CACHE", str(tmp_path / "cache"))
    golden = init_golden(tmp_path / "golden", "0.1.0")
    made = make_fleet(golden, tmp_path, 2)
    fleet = write_fleet_file(tmp_path / "fleet.yml", [remote for remote, _ in made])
    release(golden, "v1.1.0", V110)

    table = invoke("fleet", "status", str(fleet), "--jobs", "1", "--html", "fleet.html")
    assert table.exit_code == 0, table.stderr
    assert "2 services: 2 behind, 0 drifted, 0 unreadable" in table.stdout
    assert "[2/2] svc-001: behind (v1.0.0 -> v1.1.0)" in table.stderr  # a line each off a tty
    assert "<svg" in (tmp_path / "fleet.html").read_text()

    dry = invoke("fleet", "update", str(fleet), "--to", "v1.1.0", "--jobs", "1", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "v1.1.0: 2 would-update" in dry.stdout
    update = invoke("fleet", "update", str(fleet), "--to", "v1.1.0", "--jobs", "1", "--json")
    assert update.exit_code == 0, update.stderr
    services = json.loads(update.stdout)["services"]
    assert [s["outcome"] for s in services] == ["updated", "updated"]
    assert all("Makefile" in s["files"] for s in services)
    for remote, _ in made:
        assert "scaffold/update-v1.1.0" in git(remote, "branch")

    again = invoke("fleet", "status", str(fleet), "--jobs", "1", "--json")
    seen = json.loads(again.stdout)["services"]
    assert [s["proposed"] for s in seen] == ["scaffold/update-v1.1.0"] * 2
    assert [s["behind"] for s in seen] == [True, True]  # until the branches are merged
