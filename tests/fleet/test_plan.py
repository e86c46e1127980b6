"""`fleet plan`: contiguous shards (canaries stay first) as a GitHub Actions matrix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.errors import UsageError
from generator.fleet import load_fleet
from generator.fleet._plan import MAX_SHARDS, plan
from generator.fleet._update import parse_wave
from tests.helpers import Invoke, one_line_error


def fleet_of(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "fleet.yml"
    path.write_text("services:\n" + "".join(f"  - /r/s{i:02d}.git\n" for i in range(count)))
    return path


def test_shards_cover_the_fleet_once_in_order(tmp_path: Path) -> None:
    matrix = json.loads(plan(load_fleet(fleet_of(tmp_path, 10)), 4))
    shards = matrix["include"]
    assert [s["shard"] for s in shards] == ["1/4", "2/4", "3/4", "4/4"]
    assert [s["count"] for s in shards] == [3, 3, 2, 2]
    names = [name for s in shards for name in s["only"].split(",")]
    assert names == [f"s{i:02d}" for i in range(10)]


def test_more_shards_than_services(tmp_path: Path) -> None:
    shards = json.loads(plan(load_fleet(fleet_of(tmp_path, 2)), 8))["include"]
    assert [s["only"] for s in shards] == ["s00", "s01"]


@pytest.mark.parametrize("shards", [0, MAX_SHARDS + 1])
def test_shards_out_of_range(tmp_path: Path, shards: int) -> None:
    with pytest.raises(UsageError, match="out of range"):
        plan(load_fleet(fleet_of(tmp_path, 2)), shards)


def test_plan_cli(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("fleet", "plan", str(fleet_of(tmp_path, 3)), "--shards", "2")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["include"][0]["only"] == "s00,s01"
    bad = invoke("fleet", "plan", str(fleet_of(tmp_path, 3)), "--shards", "2", "--format", "csv")
    assert bad.exit_code == 2
    assert one_line_error(bad.stderr)


@pytest.mark.parametrize(
    ("raw", "total", "size"),
    [(None, 30, 30), ("5", 30, 5), ("10%", 30, 3), ("10%", 31, 4), ("100%", 7, 7), ("1%", 7, 1)],
)
def test_wave_sizes(raw: str | None, total: int, size: int) -> None:
    assert parse_wave(raw, total) == size


@pytest.mark.parametrize("raw", ["0", "0%", "101%", "-1", "ten", "5.5", "%"])
def test_bad_waves(raw: str) -> None:
    with pytest.raises(UsageError, match="--wave"):
        parse_wave(raw, 10)


def test_cli_refuses_bad_input_before_touching_a_repository(invoke: Invoke, tmp_path: Path) -> None:
    path = fleet_of(tmp_path, 2)
    for args in (
        ("fleet", "update", str(path), "--to", "v1.1.0", "--wave", "0"),
        ("fleet", "update", str(path), "--to", "-v1"),
        ("fleet", "update", str(path), "--to", "v1.1.0", "--only", "zed"),
        ("fleet", "update", str(path), "--to", "v1.1.0", "--forge", "gitlab"),
        ("fleet", "status", str(tmp_path / "missing.yml")),
    ):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert one_line_error(result.stderr), result.stderr
