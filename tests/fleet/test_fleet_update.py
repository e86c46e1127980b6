"""`fleet update` details: waves walk the fleet, dry runs push nothing, the GitHub forge opens one
pull request per service (against a local fake of GitHub's REST API) and resumes a stopped run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator._git import git
from generator.lifecycle import init_golden
from tests.fleet.builders import make_service_repo, write_fleet_file
from tests.fleet.fake_github import FakeGitHub
from tests.helpers import Invoke, release

pytestmark = pytest.mark.slow

BRANCH = "scaffold/update-v1.1.0"
V110 = {
    "go-gin/Makefile.jinja": ("\nbuild:", "\n# platform v1.1.0\nbuild:"),
    "rust-axum/Makefile.jinja": ("\nbuild:", "\n# platform v1.1.0\nbuild:"),
}


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[Path]]:
    """Four services (remotes under .../acme/, as on a forge) and a golden v1.1.0."""
    monkeypatch.setenv("SCAFFOLD_FLEET_CACHE", str(tmp_path / "cache"))
    golden = init_golden(tmp_path / "golden", "0.1.0")
    remotes, work = tmp_path / "git" / "acme", tmp_path / "work"
    remotes.mkdir(parents=True)
    work.mkdir()
    made = [
        make_service_repo(golden, remotes, work, f"svc-{i}", ("go", "rust")[i % 2])[0]
        for i in range(4)
    ]
    release(golden, "v1.1.0", V110)
    return write_fleet_file(tmp_path / "fleet.yml", made), made


def branches(remote: Path) -> list[str]:
    return git(remote, "for-each-ref", "--format=%(refname:short)", "refs/heads").split()


def outcomes(stdout: str) -> dict[str, str]:
    return {s["name"]: s["outcome"] for s in json.loads(stdout)["services"]}


def test_waves_walk_the_fleet_in_file_order(invoke: Invoke, fleet: tuple[Path, list[Path]]) -> None:
    path, remotes = fleet
    dry = invoke("fleet", "update", str(path), "--to", "v1.1.0", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert set(outcomes(dry.stdout).values()) == {"would-update"}
    assert all(branches(remote) == ["main"] for remote in remotes)  # a dry run pushes nothing

    first = invoke("fleet", "update", str(path), "--to", "v1.1.0", "--wave", "50%", "--json")
    assert first.exit_code == 0, first.stderr
    assert outcomes(first.stdout) == {"svc-0": "updated", "svc-1": "updated"}
    assert [BRANCH in branches(remote) for remote in remotes] == [True, True, False, False]

    second = invoke("fleet", "update", str(path), "--to", "v1.1.0", "--wave", "50%", "--json")
    assert outcomes(second.stdout) == {
        "svc-0": "proposed",
        "svc-1": "proposed",
        "svc-2": "updated",
        "svc-3": "updated",
    }
    third = invoke("fleet", "update", str(path), "--to", "v1.1.0", "--wave", "1")
    assert third.exit_code == 0
    assert "v1.1.0: 4 proposed" in third.stdout
    assert all(branches(remote) == ["main", BRANCH] for remote in remotes)


def test_the_github_forge_opens_one_pull_request_each_and_resumes(
    invoke: Invoke, fleet: tuple[Path, list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, remotes = fleet
    with FakeGitHub(token="ghs_test") as github:
        monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
        monkeypatch.setenv("GITHUB_API_URL", github.api_url)
        # A run that stops after pushing svc-0's branch, before its pull request.
        github.fail_next(502, "Server Error")
        args = ("fleet", "update", str(path), "--to", "v1.1.0", "--forge", "github", "--json")
        first = invoke(*args, "--only", "svc-0")
        assert first.exit_code == 1
        assert outcomes(first.stdout) == {"svc-0": "failed"}
        assert BRANCH in branches(remotes[0])
        assert github.pulls("acme/svc-0") == []

        result = invoke(*args)
        assert result.exit_code == 0, result.stderr
        assert set(outcomes(result.stdout).values()) == {"updated"}
        for i in range(4):
            pulls = github.pulls(f"acme/svc-{i}")
            assert len(pulls) == 1
            assert pulls[0]["head"]["ref"] == BRANCH
            assert pulls[0]["base"]["ref"] == "main"
            assert "v1.1.0" in pulls[0]["title"]
        body = github.pulls("acme/svc-1")[0]["body"]
        assert "### Template changes" in body
        assert "- `Makefile`" in body
        posts = [r for r in github.requests if r.method == "POST"]
        assert all(r.headers["authorization"] == "Bearer ghs_test" for r in posts)

        again = invoke(*args)
        assert again.exit_code == 0
        assert set(outcomes(again.stdout).values()) == {"proposed"}
        assert len([r for r in github.requests if r.method == "POST"]) == len(posts)
        assert "ghs_test" not in again.stdout + again.stderr + result.stdout + result.stderr
