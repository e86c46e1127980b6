"""Collect a new round of held-out decisions blind: the plumbing between the helpers' files.

A round has three blind steps, each done by people (or agents) who read only the trait
vocabulary and the mapping rules, never the weights or a result; the briefs they follow are in
`tests/data/recommender/protocol/`:

1. `start`: researchers get a brief each (Go and Rust, organisations A-L and M-Z) and the list
   of decisions already collected; each writes `collect-<part>.yml`.
2. `check`: their files are checked (schema, vocabulary, 2016 or later, nothing already
   collected, no duplicates) and split into inputs for second raters, who remap every decision
   from its sources alone into `remap-<n>.yml`.
3. `disputes`: where the two mappings differ, adjudicators get the disputed values with the
   raters' letters shuffled, and write `adjudicated-<n>.yml`.
4. `merge --round N`: the decisions join `held_out.yml` with both raters' mappings and the
   rulings, in the file's own layout, and are checked by reading them back.

Every step prints counts and problems only, never a decision, so whoever runs the round stays
blind to it until it is merged and committed; replay it only then, once.

    python -m generator.recommender.collection start /tmp/round4
    python -m generator.recommender.collection check /tmp/round4
    python -m generator.recommender.collection disputes /tmp/round4
    python -m generator.recommender.collection merge /tmp/round4 --round 4
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from string import Template
from typing import Any

from generator.errors import ScaffoldError, UsageError
from generator.recommender.evaluation import (
    DATA,
    DECISIONS,
    HELD_OUT,
    load_decisions,
    read_entries,
)
from generator.recommender.traits import TRAITS, resolve_traits

PROTOCOL = DATA / "protocol"
"""The briefs each step's helpers follow, as `string.Template` files."""

REPO = Path(__file__).resolve().parents[2]

PARTS = {
    "go-a": ("go", "A to L"),
    "go-b": ("go", "M to Z"),
    "rust-a": ("rust", "A to L"),
    "rust-b": ("rust", "M to Z"),
}
"""One researcher per language and half of the alphabet, so none of them overlap."""

RATERS = 2
"""Second raters and adjudicators each take this share of the round, in parallel."""

KINDS = ("greenfield", "rewrite-from-go", "rewrite-from-rust", "rewrite-from-other")

COLLECTED_KEYS = (
    "id",
    "system",
    "organisation",
    "year",
    "chose",
    "kind",
    "sources",
    "summary",
    "traits",
    "mapping_notes",
)

NO_DISPUTE = "No disputed traits; the agreed mapping stands."

Entry = dict[str, Any]


def _write(path: Path, entries: Sequence[Mapping[str, Any]]) -> None:
    import yaml

    text = yaml.safe_dump({"decisions": list(entries)}, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")


def _brief(name: str, **fields: object) -> str:
    template = Template((PROTOCOL / f"{name}.md").read_text(encoding="utf-8"))
    return template.substitute(repo=REPO, **fields)


def _normal(text: object) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()


def without_defaults(traits: object) -> dict[str, str]:
    """Return a mapping's non-default values: the mapping rules record only those."""
    if traits is None:
        return {}
    if not isinstance(traits, dict):
        raise ScaffoldError(f"traits must be a mapping, not {traits!r}")
    try:
        resolve_traits(traits)
    except UsageError as error:
        raise ScaffoldError(error.message) from error
    return {name: value for name, value in traits.items() if value != TRAITS[name].default}


def known_decisions() -> list[Entry]:
    """Every decision already collected (dev and held-out), as the helpers must avoid them."""
    return [*read_entries(DECISIONS), *read_entries(HELD_OUT)]


def start(workdir: Path, known: Sequence[Entry]) -> list[Path]:
    """Write the avoid-list and one collection brief per researcher; return the briefs."""
    workdir.mkdir(parents=True, exist_ok=True)
    avoid = workdir / "avoid.txt"
    lines = sorted(f"{e['id']}: {e['organisation']} — {e['system']}" for e in known)
    avoid.write_text("\n".join(lines) + "\n", encoding="utf-8")
    briefs = []
    for part, (language, letters) in PARTS.items():
        brief = workdir / f"collect-{part}.md"
        brief.write_text(
            _brief(
                "collect",
                workdir=workdir,
                avoid=avoid,
                known=len(known),
                language=language,
                language_title=language.capitalize(),
                letters=letters,
                output=workdir / f"collect-{part}.yml",
                aim=10,
                least=8,
            ),
            encoding="utf-8",
        )
        briefs.append(brief)
    return briefs


def problems_in(part: str, entry: Entry, known: Sequence[Entry]) -> list[str]:
    """Return what is wrong with one collected decision (empty when it may join the round)."""
    where = f"{part}/{entry.get('id')}"
    missing = [key for key in COLLECTED_KEYS if key not in entry]
    if missing:
        return [f"{where}: missing {', '.join(missing)}"]
    found = []
    if entry["chose"] != PARTS[part][0]:
        found.append(f"{where}: chose {entry['chose']!r}, this part collects {PARTS[part][0]}")
    if entry["kind"] not in KINDS:
        found.append(f"{where}: kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
    if type(entry["year"]) is not int or entry["year"] < 2016:
        found.append(f"{where}: year {entry['year']!r} must be a whole number, 2016 or later")
    sources = entry["sources"]
    if not isinstance(sources, list) or not sources:
        found.append(f"{where}: no sources")
    elif not all(str(url).startswith(("https://", "http://")) for url in sources):
        found.append(f"{where}: a source is not a web address")
    try:
        without_defaults(entry["traits"])
    except ScaffoldError as error:
        found.append(f"{where}: {error.message}")
    ids = {str(e["id"]) for e in known}
    systems = {_normal(e["system"]) for e in known}
    if str(entry["id"]) in ids or _normal(entry["system"]) in systems:
        found.append(f"{where}: already collected")
    return found


def check(workdir: Path, known: Sequence[Entry]) -> tuple[int, list[str]]:
    """Check the researchers' files and write the second raters' inputs and briefs.

    Returns how many decisions the round has and every problem found; with problems, nothing
    is written, so a fixed file can be checked again.
    """
    entries: list[Entry] = []
    problems: list[str] = []
    for part in PARTS:
        path = workdir / f"collect-{part}.yml"
        if not path.exists():
            problems.append(f"{part}: {path} is missing")
            continue
        for entry in read_entries(path):
            found = problems_in(part, entry, known)
            problems += found
            if not found:
                entries.append(entry)
    ids = [str(entry["id"]) for entry in entries]
    problems += [f"{one}: collected twice" for one in sorted({i for i in ids if ids.count(i) > 1})]
    if problems:
        return len(entries), problems
    entries.sort(key=lambda entry: str(entry["id"]))
    _write(workdir / "collected.yml", entries)
    shown = ("id", "system", "organisation", "year", "chose", "kind", "sources")
    _hand_out(workdir, "remap", "remap", [{key: e[key] for key in shown} for e in entries])
    return len(entries), []


def _hand_out(workdir: Path, brief: str, output: str, items: Sequence[Entry]) -> None:
    """Split `items` among `RATERS` helpers, one input file and one brief each.

    Helper n reads `<brief>-input-<n>.yml`, follows `<brief>-<n>.md`, writes `<output>-<n>.yml`.
    """
    size = -(-len(items) // RATERS)
    for number in range(1, RATERS + 1):
        share = items[(number - 1) * size : number * size]
        if not share:
            continue
        path = workdir / f"{brief}-input-{number}.yml"
        _write(path, share)
        (workdir / f"{brief}-{number}.md").write_text(
            _brief(
                brief,
                workdir=workdir,
                input=path,
                count=len(share),
                output=workdir / f"{output}-{number}.yml",
            ),
            encoding="utf-8",
        )


def _by_id(workdir: Path, stem: str, expected: Iterable[str]) -> dict[str, Entry]:
    """Read every share of one step (`<stem>-<n>.yml`) and check it covers exactly `expected`."""
    found: dict[str, Entry] = {}
    for path in sorted(workdir.glob(f"{stem}-[0-9]*.yml")):
        for entry in read_entries(path):
            found[str(entry.get("id"))] = entry
    wanted = set(expected)
    if set(found) != wanted:
        gaps = sorted(wanted - set(found)) + sorted(set(found) - wanted)
        raise ScaffoldError(f"{workdir}/{stem}-*.yml: ids do not match the round: {gaps}")
    return found


def _collected(workdir: Path) -> dict[str, Entry]:
    """Return the round as `check` accepted it, by id."""
    path = workdir / "collected.yml"
    if not path.exists():
        raise ScaffoldError(f"{path} does not exist", hint="run the check step first")
    return {str(entry["id"]): entry for entry in read_entries(path)}


def disputes(workdir: Path, seed: int = 3) -> tuple[int, int]:
    """Write the adjudicators' inputs and briefs, and return (decisions, disputed values).

    Per decision: what the raters agree on and where they differ, with the raters' letters
    shuffled (seeded, so a rerun writes the same files).
    """
    collected = _collected(workdir)
    remapped = _by_id(workdir, "remap", collected)
    shuffle = random.Random(seed)  # noqa: S311 - a fair coin for blinding, not a secret
    inputs = []
    disputed_values = 0
    for key, entry in sorted(collected.items()):
        first = without_defaults(entry["traits"])
        second = without_defaults(remapped[key].get("traits"))
        pairs = {
            name: (first.get(name, trait.default), second.get(name, trait.default))
            for name, trait in TRAITS.items()
        }
        differ = {name: pair for name, pair in pairs.items() if pair[0] != pair[1]}
        notes = [str(entry["mapping_notes"]), str(remapped[key].get("notes", ""))]
        if shuffle.random() < 0.5:
            differ = {name: (b, a) for name, (a, b) in differ.items()}
            notes.reverse()
        disputed_values += len(differ)
        item = {k: entry[k] for k in ("id", "system", "organisation", "year", "chose", "sources")}
        item["agreed_non_default"] = {n: v for n, v in first.items() if second.get(n) == v}
        item["disputed"] = {n: {"rater_a": a, "rater_b": b} for n, (a, b) in differ.items()}
        item["rater_a_notes"], item["rater_b_notes"] = notes
        inputs.append(item)
    _hand_out(workdir, "adjudicate", "adjudicated", inputs)
    return len(inputs), disputed_values


def _folded(key: str, text: object, indent: int) -> list[str]:
    pad = " " * indent
    body = textwrap.wrap(
        " ".join(str(text).split()),
        width=80 - indent - 2,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [f"{pad}{key}: >-", *(f"{pad}  {line}" for line in body)]


def _mapping(key: str, traits: Mapping[str, str], indent: int, child: int) -> list[str]:
    if not traits:
        return [f"{' ' * indent}{key}: {{}}"]
    return [f"{' ' * indent}{key}:", *(f"{' ' * child}{n}: {v}" for n, v in traits.items())]


def _plain(value: object) -> str:
    """One line of YAML for a string, quoted only where YAML needs it."""
    import yaml

    dumped: str = yaml.safe_dump(" ".join(str(value).split()), width=10_000, allow_unicode=True)
    return dumped.removesuffix("\n").removesuffix("\n...")


def held_out_entry(entry: Entry, second: Entry, settled: Entry, collection_round: int) -> str:
    """Render one decision in held_out.yml's layout.

    The final mapping and the rulings first, then both raters' own mappings with their notes.
    """
    lines = [
        f"  - id: {entry['id']}",
        f"    system: {_plain(entry['system'])}",
        f"    organisation: {_plain(entry['organisation'])}",
        f"    year: {entry['year']}",
        f"    chose: {entry['chose']}",
        f"    kind: {entry['kind']}",
        f"    round: {collection_round}",
        "    sources:",
        *(f"      - {url}" for url in entry["sources"]),
        *_folded("summary", entry["summary"], 4),
        *_mapping("traits", without_defaults(settled.get("traits")), 4, 6),
        *_folded("mapping_notes", str(settled.get("rulings") or "").strip() or NO_DISPUTE, 4),
        "    raters:",
    ]
    for traits, notes in (
        (entry["traits"], entry["mapping_notes"]),
        (second.get("traits"), second.get("notes", "")),
    ):
        lines += _mapping("- traits", without_defaults(traits), 6, 10)
        lines += _folded("notes", notes, 8)
    return "\n".join(lines)


def merge(workdir: Path, collection_round: int, held_out: Path = HELD_OUT) -> int:
    """Add the round's decisions to the held-out file, sorted by id, and read them back.

    Returns how many decisions the file holds. Nothing is written unless every decision reads
    back exactly as the helpers wrote it and the whole file still loads.
    """
    collected = _collected(workdir)
    remapped = _by_id(workdir, "remap", collected)
    settled = _by_id(workdir, "adjudicated", collected)
    text = held_out.read_text(encoding="utf-8")
    head, marker, body = text.partition("decisions:\n")
    if not marker:
        raise ScaffoldError(f"{held_out}: no 'decisions:' list to add to")
    blocks = {
        re.sub(r"^  - id: (\S+)[\s\S]*", r"\1", block): block.rstrip("\n")
        for block in re.split(r"\n(?=  - id: )", body.strip("\n"))
    }
    clash = sorted(set(blocks) & set(collected))
    if clash:
        raise ScaffoldError(f"{held_out}: already holds {', '.join(clash)}")
    for key, entry in collected.items():
        blocks[key] = held_out_entry(entry, remapped[key], settled[key], collection_round)
    merged = head + marker + "\n\n".join(blocks[key] for key in sorted(blocks)) + "\n"
    _verify(merged, collected, remapped, settled)
    staged = held_out.with_name(f".{held_out.name}.merging")
    staged.write_text(merged, encoding="utf-8")
    try:
        total = len(load_decisions(staged, "held_out"))
    except ScaffoldError:
        staged.unlink()
        raise
    staged.replace(held_out)
    return total


def _verify(
    merged: str,
    collected: Mapping[str, Entry],
    remapped: Mapping[str, Entry],
    settled: Mapping[str, Entry],
) -> None:
    import yaml

    read_back = {str(e["id"]): e for e in yaml.safe_load(merged)["decisions"]}
    for key, entry in collected.items():
        got = read_back[key]
        expected = {
            "summary": " ".join(str(entry["summary"]).split()),
            "system": " ".join(str(entry["system"]).split()),
            "traits": without_defaults(settled[key].get("traits")),
            "raters": [
                without_defaults(entry["traits"]),
                without_defaults(remapped[key].get("traits")),
            ],
        }
        actual = {
            "summary": got["summary"],
            "system": got["system"],
            "traits": got["traits"],
            "raters": [rater["traits"] for rater in got["raters"]],
        }
        if actual != expected:
            raise ScaffoldError(f"decision {key} does not read back as written; nothing merged")


_EXAMPLES = """\
steps, in order:
  start     write the avoid-list and four researchers' briefs (collect-*.md)
  check     check their collect-*.yml; write the second raters' briefs (remap-*.md)
  disputes  compare the two mappings; write the adjudicators' briefs (adjudicate-*.md)
  merge     add the round to tests/data/recommender/held_out.yml; commit, then replay once

examples:
  python -m generator.recommender.collection start /tmp/round4
  python -m generator.recommender.collection check /tmp/round4
  python -m generator.recommender.collection disputes /tmp/round4
  python -m generator.recommender.collection merge /tmp/round4 --round 4
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one step; print counts and problems only. Exit 1 on a problem, 2 on bad usage."""
    parser = argparse.ArgumentParser(
        prog="python -m generator.recommender.collection",
        description="Collect a new round of held-out decisions blind. Each step prints counts "
        "only; hand the briefs it writes (*.md in WORKDIR) to the helpers, one each.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_EXAMPLES,
    )
    parser.add_argument("step", choices=("start", "check", "disputes", "merge"))
    parser.add_argument("workdir", type=Path, help="where the round's files live")
    parser.add_argument(
        "--round", type=int, dest="collection_round", metavar="N", help="merge: the round's number"
    )
    args = parser.parse_args(argv)
    workdir: Path = args.workdir
    try:
        if args.step == "start":
            briefs = start(workdir, known_decisions())
            print(f"{len(briefs)} briefs: {', '.join(str(brief) for brief in briefs)}")
        elif args.step == "check":
            count, problems = check(workdir, known_decisions())
            if problems:
                print("\n".join(problems), file=sys.stderr)
                print(f"{count} decisions pass; fix the {len(problems)} problems and rerun")
                return 1
            print(f"{count} decisions; briefs for the second raters: {workdir}/remap-*.md")
        elif args.step == "disputes":
            count, disputed = disputes(workdir)
            print(f"{count} decisions, {disputed} disputed values: {workdir}/adjudicate-*.md")
        else:
            if args.collection_round is None or args.collection_round < 1:
                parser.error("merge needs --round N (a positive whole number)")
            total = merge(workdir, args.collection_round, HELD_OUT)
            print(f"{HELD_OUT} now holds {total} decisions; commit it, then replay once")
    except ScaffoldError as error:
        print(f"error: {error.one_line()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
