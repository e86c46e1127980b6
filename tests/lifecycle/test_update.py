"""`scaffold update --template URL`: move a service onto a golden repository in one step."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator import __version__
from generator.errors import TemplateError, UsageError
from generator.lifecycle._update import _base_tag
from generator.template import ANSWERS_FILE, ServiceInfo, rewrite_answers
from tests.helpers import Invoke, git, one_line_error, release, replace_in, snapshot
from tests.template.test_answers import renovate_dependency

MAKEFILE_CHANGE = {"go-gin/Makefile.jinja": ("\nbuild:", "\n# platform v1.1.0\nbuild:")}


@pytest.fixture
def golden(invoke: Invoke, tmp_path: Path) -> Path:
    """A golden repository as `scaffold golden init` makes it (v1.0.0), plus a release v1.1.0."""
    result = invoke("golden", "init", "golden")
    assert result.exit_code == 0, result.stderr
    golden = tmp_path / "golden"
    release(golden, "v1.1.0", MAKEFILE_CHANGE)
    return golden


@pytest.fixture
def bundled(invoke: Invoke, tmp_path: Path) -> Path:
    """A Go service from the bundled templates, with a committed edit of its own."""
    result = invoke("new", "payments", "--lang", "go", "--defaults")
    assert result.exit_code == 0, result.stderr
    service = tmp_path / "payments"
    replace_in(service / "README.md", "payments", "payments (owned by the ledger squad)")
    git(service, "commit", "-qam", "service team edit")
    return service


def answers(service: Path) -> dict[str, object]:
    loaded = yaml.safe_load((service / ANSWERS_FILE).read_text())
    assert isinstance(loaded, dict)
    return loaded


def tree(service: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in service.rglob("*") if p.is_file() and ".git" not in p.parts}


def test_update_moves_a_bundled_service_onto_a_golden_repository(
    invoke: Invoke, golden: Path, bundled: Path, tmp_path: Path
) -> None:
    # A real URL, as a service team would give it (and as Renovate needs it).
    url = f"file://{tmp_path}/golden.git"
    git(tmp_path, "clone", "-q", "--bare", str(golden), "golden.git")
    head = git(bundled, "rev-parse", "HEAD")

    result = invoke("update", str(bundled), "--template", url)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "v1.0.0 -> v1.1.0" in result.stdout
    assert f"records its template as {url} v1.1.0" in result.stdout
    assert f"moving payments onto {url} at v1.0.0" in result.stderr
    assert f"bundled templates {__version__}" in result.stderr

    recorded = answers(bundled)
    assert recorded["_src_path"] == url
    assert recorded["_commit"] == "v1.1.0"
    assert renovate_dependency(recorded) == (url, "v1.1.0")
    assert (bundled / ANSWERS_FILE).read_text().startswith("# Written by scaffold (copier).")
    # The template change between the two golden tags arrived; the team's edit survived.
    assert "# platform v1.1.0" in (bundled / "Makefile").read_text()
    assert "owned by the ledger squad" in (bundled / "README.md").read_text()
    # Nothing was committed: the move and the update are one change to review.
    assert git(bundled, "rev-parse", "HEAD") == head
    changed = {line[3:] for line in git(bundled, "status", "--porcelain").splitlines()}
    assert changed == {ANSWERS_FILE, "Makefile"}

    git(bundled, "commit", "-qam", "move onto the golden repository")
    check = invoke("check", str(bundled))
    assert check.exit_code == 0, check.stdout + check.stderr
    assert "v1.1.0 is the newest" in check.stdout


def test_an_old_answers_file_moves_too(invoke: Invoke, golden: Path, bundled: Path) -> None:
    """Services generated before the rewrite record another machine's path to the templates."""
    rewrite_answers(bundled / ANSWERS_FILE, {"_src_path": "/home/someone/scaffold/templates"})
    git(bundled, "commit", "-qam", "answers as an older scaffold wrote them")
    result = invoke("update", str(bundled), "--template", str(golden), "--to", "v1.0.0")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "v1.0.0 -> v1.0.0" in result.stdout
    assert answers(bundled)["_src_path"] == str(golden)
    assert answers(bundled)["_commit"] == "v1.0.0"
    assert "# platform v1.1.0" not in (bundled / "Makefile").read_text()


def test_a_dry_run_move_changes_nothing(invoke: Invoke, golden: Path, bundled: Path) -> None:
    head = git(bundled, "rev-parse", "HEAD")
    before = tree(bundled)
    result = invoke("update", str(bundled), "--template", str(golden), "--dry-run")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"+_src_path: {golden}" in result.stdout
    assert "+_commit: v1.1.0" in result.stdout
    assert "+# platform v1.1.0" in result.stdout
    assert "would change 2 files" in result.stdout
    assert "would record its template" in result.stdout
    assert tree(bundled) == before
    assert git(bundled, "rev-parse", "HEAD") == head
    assert git(bundled, "status", "--porcelain") == ""


def test_a_repository_without_the_base_tag_is_refused(
    invoke: Invoke, golden: Path, bundled: Path
) -> None:
    """A golden repository that holds no tag of the templates the service came from."""
    git(golden, "tag", "-d", "v1.0.0")  # golden init's tag on its copy of the bundled templates
    git(golden, "tag", "latest")  # on v1.1.0's commit: `git describe` may name either
    before, head = snapshot(bundled), git(bundled, "rev-parse", "HEAD")
    files = tree(bundled)

    result = invoke("update", str(bundled), "--template", str(golden))
    assert result.exit_code == 2, result.stdout + result.stderr
    assert one_line_error(result.stderr)
    assert f"no tag holding the bundled templates {__version__}" in result.stderr
    assert "its tags: v1.1.0, latest" in result.stderr
    assert "--from TAG" in result.stderr
    assert (snapshot(bundled), git(bundled, "rev-parse", "HEAD")) == (before, head)
    assert tree(bundled) == files

    # --from names the base by hand.
    moved = invoke("update", str(bundled), "--template", str(golden), "--from", "v1.1.0")
    assert moved.exit_code == 0, moved.stdout + moved.stderr
    assert answers(bundled)["_commit"] == "v1.1.0"  # the version, not `latest`


def test_a_dirty_tree_is_refused_before_anything_moves(
    invoke: Invoke, golden: Path, bundled: Path
) -> None:
    (bundled / "notes.txt").write_text("wip")
    files = tree(bundled)
    result = invoke("update", str(bundled), "--template", str(golden))
    assert result.exit_code == 2
    assert "uncommitted changes" in result.stderr
    assert tree(bundled) == files


def test_a_failed_update_leaves_the_service_as_it_was(
    invoke: Invoke, golden: Path, bundled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(path: Path, to: str | None, *, trust: bool = False) -> None:
        assert answers(path)["_commit"] == "v1.0.0"  # copier sees the base, committed
        assert git(path, "status", "--porcelain") == ""
        raise TemplateError("the update failed: copier broke")

    monkeypatch.setattr("generator.lifecycle._update.update", fail)
    head, files = git(bundled, "rev-parse", "HEAD"), tree(bundled)
    result = invoke("update", str(bundled), "--template", str(golden))
    assert result.exit_code == 3
    assert git(bundled, "rev-parse", "HEAD") == head
    assert git(bundled, "status", "--porcelain") == ""
    assert tree(bundled) == files


def test_from_needs_template(invoke: Invoke, bundled: Path) -> None:
    result = invoke("update", str(bundled), "--from", "v1.0.0")
    assert result.exit_code == 2
    assert "--from needs --template" in result.stderr


def info(**answers: object) -> ServiceInfo:
    return ServiceInfo(Path("payments"), "payments", "go", {"service_name": "payments", **answers})


GOLDEN_INIT = f"Golden templates from scaffold {__version__}"


@pytest.mark.parametrize(
    ("recorded", "tags", "expected"),
    [
        # A tag named after the bundled version wins.
        (
            {"template_version": __version__},
            {"v1.0.0": GOLDEN_INIT, f"v{__version__}": "x"},
            f"v{__version__}",
        ),
        # Else the tag golden init put on its copy of the bundled templates (the oldest one).
        (
            {"template_version": __version__},
            {"v1.0.1": GOLDEN_INIT, "v1.0.0": GOLDEN_INIT},
            "v1.0.0",
        ),
        # A service from another golden repository keeps its base tag.
        (
            {"_src_path": "/old/golden", "_commit": "v1.2.0"},
            {"v1.2.0": "a", "v1.3.0": "b"},
            "v1.2.0",
        ),
    ],
)
def test_the_base_tag(
    monkeypatch: pytest.MonkeyPatch,
    recorded: dict[str, object],
    tags: dict[str, str],
    expected: str,
) -> None:
    monkeypatch.setattr("generator.lifecycle._update.tag_subjects", lambda src: tags)
    assert _base_tag(info(**recorded), "golden") == expected


def test_a_moved_service_needs_its_tag_in_the_new_repository(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("generator.lifecycle._update.tag_subjects", lambda src: {"v2.0.0": "a"})
    with pytest.raises(UsageError, match=r"no tag v1\.2\.0, the version payments records"):
        _base_tag(info(_src_path="/old/golden", _commit="v1.2.0"), "golden")
