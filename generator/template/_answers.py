"""A service's record of its template: the copier answers file, read as untrusted input."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator._git import check_ref, check_source
from generator._paths import inside
from generator.errors import UsageError


@dataclass(frozen=True)
class ServiceInfo:
    """A generated service, as recorded in its copier answers file."""

    path: Path
    name: str
    language: str
    answers: Mapping[str, Any]


ANSWERS_FILE = ".copier-answers.yml"


def load_service(path: Path) -> ServiceInfo:
    """Read a service's answers file, or explain why the directory is not a scaffold service."""
    import yaml

    if not path.is_dir():
        raise UsageError(f"{path} is not a directory", hint="pass the path of a service")
    answers_path = inside(path, ANSWERS_FILE, source="the service")
    if not answers_path.is_file():
        raise UsageError(
            f"{path} is not a scaffold service (no {ANSWERS_FILE})",
            hint="run this inside a service created by `scaffold new`, or pass its path",
        )
    try:
        answers = yaml.safe_load(answers_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"{answers_path} is not UTF-8 text", hint="restore it from git") from None
    except (OSError, yaml.YAMLError) as error:
        # Only the first line: YAML errors quote the file, and the file is untrusted.
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UsageError(
            f"cannot read {answers_path}: {reason}", hint="restore it from git"
        ) from None
    if not isinstance(answers, dict) or not {"service_name", "language"} <= set(answers):
        raise UsageError(
            f"{answers_path} lacks service_name or language", hint="restore it from git"
        )
    origin = f"{ANSWERS_FILE}"
    if "_src_path" in answers:
        check_source(str(answers["_src_path"]), origin=f"{origin} _src_path")
    if "_commit" in answers:
        check_ref(str(answers["_commit"]), origin=f"{origin} _commit")
    return ServiceInfo(path, str(answers["service_name"]), str(answers["language"]), answers)
