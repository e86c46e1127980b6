"""A service that crashes or hangs fails contract items; it never crashes `check --run`.

The "services" here are tiny shell scripts standing in for a built binary: no build, no toolchain.
"""

from __future__ import annotations

import json
from pathlib import Path

from generator.conformance import Limits, contract_items, observe, verify
from tests.conformance.cases import CONTRACT
from tests.conftest import Invoke


def fake_binary(path: Path, script: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return path


def test_a_service_that_exits_at_once_fails_every_item(invoke: Invoke, tmp_path: Path) -> None:
    assert invoke("new", "payments", "--lang", "go", "--defaults", "--no-git").exit_code == 0
    service = tmp_path / "payments"
    fake_binary(service / "bin" / "payments", "echo 'panic: boom' >&2\nexit 1")

    result = invoke("check", str(service), "--run", "--no-build", "--json")

    assert result.exit_code == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    results = {r["item"]: r for r in report["results"]}
    assert list(results) == ["template.version", "platform_files.drift", *contract_items(CONTRACT)]
    assert results["template.version"]["passed"]
    assert results["platform_files.drift"]["passed"]
    failed = [r for r in report["results"][2:] if not r["passed"]]
    assert len(failed) == len(contract_items(CONTRACT))
    assert all(r["detail"] and "\n" not in r["detail"] for r in failed)
    startup = "payments exited with code 1 before it was ready: panic: boom"
    assert startup in results["health.liveness"]["detail"]
    assert "want one JSON ERROR line" in results["config.invalid_value_fails_fast"]["detail"]


def test_a_service_that_never_answers_fails_every_item(tmp_path: Path) -> None:
    binary = fake_binary(tmp_path / "payments", "exec sleep 60")
    limits = Limits(ready=0.5, refusal=0.5, shutdown=0.5)

    results = verify(CONTRACT, "payments", observe(binary, CONTRACT, limits=limits))

    assert [r.name for r in results] == contract_items(CONTRACT)
    assert not any(r.passed for r in results)
    details = {r.name: r.detail for r in results}
    assert details["config.invalid_value_fails_fast"] == "still running after PORT='not-a-port'"
    assert "was not ready on port" in details["collector.missing"]
    assert "after 0.5 s" in details["otel.sdk_disabled"]


def test_a_missing_binary_fails_every_item(tmp_path: Path) -> None:
    results = verify(CONTRACT, "payments", observe(tmp_path / "nothing", CONTRACT))
    assert not any(r.passed for r in results)
    assert "FileNotFoundError" in results[1].detail
