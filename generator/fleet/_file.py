"""The fleet file (`fleet.yml`): which service repositories a platform team keeps on a template.

    services:
      - repo: git@github.com:acme/payments.git   # a git URL or a path
        branch: main                             # the default branch (default: main)
        name: payments                           # optional: overrides the recorded name
        owner: team-payments                     # optional: overrides the recorded owner

The file is input a person edits: every bad entry is refused with its position and the reason,
before any repository is touched. Relative paths are relative to the fleet file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator._git import check_ref, check_source
from generator.errors import UsageError
from generator.fleet._model import Entry

_KEYS = {"repo", "branch", "name", "owner"}
_HINT = "each entry of services: needs repo: (a git URL or path); branch, name, owner are optional"


@dataclass(frozen=True)
class Fleet:
    """A fleet file's services, in its order (the order waves follow: canaries first)."""

    path: Path
    services: tuple[Entry, ...]

    def select(self, only: list[str]) -> tuple[Entry, ...]:
        """Return the entries --only names (by name or repo, comma-separated), in file order."""
        wanted = {name.strip() for item in only for name in item.split(",") if name.strip()}
        if not wanted:
            return self.services
        known = {key for e in self.services for key in (e.label, e.repo)}
        unknown = sorted(wanted - known)
        if unknown:
            raise UsageError(
                f"--only {unknown[0]}: no service of {self.path.name} has that name or repo",
                hint="a name is an entry's name:, else the last part of its repo:",
            )
        return tuple(e for e in self.services if {e.label, e.repo} & wanted)


def load_fleet(path: Path) -> Fleet:
    """Read and check a fleet file; raise UsageError (exit 2) naming the first bad entry."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{path}: no such fleet file", hint="see `scaffold fleet --help`"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}", hint="pass a fleet.yml") from None
    except yaml.YAMLError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "invalid YAML"
        raise UsageError(f"{path} is not valid YAML: {first}", hint=_HINT) from None
    if not isinstance(data, dict) or not isinstance(data.get("services"), list):
        raise UsageError(f"{path} has no services: list", hint=_HINT)
    entries = tuple(_entry(path, i, raw) for i, raw in enumerate(data["services"], 1))
    if not entries:
        raise UsageError(f"{path} lists no services", hint=_HINT)
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries, 1):
        for key in (f"{entry.repo} {entry.branch}", entry.label):
            if key in seen:
                raise UsageError(
                    f"{path} entry {i}: {key!r} is listed twice (entries {seen[key]} and {i})",
                    hint="list each service once; give one of them another name:",
                )
            seen[key] = i
    return Fleet(path, entries)


def _entry(path: Path, index: int, raw: Any) -> Entry:
    where = f"{path} entry {index}"
    if isinstance(raw, str):
        raw = {"repo": raw}
    if not isinstance(raw, dict):
        raise UsageError(f"{where} is not a mapping", hint=_HINT)
    unknown = sorted(str(key) for key in set(raw) - _KEYS)
    if unknown:
        raise UsageError(f"{where} has unknown field {unknown[0]!r}", hint=_HINT)
    values: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(value, str) or not value.strip():
            raise UsageError(f"{where}: {key} must be a non-empty string", hint=_HINT)
        values[key] = value.strip()
    if "repo" not in values:
        raise UsageError(f"{where} has no repo:", hint=_HINT)
    repo = check_source(_resolve(path, values["repo"]), origin=f"{where} repo")
    branch = check_ref(values.get("branch", "main"), origin=f"{where} branch")
    name = values.get("name")
    if name is not None and not name.replace("-", "").replace("_", "").isalnum():
        raise UsageError(f"{where}: name {name!r} is not a service name", hint="e.g. payments")
    return Entry(repo, branch, name, values.get("owner"))


def _resolve(fleet: Path, repo: str) -> str:
    """Resolve a relative path against the fleet file; URLs and absolute paths stay as written."""
    if "://" in repo or (":" in repo and not repo.startswith((".", "/"))):
        return repo  # https://, ssh://, file://, or scp-like git@host:path
    local = Path(repo).expanduser()
    return str(local if local.is_absolute() else (fleet.parent / local).absolute())


def is_local(repo: str) -> bool:
    """Whether a repository is a path on this machine (or a file:// URL), not a remote."""
    return repo.startswith(("/", "file://"))
