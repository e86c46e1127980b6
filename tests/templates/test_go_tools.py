"""Go services lint with nothing but Go: tools/go.mod, a module of its own, pins golangci-lint.

`make lint` and `make fmt` run it through `go tool -modfile=tools/go.mod`, CI's lint job runs the
same `make lint` (one version, one source of truth), and the linter's dependencies stay out of the
service's own go.mod. Static checks only; the slow tests run `make lint` itself.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, TEMPLATES

Generated = Callable[[str], Path]

TOOL = "github.com/golangci/golangci-lint/v2/cmd/golangci-lint"
MODULE = "github.com/golangci/golangci-lint/v2"
REFRESH = ROOT / "scripts" / "refresh-go-tools"


def go_directive(go_mod: str) -> tuple[int, ...]:
    found = re.search(r"^go (\d+(?:\.\d+)*)$", go_mod, re.M)
    assert found, "no go directive"
    return tuple(int(part) for part in found.group(1).split("."))


def recipe(makefile: str, target: str) -> list[str]:
    """The command lines of one Makefile target."""
    found = re.search(rf"^{target}:.*\n((?:\t.*\n)*)", makefile, re.M)
    assert found, target
    return [line.strip() for line in found.group(1).splitlines()]


@pytest.fixture(scope="module")
def pins() -> dict[str, Any]:
    tools: dict[str, Any] = yaml.safe_load((TEMPLATES / "shared" / "tools.yml").read_text())
    return tools


def test_tools_module_pins_golangci_lint_with_a_tool_directive(generated: Generated) -> None:
    service = generated("go")
    tools_mod = (service / "tools" / "go.mod").read_text()
    assert re.search(r"^module tools$", tools_mod, re.M)
    assert re.findall(r"^tool (\S+)$", tools_mod, re.M) == [TOOL]
    required = re.search(rf"^\t{re.escape(MODULE)} (v2\.\d+\.\d+)\b", tools_mod, re.M)
    assert required, "golangci-lint is not required at a release"
    version = required.group(1)
    tools_sum = (service / "tools" / "go.sum").read_text()
    assert f"{MODULE} {version} h1:" in tools_sum
    assert f"{MODULE} {version}/go.mod h1:" in tools_sum
    # No toolchain download: the tools module asks for no newer Go than the service does.
    assert "\ntoolchain " not in tools_mod
    assert go_directive(tools_mod) <= go_directive((service / "go.mod").read_text())


def test_tools_module_is_the_templates_copied_verbatim(generated: Generated) -> None:
    service = generated("go")
    for name in ("go.mod", "go.sum"):
        rendered = (service / "tools" / name).read_bytes()
        assert rendered == (TEMPLATES / "go-gin" / "tools" / name).read_bytes(), name


def test_service_module_does_not_mention_golangci_lint(generated: Generated) -> None:
    service = generated("go")
    go_mod = (service / "go.mod").read_text()
    assert "golangci" not in go_mod
    assert not re.search(r"^tool\b", go_mod, re.M)
    assert "golangci" not in (service / "go.sum").read_text()


def test_make_lint_and_fmt_run_the_pinned_linter_through_go_tool(generated: Generated) -> None:
    makefile = (generated("go") / "Makefile").read_text()
    assert re.search(
        r"^GOLANGCI_LINT \?= \$\(GO\) tool -modfile=tools/go\.mod golangci-lint$", makefile, re.M
    ), "GOLANGCI_LINT is not the pinned tool (or not overridable)"
    assert "$(GOLANGCI_LINT) run" in recipe(makefile, "lint")
    assert recipe(makefile, "fmt") == ["$(GOLANGCI_LINT) fmt"]
    for target in ("build", "test", "lint"):
        assert all(
            "-mod=readonly" in line for line in recipe(makefile, target) if "$(GO) " in line
        ), target


def test_ci_lints_with_make_lint_and_pinned_actions(
    generated: Generated, pins: dict[str, Any]
) -> None:
    text = (generated("go") / ".github/workflows/ci.yml").read_text()
    assert "golangci-lint-action" not in text
    assert not re.search(r"\bv2\.\d+\.\d+\b", text), "a hand-written golangci-lint version"
    workflow = yaml.safe_load(text)
    lint = workflow["jobs"]["lint"]["steps"]
    assert [step["run"].strip() for step in lint if "run" in step] == ["make lint"]
    setup_go = [step for step in lint if step.get("uses") == pins["actions"]["setup_go"]]
    assert len(setup_go) == 1
    assert set(setup_go[0]["with"]["cache-dependency-path"].split()) == {"go.sum", "tools/go.sum"}

    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    assert {step["uses"] for step in steps if "uses" in step} <= set(pins["actions"].values())
    govulncheck = [step["run"] for step in steps if "govulncheck" in step.get("run", "")]
    assert govulncheck == [f"go run {pins['ci_tools']['govulncheck']} ./..."]


def test_tools_stay_out_of_the_docker_build_context(generated: Generated) -> None:
    assert "tools" in (generated("go") / ".dockerignore").read_text().splitlines()


def test_readme_says_how_to_bump_the_linter(generated: Generated) -> None:
    readme = (generated("go") / "README.md").read_text()
    assert f"go get -tool -modfile=tools/go.mod {TOOL}@v" in readme


@pytest.mark.parametrize("args", [[], ["2.15.0"], ["v1.64.8"], ["v2.15.0", "--fast"]])
def test_refresh_script_rejects_bad_arguments_before_any_network(args: list[str]) -> None:
    assert REFRESH.stat().st_mode & 0o111
    result = subprocess.run(
        [REFRESH, *args], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(("usage: ", "error: ")), result.stderr
