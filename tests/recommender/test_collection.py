"""Collecting a held-out round blind: the checks and files between the helpers' steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.errors import ScaffoldError
from generator.recommender import collection
from generator.recommender.collection import (
    NO_DISPUTE,
    PARTS,
    check,
    disputes,
    held_out_entry,
    merge,
    problems_in,
    start,
    without_defaults,
)
from generator.recommender.evaluation import load_decisions, read_entries

KNOWN = [{"id": "old-one", "organisation": "Old Org", "system": "Old Proxy"}]

HELD_OUT_HEAD = "# header kept as it is\ndecisions:\n"
EXISTING = """  - id: mmm-existing
    system: Existing
    organisation: Org
    year: 2020
    chose: go
    kind: greenfield
    round: 1
    sources:
      - https://example.com/existing
    summary: >-
      Kept byte for byte.
    traits: {}
    mapping_notes: >-
      None.
"""


def _entry(ident: str, chose: str, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": ident,
        "system": f"System {ident}",
        "organisation": f"Org {ident}",
        "year": 2021,
        "chose": chose,
        "kind": "greenfield",
        "sources": [f"https://example.com/{ident}"],
        "summary": f"Why {ident} chose {chose}, at some length so that it wraps " * 3,
        "traits": {"latency": "strict"},
        "mapping_notes": f"latency=strict: notes of the first rater on {ident}.",
    }
    entry.update(extra)
    return entry


def _dump(path: Path, entries: list[dict[str, Any]]) -> None:
    path.write_text(yaml.safe_dump({"decisions": entries}), encoding="utf-8")


def _collected_round(workdir: Path) -> None:
    """One good decision per researcher: a-go, b-go, a-rust, b-rust."""
    for part, (language, _) in PARTS.items():
        ident = f"{part.split('-')[1]}-{language}"
        _dump(workdir / f"collect-{part}.yml", [_entry(ident, language)])


def test_start_writes_the_avoid_list_and_a_brief_per_researcher(tmp_path: Path) -> None:
    briefs = start(tmp_path, KNOWN)
    assert [brief.name for brief in briefs] == [f"collect-{part}.md" for part in PARTS]
    assert (tmp_path / "avoid.txt").read_text(encoding="utf-8") == "old-one: Old Org — Old Proxy\n"
    for brief, (part, (language, letters)) in zip(briefs, PARTS.items(), strict=True):
        text = brief.read_text(encoding="utf-8")
        assert f"team chose {language.capitalize()} for" in text
        assert f"a letter in {letters}" in text
        assert str(tmp_path / f"collect-{part}.yml") in text
        assert "$" not in text, "every placeholder is filled"
        assert "weights.py" in text, "the brief keeps the helper away from the model"


def test_check_writes_the_second_raters_inputs_without_the_first_mapping(tmp_path: Path) -> None:
    _collected_round(tmp_path)
    assert check(tmp_path, KNOWN) == (4, [])
    shown = [
        entry for number in (1, 2) for entry in read_entries(tmp_path / f"remap-input-{number}.yml")
    ]
    assert [entry["id"] for entry in shown] == ["a-go", "a-rust", "b-go", "b-rust"]
    for entry in shown:
        assert set(entry) == {"id", "system", "organisation", "year", "chose", "kind", "sources"}
    brief = (tmp_path / "remap-1.md").read_text(encoding="utf-8")
    assert str(tmp_path / "remap-input-1.yml") in brief
    assert "lists 2 published" in brief
    assert "$" not in brief


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"year": 2015}, "2016 or later"),
        ({"year": "2019"}, "must be a whole number"),
        ({"chose": "rust"}, "this part collects go"),
        ({"kind": "port"}, "kind 'port'"),
        ({"sources": []}, "no sources"),
        ({"sources": ["ftp://x"]}, "not a web address"),
        ({"traits": {"speed": "fast"}}, "unknown trait 'speed'"),
        ({"id": "old-one"}, "already collected"),
        ({"system": "old proxy"}, "already collected"),
    ],
)
def test_a_bad_collected_decision_is_named_with_its_problem(
    change: dict[str, Any], problem: str
) -> None:
    entry = _entry("x", "go")
    entry.update(change)
    found = problems_in("go-a", entry, KNOWN)
    assert len(found) == 1
    assert found[0].startswith(f"go-a/{change.get('id', 'x')}: ")
    assert problem in found[0]


def test_check_writes_nothing_while_a_problem_remains(tmp_path: Path) -> None:
    _collected_round(tmp_path)
    _dump(tmp_path / "collect-go-b.yml", [_entry("a-go", "go")])  # also in go-a
    (tmp_path / "collect-rust-b.yml").unlink()
    count, problems = check(tmp_path, KNOWN)
    assert count == 3
    assert any("a-go: collected twice" in problem for problem in problems)
    assert any("rust-b:" in problem and "missing" in problem for problem in problems)
    assert not (tmp_path / "collected.yml").exists()
    assert not list(tmp_path.glob("remap-input-*.yml"))


def _remapped(workdir: Path, traits: dict[str, dict[str, str]]) -> None:
    """The second raters' files: `traits` by id, the rest as the first rater mapped them."""
    collected = read_entries(workdir / "collected.yml")
    entries = [
        {
            "id": entry["id"],
            "traits": traits.get(entry["id"], entry["traits"]),
            "notes": f"second rater on {entry['id']}",
        }
        for entry in collected
    ]
    _dump(workdir / "remap-1.yml", entries[:2])
    _dump(workdir / "remap-2.yml", entries[2:])


def test_disputes_lists_only_the_differences_with_the_letters_shuffled(tmp_path: Path) -> None:
    _collected_round(tmp_path)
    check(tmp_path, KNOWN)
    _remapped(tmp_path, {"a-go": {"latency": "standard", "memory": "tight"}})
    assert disputes(tmp_path) == (4, 2)
    items = {
        item["id"]: item
        for number in (1, 2)
        for item in read_entries(tmp_path / f"adjudicate-input-{number}.yml")
    }
    assert items["b-go"]["disputed"] == {}
    assert items["b-go"]["agreed_non_default"] == {"latency": "strict"}
    disputed = items["a-go"]
    assert disputed["agreed_non_default"] == {}
    assert set(disputed["disputed"]) == {"latency", "memory"}
    # whichever letter the second rater got, its values and its notes travel together
    letter = "a" if disputed["rater_a_notes"] == "second rater on a-go" else "b"
    assert disputed["disputed"]["memory"][f"rater_{letter}"] == "tight"
    assert disputed["disputed"]["latency"][f"rater_{letter}"] == "standard"
    first = (tmp_path / "adjudicate-input-1.yml").read_text(encoding="utf-8")
    disputes(tmp_path)
    assert (tmp_path / "adjudicate-input-1.yml").read_text(encoding="utf-8") == first, "seeded"
    assert "$" not in (tmp_path / "adjudicate-1.md").read_text(encoding="utf-8")


def test_disputes_refuses_a_rater_file_that_misses_a_decision(tmp_path: Path) -> None:
    _collected_round(tmp_path)
    check(tmp_path, KNOWN)
    _remapped(tmp_path, {})
    (tmp_path / "remap-2.yml").unlink()
    with pytest.raises(ScaffoldError, match=r"ids do not match the round: \['b-go', 'b-rust'\]"):
        disputes(tmp_path)


def _settled_round(workdir: Path) -> Path:
    _collected_round(workdir)
    check(workdir, KNOWN)
    _remapped(workdir, {"a-go": {"memory": "tight"}})
    disputes(workdir)
    settled = [
        {"id": "a-go", "traits": {"latency": "strict"}, "rulings": "memory stays ample: no word."},
        {"id": "a-rust", "traits": {"latency": "strict"}},
    ]
    _dump(workdir / "adjudicated-1.yml", settled)
    _dump(
        workdir / "adjudicated-2.yml",
        [{"id": one, "traits": {"latency": "strict"}} for one in ("b-go", "b-rust")],
    )
    held_out = workdir / "held_out.yml"
    held_out.write_text(HELD_OUT_HEAD + EXISTING, encoding="utf-8")
    return held_out


def test_merge_adds_the_round_in_order_with_both_raters_and_the_rulings(tmp_path: Path) -> None:
    held_out = _settled_round(tmp_path)
    assert merge(tmp_path, 4, held_out) == 5
    text = held_out.read_text(encoding="utf-8")
    assert text.startswith(HELD_OUT_HEAD)
    assert EXISTING.rstrip("\n") in text, "decisions already there are kept byte for byte"
    assert max(len(line) for line in text.splitlines()) <= 80
    decisions = {d.id: d for d in load_decisions(held_out, "held_out")}
    assert list(decisions) == ["a-go", "a-rust", "b-go", "b-rust", "mmm-existing"]
    merged = decisions["a-go"]
    assert merged.round == 4
    assert merged.traits == {"latency": "strict"}
    assert merged.raters == ({"latency": "strict"}, {"memory": "tight"})
    entries = {entry["id"]: entry for entry in read_entries(held_out)}
    assert entries["a-go"]["mapping_notes"] == "memory stays ample: no word."
    assert entries["b-go"]["mapping_notes"] == NO_DISPUTE
    assert entries["a-go"]["raters"][1]["notes"] == "second rater on a-go"


def test_merge_refuses_a_decision_already_held_and_writes_nothing(tmp_path: Path) -> None:
    held_out = _settled_round(tmp_path)
    before = HELD_OUT_HEAD + EXISTING.replace("mmm-existing", "a-go")
    held_out.write_text(before, encoding="utf-8")
    with pytest.raises(ScaffoldError, match="already holds a-go"):
        merge(tmp_path, 4, held_out)
    assert held_out.read_text(encoding="utf-8") == before
    assert [path.name for path in tmp_path.glob(".*")] == []


def test_a_rendered_entry_keeps_defaults_out_and_quotes_what_yaml_needs() -> None:
    entry = _entry("q", "go", system="Proxy: the one with a colon", traits={"memory": "ample"})
    text = held_out_entry(entry, {"traits": None, "notes": "n"}, {"traits": {}}, 2)
    read = yaml.safe_load("decisions:\n" + text)["decisions"][0]
    assert read["system"] == "Proxy: the one with a colon"
    assert read["traits"] == {}
    assert [rater["traits"] for rater in read["raters"]] == [{}, {}]
    assert without_defaults({"memory": "ample", "latency": "ultra"}) == {"latency": "ultra"}


def test_the_cli_reports_counts_and_never_a_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(collection, "known_decisions", lambda: KNOWN)
    assert collection.main(["start", str(tmp_path)]) == 0
    _collected_round(tmp_path)
    assert collection.main(["check", str(tmp_path)]) == 0
    _remapped(tmp_path, {"a-go": {"memory": "tight"}})
    assert collection.main(["disputes", str(tmp_path)]) == 0
    held_out = _settled_round(tmp_path)
    monkeypatch.setattr(collection, "HELD_OUT", held_out)
    assert collection.main(["merge", str(tmp_path), "--round", "4"]) == 0
    out = capsys.readouterr().out
    assert "4 decisions, 2 disputed values" in out
    assert "now holds 5 decisions" in out
    for ident in ("a-go", "b-go", "a-rust", "b-rust", "System"):
        assert ident not in out.replace(str(tmp_path), "")


def test_the_cli_gives_one_line_and_exit_1_on_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(collection, "known_decisions", lambda: KNOWN)
    (tmp_path / "collect-go-a.yml").write_text("decisions: [\n", encoding="utf-8")
    assert collection.main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot read")
    assert len(err.strip().splitlines()) == 1
    assert collection.main(["disputes", str(tmp_path)]) == 1
    assert (
        "collected.yml does not exist (hint: run the check step first)" in capsys.readouterr().err
    )
    with pytest.raises(SystemExit) as exited:
        collection.main(["merge", str(tmp_path)])
    assert exited.value.code == 2


def test_help_lists_the_steps_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        collection.main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for step in ("start", "check", "disputes", "merge"):
        assert f"python -m generator.recommender.collection {step} /tmp/round4" in out
