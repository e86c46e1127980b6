"""What the local-stack, catalog and Renovate checks share: their tools, their runs, their files."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from generator._paths import inside
from generator.errors import ArtifactInvalid, ToolchainError

_TIMEOUT = 120
MAX_FINDINGS = 12


def tool(tools: Mapping[str, Path], name: str, what: str) -> Path:
    """Return the validator `name` from the mapping; ToolchainError when it is not there."""
    path = tools.get(name)
    if path is None:
        raise ToolchainError(
            f"{what} cannot be validated: {name} was not provisioned",
            hint="scaffold doctor --install installs it (scaffold smoke does on first use)",
        )
    return path


def run(
    command: Sequence[str | Path],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a validator: its failing is the caller's business, its not running a ToolchainError."""
    name = Path(command[0]).name
    try:
        return subprocess.run(
            [str(part) for part in command],
            cwd=cwd,
            env=None if env is None else dict(env),
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ToolchainError(f"{name} took longer than {_TIMEOUT} s") from None
    except OSError as error:
        raise ToolchainError(f"{name} could not be run: {error}") from None


def read(service: Path, name: str) -> str:
    """Return a generated file's text, or ArtifactInvalid when it is missing or unreadable."""
    path = inside(service, name, source="the service")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArtifactInvalid(f"{name}: missing", hint="restore it from the template") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ArtifactInvalid(f"{name}: cannot be read: {error}") from None


def load_yaml(text: str, name: str) -> Any:
    """Parse YAML, or ArtifactInvalid with the parser's first line."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "invalid YAML"
        raise ArtifactInvalid(f"{name}: not valid YAML: {reason}") from None


def fail(name: str, findings: Iterable[str]) -> None:
    """Raise ArtifactInvalid listing the findings (`validator: what`), if there are any."""
    found = list(dict.fromkeys(findings))
    if not found:
        return
    shown = "; ".join(found[:MAX_FINDINGS])
    more = f"; and {len(found) - MAX_FINDINGS} more" if len(found) > MAX_FINDINGS else ""
    raise ArtifactInvalid(f"{name}: {shown}{more}")


def tail(text: str, lines: int = 4) -> str:
    """Return the last non-empty lines of a tool's output, joined on one line."""
    kept = [line.strip() for line in text.splitlines() if line.strip()]
    return " / ".join(kept[-lines:]) if kept else "no output"
