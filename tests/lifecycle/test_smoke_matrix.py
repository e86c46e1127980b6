"""The smoke variant matrix and its report formats (fast; no builds)."""

from __future__ import annotations

import itertools
import json
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.errors import UsageError
from generator.lifecycle._smoke import (
    STEPS,
    Variant,
    junit_xml,
    summary_table,
    to_json,
    variant_suite,
    variants,
)
from generator.report import Result, Suite
from generator.template import Template, bundled_template_dir

AXES = Template.load(bundled_template_dir()).smoke.axes


def covered_pairs(chosen: list[Variant]) -> set[tuple[tuple[str, object], tuple[str, object]]]:
    pairs = set()
    for variant in chosen:
        items = sorted(variant.answers.items())
        pairs |= set(itertools.combinations(items, 2))
    return pairs


def test_full_matrix_is_the_cartesian_product() -> None:
    full = variants(AXES, "full", None)
    expected = 1
    for values in AXES.values():
        expected *= len(values)
    assert len(full) == expected
    assert len({v.name for v in full}) == expected


def test_default_matrix_covers_every_value_and_pair_with_fewer_variants() -> None:
    default = variants(AXES, "default", None)
    full = variants(AXES, "full", None)
    assert len(default) < len(full)
    assert covered_pairs(default) == covered_pairs(full)
    assert default == variants(AXES, "default", None)  # deterministic


@given(
    st.dictionaries(
        st.sampled_from(["language", "a", "b", "c"]),
        st.lists(st.integers(0, 5), min_size=1, max_size=3, unique=True),
        min_size=1,
        max_size=4,
    )
)
@settings(max_examples=60, deadline=None)
def test_pairwise_cover_property(axes: dict[str, list[int]]) -> None:
    axes.setdefault("language", [0])
    chosen = variants(axes, "default", None)
    full = variants(axes, "full", None)
    assert covered_pairs(chosen) == covered_pairs(full)
    assert {(k, v) for c in chosen for k, v in c.answers.items()} == {
        (k, v) for k, values in axes.items() for v in values
    }


def test_language_filter() -> None:
    only_rust = variants(AXES, "default", "rust")
    assert only_rust
    assert {v.language for v in only_rust} == {"rust"}


def test_unknown_matrix_is_bad_input() -> None:
    with pytest.raises(UsageError):
        variants(AXES, "huge", None)


def sample_results() -> list[Suite]:
    ok = variant_suite(
        Variant({"language": "go", "service_name": "a"}),
        [Result(step, True, seconds=1.0) for step in STEPS],
    )
    bad = variant_suite(
        Variant({"language": "rust", "service_name": "a"}),
        [
            Result("render", True, seconds=0.5),
            Result("static", False, "hadolint", 0.2, "\x1b[31mhadolint DL3007\x1b[0m\x07"),
        ],
    )
    return [ok, bad]


def test_junit_has_one_case_per_variant_and_step_named_with_the_language() -> None:
    root = ET.fromstring(junit_xml(sample_results()))
    cases = root.findall("testcase")
    assert len(cases) == 2 * len(STEPS)
    assert root.get("failures") == "1"
    assert root.get("skipped") == str(len(STEPS) - 2)
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["rust-a static"]
    assert failed[0].get("classname") == "scaffold.smoke.rust"
    assert "hadolint DL3007" in (failed[0].find("failure").text or "")  # type: ignore[union-attr]


def test_json_and_table() -> None:
    data = json.loads(to_json(sample_results()))
    assert data["passed"] is False
    assert [v["passed"] for v in data["variants"]] == [True, False]
    assert data["variants"][1]["answers"] == {"language": "rust", "service_name": "a"}
    assert data["variants"][1]["steps"][1] == {
        "step": "static",
        "passed": False,
        "seconds": 0.2,
        "output": "\x1b[31mhadolint DL3007\x1b[0m\x07",
    }
    table = summary_table(sample_results()).splitlines()
    assert table[0].split() == ["variant", *STEPS, "time"]
    assert table[1].split() == ["go-a", *["ok"] * len(STEPS), f"{len(STEPS):.1f}s"]
    assert table[2].split() == ["rust-a", "ok", "FAIL", *["-"] * (len(STEPS) - 2), "0.7s"]
