"""`fleet status` on awkward fleets: unreadable entries, bundled-template services, hostile trees,
and the worker speed-ups, which must not change a single rendered byte."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from generator import NewOptions, new_service
from generator._git import git
from generator.fleet import fleet_status, load_fleet
from generator.lifecycle import init_golden
from tests.fleet.builders import commit_all, make_service_repo, write_fleet_file
from tests.helpers import Invoke

pytestmark = pytest.mark.slow


@pytest.fixture
def golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCAFFOLD_FLEET_CACHE", str(tmp_path / "cache"))
    return init_golden(tmp_path / "golden", "0.1.0")


def test_an_unreadable_service_is_reported_and_the_rest_still_are(
    invoke: Invoke, tmp_path: Path, golden: Path
) -> None:
    (tmp_path / "remotes").mkdir()
    (tmp_path / "work").mkdir()
    remote, _ = make_service_repo(golden, tmp_path / "remotes", tmp_path / "work", "pay", "go")
    not_a_service = tmp_path / "remotes" / "plain.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(not_a_service))
    fleet = write_fleet_file(
        tmp_path / "fleet.yml", [remote, tmp_path / "remotes" / "missing.git", not_a_service]
    )
    with (tmp_path / "fleet.yml").open("a") as extra:
        extra.write(f"  - {{repo: {remote}, branch: release, name: pay-release}}\n")
    result = invoke("fleet", "status", str(fleet), "--json", "--jobs", "2")
    assert result.exit_code == 1  # some could not be read
    services = json.loads(result.stdout)["services"]
    assert [s["name"] for s in services] == ["pay", "missing", "plain", "pay-release"]
    assert services[0]["error"] is None
    assert services[0]["version"] == "v1.0.0"
    assert "git ls-remote failed" in services[1]["error"]
    assert "no branch 'main'" in services[2]["error"]  # an empty repository has no branch yet
    assert "no branch 'release'" in services[3]["error"]
    table = invoke("fleet", "status", str(fleet))
    assert "1 services" not in table.stdout
    assert "4 services: 0 behind, 0 drifted, 3 unreadable" in table.stdout


def test_a_tree_that_links_outside_is_not_followed(tmp_path: Path, golden: Path) -> None:
    (tmp_path / "remotes").mkdir()
    (tmp_path / "work").mkdir()
    remote, checkout = make_service_repo(
        golden, tmp_path / "remotes", tmp_path / "work", "evil", "rust"
    )
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read\n")
    (checkout / "CONTRACT.md").unlink()
    (checkout / "CONTRACT.md").symlink_to(secret)  # a platform-owned file, linked out
    commit_all(checkout, "link out")
    fleet = load_fleet(write_fleet_file(tmp_path / "fleet.yml", [remote]))
    [status] = fleet_status(fleet, jobs=1).services
    assert status.error is not None
    assert "do not read" not in status.error


def test_a_service_from_the_bundled_templates(tmp_path: Path, golden: Path) -> None:
    checkout = tmp_path / "bundled"
    new_service(
        NewOptions(name="bundled", language="go", directory=checkout, defaults=True),
        progress=lambda _: None,
        show=lambda *_: None,
    )
    remote = tmp_path / "bundled.git"
    git(tmp_path, "clone", "-q", "--bare", str(checkout), str(remote))
    [status] = fleet_status(load_fleet(write_fleet_file(tmp_path / "f.yml", [remote]))).services
    assert status.source == "bundled"
    assert status.error is None
    assert status.drift == []
    assert status.behind is False


def test_the_speed_ups_render_the_same_bytes(tmp_path: Path, golden: Path) -> None:
    (tmp_path / "remotes").mkdir()
    (tmp_path / "work").mkdir()
    _, checkout = make_service_repo(golden, tmp_path / "remotes", tmp_path / "work", "s", "rust")
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from generator.conformance import recorded_source, render_platform_files\n"
        "from generator.fleet._speed import index_sync_is_a_no_op, speed_up_rendering\n"
        "from generator.template import Template, checked_out, load_service\n"
        "info = load_service(Path(sys.argv[1]))\n"
        "source = recorded_source(info)\n"
        "with checked_out(source) as d:\n"
        "    template = Template.load(d)\n"
        "    plain = render_platform_files(info, source, template)\n"
        "    speed_up_rendering()\n"
        "    with index_sync_is_a_no_op():\n"
        "        fast = [render_platform_files(info, source, template) for _ in range(2)]\n"
        "print(json.dumps([plain == f for f in fast] + [len(plain)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(checkout)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    *same, count = json.loads(out)
    assert same == [True, True]
    assert count > 40
