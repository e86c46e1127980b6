"""Installing the validators of a service's deploy artifacts, once, into the tool cache.

Three validators, each the real implementation rather than an approximation of it:

- `composecheck`, scaffold's own small Go program over compose-go (the library `docker compose`
  is built on), for compose.yaml. Its sources ship with scaffold (generator/deploy/composecheck,
  go.sum included) and it is built with `go build -mod=readonly`, into a directory named after a
  hash of those sources.
- Renovate's `renovate-config-validator`, for renovate.json, and Backstage's entity validators
  (`@backstage/catalog-model`), for catalog-info.yaml: npm packages, run with Node.js. They are
  installed with `npm install --ignore-scripts` (no install script runs) at the version
  shared/tools.yml pins, and kept only when npm's record of the package has the pinned integrity.

Like the Go linters (`_install`), each builds into a staging directory that is renamed into place,
so an interrupted or concurrent install never leaves a half-written tool behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.errors import ToolchainError
from generator.template import ToolPins
from generator.tools._install import _last_line, _lock, install_into, tools_dir

# The npm package of each Node.js validator. Fixed here, never read from a template: a template
# only chooses versions (and their integrity), so it cannot make scaffold install a package of
# its choosing.
NODE_PACKAGES = {"renovate": "renovate", "catalog_model": "@backstage/catalog-model"}
COMPOSECHECK_SOURCES = Path(__file__).resolve().parent.parent / "deploy" / "composecheck"
_SOURCE_FILES = ("go.mod", "go.sum", "main.go")
_INSTALL_TIMEOUT = 900

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    """Progress that says nothing."""


def node() -> Path:
    """Find Node.js, which runs the npm validators; a ToolchainError when it is missing."""
    found = shutil.which("node")
    if found is None:
        raise ToolchainError(
            "node is not on PATH (scaffold runs Renovate's and Backstage's validators with it)",
            hint="install Node.js 22 or later (https://nodejs.org)",
        )
    return Path(found)


# -- compose.yaml: composecheck ----------------------------------------------------------------


def composecheck_key() -> str:
    """Return a hash of composecheck's sources: a new scaffold with other sources builds anew."""
    digest = hashlib.sha256()
    for name in _SOURCE_FILES:
        digest.update(name.encode() + b"\0" + (COMPOSECHECK_SOURCES / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def composecheck_path() -> Path:
    return tools_dir() / "composecheck" / composecheck_key() / "composecheck"


def composecheck_install_command() -> str:
    target = shlex.quote(str(composecheck_path()))
    return (
        f"cd {shlex.quote(str(COMPOSECHECK_SOURCES))} && "
        f"GOFLAGS=-mod=readonly go build -trimpath -o {target} ."
    )


def ensure_compose_checker(progress: Progress = _quiet) -> Path:
    """Return composecheck's path, building it first if the cache does not have it yet."""
    path = composecheck_path()
    if _executable(path):
        return path
    with _lock:
        if _executable(path):
            return path
        go = shutil.which("go")
        if go is None:
            raise ToolchainError(
                "composecheck cannot be built: go is not on PATH",
                hint=f"install Go (https://go.dev/dl), then run `{composecheck_install_command()}`",
            )
        progress(f"building composecheck into {path.parent} (first use only)")
        env = {k: v for k, v in os.environ.items() if k not in {"GOFLAGS", "GOWORK"}}
        env.update(GOFLAGS="-mod=readonly", GOWORK="off")

        def build(staging: Path) -> str:
            output = staging / "composecheck"
            command = [go, "build", "-trimpath", "-o", str(output), "."]
            failure = _run(command, COMPOSECHECK_SOURCES, env, "go build")
            if not failure and not output.is_file():
                failure = "go build did not produce composecheck"
            return failure

        install_into(path.parent, build, "composecheck", composecheck_install_command())
    return path


# -- renovate.json and catalog-info.yaml: npm packages run with Node.js -----------------------


@dataclass(frozen=True)
class NodeTool:
    """An npm validator at a pinned version and integrity, and where the tool cache keeps it."""

    name: str
    version: str
    integrity: str

    @property
    def package(self) -> str:
        return NODE_PACKAGES[self.name]

    @property
    def prefix(self) -> Path:
        return tools_dir() / self.name / self.version

    @property
    def package_dir(self) -> Path:
        return self.prefix / "node_modules" / self.package

    @property
    def install_command(self) -> str:
        prefix = shlex.quote(str(self.prefix))
        return (
            f"npm install --ignore-scripts --no-audit --no-fund --prefix {prefix} "
            f"{self.package}@{self.version}"
        )

    def installed(self) -> bool:
        return (self.package_dir / "package.json").is_file()


def node_tools(pins: ToolPins) -> list[NodeTool]:
    """Return the npm validators a template pins, in a stable order."""
    pinned = {"catalog_model": pins.node_tools.catalog_model, "renovate": pins.node_tools.renovate}
    return [NodeTool(name, pin.version, pin.integrity) for name, pin in sorted(pinned.items())]


def ensure_node_tool(tool: NodeTool, progress: Progress = _quiet) -> Path:
    """Return the package's directory, installing it first if the cache does not have it yet."""
    if tool.installed():
        return tool.package_dir
    with _lock:
        if tool.installed():
            return tool.package_dir
        node()
        npm = shutil.which("npm")
        if npm is None:
            raise ToolchainError(
                f"{tool.package} {tool.version} cannot be installed: npm is not on PATH",
                hint=f"install Node.js with npm, then run `{tool.install_command}`",
            )
        progress(f"installing {tool.package} {tool.version} into {tool.prefix} (first use only)")

        def install(staging: Path) -> str:
            command = [
                *(npm, "install", "--ignore-scripts", "--no-audit", "--no-fund"),
                *("--prefix", str(staging), f"{tool.package}@{tool.version}"),
            ]
            return _run(command, staging, dict(os.environ), "npm install") or _verify(tool, staging)

        install_into(tool.prefix, install, f"{tool.package} {tool.version}", tool.install_command)
    return tool.package_dir


def ensure_renovate(pins: ToolPins, progress: Progress = _quiet) -> Path:
    """Return renovate-config-validator's script (run it with `node`), installing Renovate."""
    pin = pins.node_tools.renovate
    package = ensure_node_tool(NodeTool("renovate", pin.version, pin.integrity), progress)
    return package / "dist" / "config-validator.js"


def ensure_catalog_model(pins: ToolPins, progress: Progress = _quiet) -> Path:
    """Return the directory of @backstage/catalog-model, installing it first if needed."""
    pin = pins.node_tools.catalog_model
    return ensure_node_tool(NodeTool("catalog_model", pin.version, pin.integrity), progress)


def ensure_deploy_validators(pins: ToolPins, progress: Progress = _quiet) -> dict[str, Path]:
    """Every validator the deploy checks take (`generator.deploy`'s `tools` mapping)."""
    return {
        "compose": ensure_compose_checker(progress),
        "renovate": ensure_renovate(pins, progress),
        "catalog_model": ensure_catalog_model(pins, progress),
        "node": node(),
    }


def _verify(tool: NodeTool, staging: Path) -> str:
    """Compare npm's record of what it installed with the pin; a failure reason, or ""."""
    lockfile = staging / "node_modules" / ".package-lock.json"
    try:
        packages = json.loads(lockfile.read_text())["packages"]
        record = packages[f"node_modules/{tool.package}"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"npm left no record of {tool.package} in {lockfile.name}"
    if record.get("version") != tool.version:
        return f"npm installed version {record.get('version')}, not {tool.version}"
    if record.get("integrity") != tool.integrity:
        return (
            f"integrity mismatch: the registry's tarball is {record.get('integrity')}, "
            f"shared/tools.yml pins {tool.integrity}"
        )
    return ""


# -- shared ------------------------------------------------------------------------------------


def _run(command: list[str], cwd: Path, env: dict[str, str], what: str) -> str:
    """Run an install command; return "" on success, else the reason in one line."""
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_INSTALL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"{what} took longer than {_INSTALL_TIMEOUT} s"
    except OSError as error:
        return f"{what} could not start: {error}"
    return "" if result.returncode == 0 else _last_line(result.stderr)


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
