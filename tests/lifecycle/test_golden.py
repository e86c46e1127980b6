"""Golden templates that evolve: golden init, new --template, check (behind/drift), update."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import (
    LANGUAGES,
    Invoke,
    git,
    make,
    release,
    require_tools,
    snapshot,
    tool_env,
)


def release_platform_v1_1(golden: Path, language: str) -> None:
    """Release v1.1.0: the platform team changes the Makefile and Dockerfile of `language`."""
    sub = {"go": "go-gin", "rust": "rust-axum"}[language]
    release(
        golden,
        "v1.1.0",
        {
            f"{sub}/Makefile.jinja": ("\nbuild:", "\n# platform v1.1.0\nbuild:"),
            f"{sub}/Dockerfile.jinja": ("FROM ", "# hardened in v1.1.0\nFROM "),
        },
    )


def files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}


def edit(service: Path, name: str, old: str, new: str) -> None:
    path = service / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def golden(invoke: Invoke, tmp_path: Path) -> Path:
    result = invoke("golden", "init", "golden")
    assert result.exit_code == 0, result.stderr
    return tmp_path / "golden"


def new_service(invoke: Invoke, golden: Path, language: str, name: str = "payments") -> Path:
    result = invoke("new", name, "--template", str(golden), "--lang", language, "--defaults")
    assert result.exit_code == 0, result.stderr
    return golden.parent / name


def test_golden_init_creates_a_tagged_template_repository(golden: Path, invoke: Invoke) -> None:
    assert git(golden, "tag", "--list").split() == ["v1.0.0"]
    assert git(golden, "status", "--porcelain") == ""
    for name in (
        "copier.yml",
        "README.md",
        "shared/contract.yml",
        "shared/ownership.yml",
        "go-gin",
        "rust-axum",
        ".github/workflows/templates.yml",
        ".github/workflows/fleet.yml",
        "fleet.yml",
    ):
        assert (golden / name).exists(), name
    assert "scaffold smoke" in (golden / ".github/workflows/templates.yml").read_text()
    assert "scaffold update" in (golden / "README.md").read_text()
    again = invoke("golden", "init", "golden")
    assert again.exit_code == 2
    assert "not empty" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def test_golden_workflows_pass_actionlint(golden: Path, actionlint: Path) -> None:
    result = subprocess.run(
        [actionlint, ".github/workflows/templates.yml", ".github/workflows/fleet.yml"],
        cwd=golden,
        capture_output=True,
        text=True,
        check=False,
        env=tool_env(),
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("language", LANGUAGES)
def test_new_from_golden_records_source_and_version(
    invoke: Invoke, golden: Path, language: str
) -> None:
    service = new_service(invoke, golden, language)
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == str(golden)
    assert answers["_commit"] == "v1.0.0"
    result = invoke("check", str(service))
    assert result.exit_code == 0, result.stdout
    assert "v1.0.0 is the newest" in result.stdout


@pytest.mark.parametrize("language", LANGUAGES)
def test_behind_then_update_keeps_local_edits(invoke: Invoke, golden: Path, language: str) -> None:
    service = new_service(invoke, golden, language)
    edit(service, "README.md", "payments", "payments (owned by the ledger squad)")
    git(service, "commit", "-qam", "service team edit")

    release_platform_v1_1(golden, language)
    behind = invoke("check", str(service), "--json")
    assert behind.exit_code == 8, behind.stdout
    report = yaml.safe_load(behind.stdout)
    assert [r["item"] for r in report["results"] if not r["passed"]] == ["template.version"]

    updated = invoke("update", str(service))
    assert updated.exit_code == 0, updated.stdout + updated.stderr
    assert "v1.0.0 -> v1.1.0" in updated.stdout
    assert "# platform v1.1.0" in (service / "Makefile").read_text()
    assert "# hardened in v1.1.0" in (service / "Dockerfile").read_text()
    assert "owned by the ledger squad" in (service / "README.md").read_text()
    git(service, "commit", "-qam", "update to v1.1.0")
    after = invoke("check", str(service))
    assert after.exit_code == 0, after.stdout


def test_conflicting_template_change_leaves_markers(invoke: Invoke, golden: Path) -> None:
    service = new_service(invoke, golden, "go")
    readme = (service / "README.md").read_text().splitlines()
    first = readme[0]
    edit(service, "README.md", first, first + " — service team's title")
    git(service, "commit", "-qam", "retitle")
    template_readme = "go-gin/README.md.jinja"
    template_first = (golden / template_readme).read_text().splitlines()[0]
    release(golden, "v1.1.0", {template_readme: (template_first, template_first + " (platform)")})
    main_go_before = {p: p.read_text() for p in service.rglob("*.go")}

    result = invoke("update", str(service))
    assert result.exit_code == 1
    assert "CONFLICT README.md" in result.stdout
    assert "README.md" in result.stderr
    text = (service / "README.md").read_text()
    assert "<<<<<<< " in text
    assert "=======" in text
    assert ">>>>>>> " in text
    assert "service team's title" in text
    assert "(platform)" in text
    assert {p: p.read_text() for p in service.rglob("*.go")} == main_go_before


def test_hand_edited_platform_file_is_drift(invoke: Invoke, golden: Path) -> None:
    service = new_service(invoke, golden, "rust")
    edit(service, "Dockerfile", "FROM ", "# local hack\nFROM ")
    result = invoke("check", str(service))
    assert result.exit_code == 16
    assert "drifted: Dockerfile" in result.stdout
    assert "+# local hack" in result.stdout


def test_bundled_services_get_the_drift_check(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("new", "payments", "--lang", "go", "--defaults")
    assert result.exit_code == 0
    service = tmp_path / "payments"
    assert invoke("check", str(service)).exit_code == 0
    edit(service, "CONTRACT.md", "# Platform contract", "# Our contract")
    drifted = invoke("check", str(service), "--json")
    assert drifted.exit_code == 16
    assert "CONTRACT.md" in drifted.stdout


@pytest.mark.parametrize(
    ("language", "platform_file", "app_file"),
    [
        ("go", "internal/platform/httpserver/server.go", "internal/app/hello.go"),
        ("rust", "src/platform/http/observe.rs", "src/app/hello.rs"),
    ],
)
def test_platform_code_is_drift_checked_and_team_code_is_not(
    invoke: Invoke, tmp_path: Path, language: str, platform_file: str, app_file: str
) -> None:
    result = invoke("new", "payments", "--lang", language, "--defaults")
    assert result.exit_code == 0, result.stderr
    service = tmp_path / "payments"
    # The team's own code is theirs: changing it is not drift.
    edit(service, app_file, "hello", "greeting")
    (service / Path(app_file).with_name("orders" + Path(app_file).suffix)).write_text("// ours\n")
    assert invoke("check", str(service)).exit_code == 0
    # An edit in the platform's directory is drift, and so is a file added there.
    edit(service, platform_file, "\n", "\n// local hack\n")
    added = Path(platform_file).with_name("extra" + Path(platform_file).suffix).as_posix()
    (service / added).write_text("// ours\n")
    drifted = invoke("check", str(service))
    assert drifted.exit_code == 16
    assert f"drifted: {added}, {platform_file}" in drifted.stdout  # in path order
    assert "+// local hack" in drifted.stdout


@pytest.mark.parametrize("language", ["go", "rust"])
def test_the_deploy_base_is_the_platforms_and_the_overlays_are_the_teams(
    invoke: Invoke, tmp_path: Path, language: str
) -> None:
    result = invoke("new", "payments", "--lang", language, "--defaults")
    assert result.exit_code == 0, result.stderr
    service = tmp_path / "payments"
    # What a team tunes for its own service is theirs.
    for team_file in (
        "deploy/overlays/prod/kustomization.yaml",
        "compose.yaml",
        "catalog-info.yaml",
        "renovate.json",
    ):
        with (service / team_file).open("a", encoding="utf-8") as out:
            out.write("\n" if team_file.endswith(".json") else "# ours\n")
    assert invoke("check", str(service)).exit_code == 0
    # The base every service runs the same way, and the local collector's config, are not.
    edit(
        service,
        "deploy/base/deployment.yaml",
        "readOnlyRootFilesystem: true",
        "readOnlyRootFilesystem: false",
    )
    edit(service, "deploy/local/otel-collector.yaml", "\n", "\n# ours\n")
    drifted = invoke("check", str(service))
    assert drifted.exit_code == 16
    assert (
        "drifted: deploy/base/deployment.yaml, deploy/local/otel-collector.yaml" in drifted.stdout
    )


def test_update_refuses_dirty_trees_and_non_services(invoke: Invoke, golden: Path) -> None:
    service = new_service(invoke, golden, "go")
    release(golden, "v1.1.0", {"go-gin/Makefile.jinja": ("\nbuild:", "\n# v1.1.0\nbuild:")})
    (service / "notes.txt").write_text("wip")
    before = snapshot(service)
    dirty = invoke("update", str(service))
    assert dirty.exit_code == 2
    assert "uncommitted changes" in dirty.stderr
    assert len(dirty.stderr.strip().splitlines()) == 1
    assert snapshot(service) == before
    assert "# v1.1.0" not in (service / "Makefile").read_text()

    stranger = golden.parent / "stranger"
    stranger.mkdir()
    not_ours = invoke("update", str(stranger))
    assert not_ours.exit_code == 2
    assert "not a scaffold service" in not_ours.stderr


def test_dry_run_changes_nothing(invoke: Invoke, golden: Path) -> None:
    service = new_service(invoke, golden, "go")
    release(golden, "v1.1.0", {"go-gin/Makefile.jinja": ("\nbuild:", "\n# v1.1.0\nbuild:")})
    head = git(service, "rev-parse", "HEAD")
    before = {
        p: p.read_bytes() for p in service.rglob("*") if p.is_file() and ".git" not in p.parts
    }
    result = invoke("update", str(service), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "+# v1.1.0" in result.stdout
    assert "would change" in result.stdout
    assert files(service) == before
    assert git(service, "rev-parse", "HEAD") == head
    assert git(service, "status", "--porcelain") == ""


def test_bundled_services_cannot_be_updated(invoke: Invoke, tmp_path: Path) -> None:
    assert invoke("new", "payments", "--lang", "go", "--defaults").exit_code == 0
    result = invoke("update", str(tmp_path / "payments"))
    assert result.exit_code == 2
    assert "bundled templates" in result.stderr
    assert "scaffold update --template" in result.stderr  # the way onto a golden repository


HANDLERS = {"go": "internal/app/hello.go", "rust": "src/app/hello.rs"}


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
def test_full_rollout_keeps_service_edits_and_still_builds(
    invoke: Invoke, golden: Path, language: str
) -> None:
    """golden init -> new -> team edits README and a handler -> platform release -> update."""
    require_tools("make", {"go": "go", "rust": "cargo"}[language])
    service = new_service(invoke, golden, language)
    edit(service, "README.md", "payments", "payments (owned by the ledger squad)")
    handler = service / HANDLERS[language]
    handler.write_text(handler.read_text() + "\n// The ledger squad owns this handler.\n")
    git(service, "commit", "-qam", "service team edits")

    release_platform_v1_1(golden, language)
    assert invoke("check", str(service)).exit_code == 8
    updated = invoke("update", str(service))
    assert updated.exit_code == 0, updated.stdout + updated.stderr
    assert "# platform v1.1.0" in (service / "Makefile").read_text()
    assert "# hardened in v1.1.0" in (service / "Dockerfile").read_text()
    assert "owned by the ledger squad" in (service / "README.md").read_text()
    assert "The ledger squad owns this handler." in handler.read_text()
    for target in ("build", "test", "lint"):
        make(service, target)
    git(service, "add", "-A")
    git(service, "commit", "-qm", "update to v1.1.0")
    assert invoke("check", str(service)).exit_code == 0


def test_a_service_recorded_before_the_later_traits_still_updates(
    invoke: Invoke, golden: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answers files written before cost_pressure, key_libraries and exposure update cleanly."""
    from generator import recommender
    from tests.templates.test_adr import OLD_RECORD

    old = recommender.Recommendation(
        language="go",
        template="go-gin",
        confidence=OLD_RECORD["confidence"],
        scores=OLD_RECORD["scores"],
        reasons=(),
        caveats=(),
        traits=dict(OLD_RECORD["traits"]),
    )
    # What an older scaffold recorded: no prior among the reasons, none of the later traits.
    monkeypatch.setattr(recommender.Recommendation, "to_dict", lambda self: OLD_RECORD)
    monkeypatch.setattr(recommender, "recommend", lambda traits: old)
    monkeypatch.setattr(recommender, "format_recommendation", lambda rec: "Recommendation: Go")
    result = invoke("new", "ledger", "--template", str(golden), "--defaults")
    assert result.exit_code == 0, result.stderr
    monkeypatch.undo()
    service = golden.parent / "ledger"
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert not set(recommender.LATER_TRAITS) & set(answers["traits"])

    release_platform_v1_1(golden, "go")
    updated = invoke("update", str(service))
    assert updated.exit_code == 0, updated.stdout + updated.stderr
    assert "# platform v1.1.0" in (service / "Makefile").read_text()
    adr = (service / "docs" / "adr" / "0001-language-choice.md").read_text()
    assert "Go starts at 2 because" in adr
    assert "This record predates the traits `cost_pressure`, `key_libraries`, `exposure`" in adr
    assert (
        yaml.safe_load((service / ".copier-answers.yml").read_text())["traits"]
        == (answers["traits"])
    )
    git(service, "commit", "-qam", "update to v1.1.0")
    assert invoke("check", str(service)).exit_code == 0


def test_new_takes_an_older_version_with_ref(invoke: Invoke, golden: Path) -> None:
    release(golden, "v1.1.0", {"go-gin/Makefile.jinja": ("\nbuild:", "\n# v1.1.0\nbuild:")})
    newest = new_service(invoke, golden, "go", name="latest")
    assert "# v1.1.0" in (newest / "Makefile").read_text()
    result = invoke(
        "new", "pinned", "--template", str(golden), "--ref", "v1.0.0", "--lang", "go", "--defaults"
    )
    assert result.exit_code == 0, result.stderr
    pinned = golden.parent / "pinned"
    assert yaml.safe_load((pinned / ".copier-answers.yml").read_text())["_commit"] == "v1.0.0"
    assert "# v1.1.0" not in (pinned / "Makefile").read_text()
    assert invoke("check", str(pinned)).exit_code == 8  # behind v1.1.0
