"""The platform team's whole loop over a fleet, as issue 15's done-when describes it.

A golden repository at v1.0.0; 32 services from it, each in its own repository with a bare
remote; some with local edits the update must keep, one with an edit that conflicts; then v1.1.0.
Status sees everyone behind; update pushes one branch per clean service and none for the
conflicting one, never touching main; a second run creates nothing; after the branches are merged
(and the conflict resolved by hand), status sees everyone current.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator._git import git
from generator.lifecycle import init_golden
from tests.fleet.builders import commit_all, make_fleet, write_fleet_file
from tests.helpers import Invoke, release, replace_in

pytestmark = pytest.mark.slow

SERVICES = 32
BRANCH = "scaffold/update-v1.1.0"
V110 = {
    "go-gin/Makefile.jinja": ("\nbuild:", "\n# platform v1.1.0\nbuild:"),
    "rust-axum/Makefile.jinja": ("\nbuild:", "\n# platform v1.1.0\nbuild:"),
}
KEPT = (1, 2, 7)  # services whose own README edit the update keeps
CONFLICTING = 5  # edits the Makefile lines v1.1.0 changes (and so drifted, too)
TEAM_NOTE = "\nOwned by the ledger team; see docs/runbook.md.\n"


def heads(remote: Path) -> dict[str, str]:
    out = git(remote, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads")
    return dict(line.split() for line in out.splitlines())


def status(invoke: Invoke, fleet: Path) -> dict[str, dict[str, object]]:
    result = invoke("fleet", "status", str(fleet), "--json", "--jobs", "2")
    assert result.exit_code == 0, result.stderr
    return {s["name"]: s for s in json.loads(result.stdout)["services"]}


def test_a_fleet_moves_from_v1_0_0_to_v1_1_0(  # noqa: PLR0915 - one story, told in order
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCAFFOLD_FLEET_CACHE", str(tmp_path / "cache"))
    golden = init_golden(tmp_path / "golden", "0.1.0")
    made = make_fleet(golden, tmp_path, SERVICES)
    names = [f"svc-{i:03d}" for i in range(SERVICES)]
    for i in KEPT:
        readme = made[i][1] / "README.md"
        readme.write_text(readme.read_text() + TEAM_NOTE)
        commit_all(made[i][1], "docs: who owns it")
    conflicting = made[CONFLICTING][1]
    replace_in(conflicting / "Makefile", "\nbuild:", "\n# ledger: keep builds reproducible\nbuild:")
    commit_all(conflicting, "build: a note")
    fleet = write_fleet_file(tmp_path / "fleet.yml", [remote for remote, _ in made])
    release(golden, "v1.1.0", V110)
    before = {name: heads(remote) for name, (remote, _) in zip(names, made, strict=True)}

    # status: everyone behind; only the conflicting service drifted (its Makefile)
    seen = status(invoke, fleet)
    assert list(seen) == names
    assert all(s["behind"] and s["version"] == "v1.0.0" for s in seen.values())
    assert all(s["latest"] == "v1.1.0" and s["proposed"] is None for s in seen.values())
    drifted = {name: s["drift"] for name, s in seen.items() if s["drift"]}
    assert drifted == {names[CONFLICTING]: ["Makefile"]}
    assert {s["language"] for s in seen.values()} == {"go", "rust"}

    # update: one branch per clean service, none for the conflicting one, main untouched
    result = invoke("fleet", "update", str(fleet), "--to", "v1.1.0", "--json", "--jobs", "2")
    assert result.exit_code == 1, result.stderr  # one conflict
    outcomes = {s["name"]: s for s in json.loads(result.stdout)["services"]}
    assert outcomes[names[CONFLICTING]]["outcome"] == "conflict"
    assert outcomes[names[CONFLICTING]]["files"] == ["Makefile"]
    clean = [name for name in names if name != names[CONFLICTING]]
    assert all(outcomes[name]["outcome"] == "updated" for name in clean)
    for name, (remote, _) in zip(names, made, strict=True):
        now = heads(remote)
        assert now["main"] == before[name]["main"], f"{name}: main was written"
        assert (BRANCH in now) == (name != names[CONFLICTING]), name
    for i in KEPT:
        remote = made[i][0]
        assert TEAM_NOTE in git(remote, "show", f"{BRANCH}:README.md")
        assert "# platform v1.1.0" in git(remote, "show", f"{BRANCH}:Makefile")
        assert "README.md" in outcomes[names[i]]["kept"]
        assert "- `README.md`" in git(remote, "log", "-1", "--format=%B", BRANCH)
    assert outcomes[names[0]]["kept"] == []
    assert "Makefile" in outcomes[names[0]]["files"]

    # a second run creates nothing new
    pushed = {name: heads(remote) for name, (remote, _) in zip(names, made, strict=True)}
    again = invoke("fleet", "update", str(fleet), "--to", "v1.1.0", "--json", "--jobs", "2")
    assert again.exit_code == 1
    repeat = {s["name"]: s["outcome"] for s in json.loads(again.stdout)["services"]}
    assert repeat == dict.fromkeys(clean, "proposed") | {names[CONFLICTING]: "conflict"}
    assert pushed == {name: heads(remote) for name, (remote, _) in zip(names, made, strict=True)}
    assert all(s["proposed"] == BRANCH for n, s in status(invoke, fleet).items() if n in clean)

    # merge every branch; resolve the conflict by hand with `scaffold update`; all current
    for name, (remote, _) in zip(names, made, strict=True):
        if name != names[CONFLICTING]:
            git(remote, "update-ref", "refs/heads/main", f"refs/heads/{BRANCH}")
    updated = invoke("update", str(conflicting), "--to", "v1.1.0")
    assert updated.exit_code == 1
    assert "CONFLICT Makefile" in updated.stdout
    makefile = (conflicting / "Makefile").read_text()
    lines = [
        line
        for line in makefile.splitlines(keepends=True)
        if line[:7] not in {"<<<<<<<", "=======", ">>>>>>>"}
    ]
    (conflicting / "Makefile").write_text("".join(lines))
    commit_all(conflicting, "Update to template v1.1.0")
    final = status(invoke, fleet)
    assert not any(s["behind"] for s in final.values()), final
    assert all(s["version"] == "v1.1.0" and s["proposed"] is None for s in final.values())
    assert [n for n, s in final.items() if s["drift"]] == [names[CONFLICTING]]  # its own note
