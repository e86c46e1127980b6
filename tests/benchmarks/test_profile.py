"""benchmarks/profile.py: reading pprof's traces, the shares, the table, and the contract."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from benchmarks.ablation import PARTS
from benchmarks.common import BenchError
from benchmarks.profile import PROFILE_PATH, PartProfile, Stack, parse_traces, report, share
from benchmarks.servers import PROFILING_VARIABLE, Kind, Variant

ROOT = Path(__file__).resolve().parents[2]

# What `go tool pprof -traces` prints, cut down: a header, then one block per distinct stack.
TRACES = """File: bench-svc
Type: cpu
Time: 2026-11-28 17:09:45 UTC
Duration: 10s, Total samples = 100ms (1.00%)
-----------+-------------------------------------------------------
      40ms   internal/runtime/syscall/linux.Syscall6
             syscall.write
             example.com/x/internal/platform/telemetry.(*Output).Write
             log/slog.(*JSONHandler).Handle
-----------+-------------------------------------------------------
      30ms   runtime.memmove
             runtime.copystack
             runtime.newstack
             runtime.morestack
-----------+-------------------------------------------------------
      20ms   runtime.memmove
             runtime.copystack
             example.com/x/internal/platform/telemetry.(*Output).Flush (inline)
             example.com/x/internal/platform/telemetry.(*Output).Write
-----------+-------------------------------------------------------
     0.01s   net/http.(*conn).serve
-----------+-------------------------------------------------------
"""


def test_traces_are_read_stack_by_stack_leaf_first() -> None:
    stacks = parse_traces(TRACES)
    assert [stack.seconds for stack in stacks] == pytest.approx([0.04, 0.03, 0.02, 0.01])
    assert stacks[0].functions[0] == "internal/runtime/syscall/linux.Syscall6"
    assert stacks[2].functions[2] == "example.com/x/internal/platform/telemetry.(*Output).Flush"
    assert stacks[3].functions == ("net/http.(*conn).serve",)


def test_a_share_counts_each_sample_once_however_many_frames_match() -> None:
    stacks = parse_traces(TRACES)
    log_output = next(part for part in PARTS if part.slug == "log-output")
    # 40 ms + 20 ms (Write and Flush both in the last stack, counted once) of 100 ms.
    assert share(stacks, log_output.profile_focus) == pytest.approx(0.6)
    workers = next(part for part in PARTS if part.slug == "workers")
    assert share(stacks, workers.profile_focus) == pytest.approx(0.5)  # copystack stacks


def test_an_empty_profile_is_an_error_not_a_zero_share() -> None:
    with pytest.raises(BenchError, match="no samples"):
        share([Stack(0.0, ("main.main",))], "x")


def test_the_table_holds_the_median_saving_against_the_bar() -> None:
    workers = next(part for part in PARTS if part.slug == "workers")
    log_output = next(part for part in PARTS if part.slug == "log-output")
    kept = PartProfile(workers, with_part=[0.05, 0.04, 0.06], with_library=[0.11, 0.12, 0.10])
    replaced = PartProfile(
        log_output, with_part=[0.01, 0.01, 0.01], with_library=[0.04, 0.09, 0.02]
    )
    text = report([kept, replaced], rounds=3, seconds=10)
    assert "| 5.0% | 11.0% | +6.0 points | +6.0 / +8.0 / +4.0 | yes |" in text
    assert "| 1.0% | 4.0% | +3.0 points | +3.0 / +8.0 / +1.0 | **no** |" in text
    assert re.search(r"profiled for 10 s with pprof", text)


def test_every_part_with_a_focus_is_a_go_part_whose_regexp_compiles() -> None:
    profiled = [part for part in PARTS if part.profile_focus]
    assert {part.slug for part in profiled} >= {"workers", "log-output"}
    for part in profiled:
        assert part.language == "go"
        re.compile(part.profile_focus)


def test_profiling_switch_and_path_are_the_contracts() -> None:
    contract = yaml.safe_load((ROOT / "templates" / "shared" / "contract.yml").read_text())
    assert contract["operability"]["profiling_variable"] == PROFILING_VARIABLE
    assert contract["operability"]["profiling_path"] + "profile" == PROFILE_PATH
    env = Variant("go", Kind.SKELETON_OTLP, Path("/x"), profiling=True).env(1, "http://x:1")
    assert env[PROFILING_VARIABLE] == "true"
    assert PROFILING_VARIABLE not in Variant("go", Kind.SKELETON_OTLP, Path("/x")).env(1, "h")
