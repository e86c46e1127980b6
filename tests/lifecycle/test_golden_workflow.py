"""Slow: the golden repository's CI, step by step, as a fresh GitHub runner would run it.

`scaffold golden init` writes .github/workflows/templates.yml. This test runs every `run:` step of
its smoke job, for each language of the job's matrix, in a clean environment: a PATH with only the
language toolchains, make, git and a new virtual environment (setup-python's part), an empty tool
cache, and scaffold installed from a wheel of this checkout by the workflow's own `pip install`.
The `uses:` steps it cannot run are emulated, each for a stated reason; a new action fails the test
until someone says how to emulate it. The one deliberate difference from GitHub: the cargo target
directory is the suite's shared one (on GitHub the cache step restores it), to keep CI time down.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml

from generator import __version__
from generator.lifecycle._smoke import STEPS
from generator.template import Template
from tests.conftest import Invoke, cargo_target_dir, require_tools
from tests.helpers import build_wheel, git

pytestmark = pytest.mark.slow

LINTERS = ("golangci-lint", "hadolint", "actionlint")
# Each action the workflow uses, and what stands in for it here.
EMULATED = {
    "actions/checkout": "the steps run in the golden repository itself",
    "actions/setup-python": "a new virtual environment first on PATH",
    "actions/setup-go": "go from the machine's PATH (its build cache is setup-go's cache)",
    "actions/cache": "nothing: an empty tool cache is what this test proves",
    "actions/upload-artifact": "the test reads the JUnit file the step would upload",
}
_MATRIX = re.compile(r"\$\{\{\s*matrix\.(\w+)\s*\}\}")
# The machine's network settings, as a runner has them: proxies, module proxies, and the CA
# certificates a TLS-inspecting proxy needs (Node reads NODE_EXTRA_CA_CERTS; without it npm
# retries every package for minutes).
_PASSED_ON = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "GOPROXY",
    "GOSUMDB",
    "GOPRIVATE",
    "NODE_EXTRA_CA_CERTS",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this checkout: what `pip install scaffold-services==VERSION` finds."""
    dist = tmp_path_factory.mktemp("dist")
    build_wheel(dist)
    return dist


def clean_path(venv_bin: Path) -> str:
    """The new venv, then the directories of the toolchains a runner has, then the system's."""
    dirs = [str(venv_bin)]
    for tool in ("go", "cargo", "rustup", "make", "git", "cc"):
        found = shutil.which(tool)
        assert found is not None, tool
        dirs.append(str(Path(found).parent))
    dirs += ["/usr/bin", "/bin"]
    path = os.pathsep.join(dict.fromkeys(dirs))
    present = [tool for tool in LINTERS if shutil.which(tool, path=path)]
    assert present == [], f"the clean PATH must not have {present}"
    return path


def substitute(text: str, matrix: dict[str, str]) -> str:
    return _MATRIX.sub(lambda m: matrix[m.group(1)], text)


def applies(step: dict[str, object], matrix: dict[str, str]) -> bool:
    condition = step.get("if")
    if condition is None or condition == "${{ !cancelled() }}":
        return True
    found = re.fullmatch(r"matrix\.(\w+) == '(\w+)'", str(condition))
    assert found, f"the test does not know how to evaluate `if: {condition}`"
    return matrix[found.group(1)] == found.group(2)


def read_github_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return dict(pairs)


def run_job(golden: Path, matrix: dict[str, str], wheel: Path, scratch: Path) -> Path:
    """Run the smoke job's steps for one matrix entry; return the JUnit file it would upload."""
    job = yaml.safe_load((golden / ".github/workflows/templates.yml").read_text())["jobs"]["smoke"]
    venv = scratch / "python"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    runner_temp = scratch / "runner-temp"
    runner_temp.mkdir()
    github_env = scratch / "github-env"
    github_env.touch()
    env = {
        "HOME": os.environ["HOME"],
        "PATH": clean_path(venv / "bin"),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_ENV": str(github_env),
        "PIP_FIND_LINKS": str(wheel),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "LANG": "C.UTF-8",
        **{k: v for k, v in os.environ.items() if k.upper() in _PASSED_ON},
        **{k: substitute(str(v), matrix) for k, v in job["env"].items()},
    }
    uploaded: list[Path] = []
    for step in job["steps"]:
        if not applies(step, matrix):
            continue
        if "uses" in step:
            action = str(step["uses"]).split("@", 1)[0]
            assert action in EMULATED, f"no emulation for {action}: add one to EMULATED"
            if action == "actions/upload-artifact":
                uploaded.append(golden / substitute(step["with"]["path"], matrix))
            continue
        env.update(read_github_env(github_env))
        env["CARGO_TARGET_DIR"] = cargo_target_dir()  # the cache step's part (see the docstring)
        result = subprocess.run(
            [
                "bash",
                "--noprofile",
                "--norc",
                "-eo",
                "pipefail",
                "-c",
                substitute(step["run"], matrix),
            ],
            cwd=golden,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=2400,
            check=False,
        )
        output = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
        assert result.returncode == 0, f"step {step.get('name', step['run'])!r} failed:\n{output}"
    (junit,) = uploaded
    return junit


@pytest.mark.parametrize("language", ["go", "rust"])
def test_the_golden_workflow_passes_on_a_fresh_runner(
    invoke: Invoke, tmp_path: Path, wheel: Path, language: str
) -> None:
    require_tools("go", "cargo", "rustup", "make", "git")
    tools_dir = tmp_path / "runner-temp" / "scaffold-tools"
    assert invoke("golden", "init", "golden").exit_code == 0
    golden = tmp_path / "golden"
    workflow = yaml.safe_load((golden / ".github/workflows/templates.yml").read_text())
    assert workflow["jobs"]["smoke"]["strategy"]["matrix"]["language"] == ["go", "rust"]
    assert f'"{__version__}"' in (golden / ".github/workflows/templates.yml").read_text()
    # One variant per language keeps the suite fast; the platform team edits smoke.yml the same way.
    (golden / "shared/smoke.yml").write_text(
        yaml.safe_dump({"axes": {"language": ["go", "rust"], "service_name": ["payments"]}})
    )
    git(golden, "commit", "-qam", "smoke one variant per language")

    junit = run_job(golden, {"language": language}, wheel, tmp_path)

    cases = list(ET.parse(junit).getroot().iter("testcase"))
    assert [c.get("name") for c in cases] == [f"{language}-payments {step}" for step in STEPS]
    assert all(c.find("failure") is None and c.find("skipped") is None for c in cases)
    assert {c.get("classname") for c in cases} == {f"scaffold.smoke.{language}"}
    installed = tools_dir / "actionlint"
    pinned = Template.load(golden).tools.go_tools.actionlint
    assert [p.name for p in installed.iterdir()] == [pinned]  # provisioned on first use
