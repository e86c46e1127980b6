"""A service's record of its template: the copier answers file, read as untrusted input.

Renovate's copier manager reads the same file: it proposes template updates for a file whose
`_src_path` is a git URL and whose `_commit` is a version tag, and skips any other file. A service
rendered from the bundled templates records no `_src_path` (the bundled templates are no git
repository, and their path is machine-local); `template_version` names their version instead.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator._git import check_ref, check_source
from generator._paths import inside
from generator.errors import TemplateError, UsageError


@dataclass(frozen=True)
class ServiceInfo:
    """A generated service, as recorded in its copier answers file."""

    path: Path
    name: str
    language: str
    answers: Mapping[str, Any]

    @property
    def template_answers(self) -> dict[str, Any]:
        """Return the answers to the template's questions, without copier's own `_` keys."""
        return {k: v for k, v in self.answers.items() if not k.startswith("_")}


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


def rewrite_answers(answers_path: Path, changes: Mapping[str, str | None]) -> None:
    """Set (or, for None, remove) top-level answers in place, atomically, keeping the rest as is.

    Only the entries named in changes are touched: the comment header, the order and the
    formatting copier gave every other answer stay byte for byte; new entries go right after
    the header, where copier puts its `_` keys.
    """
    import yaml

    text = answers_path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        raise UsageError(f"{answers_path} is not a mapping", hint="restore it from git")
    drop: set[int] = set()
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value in changes:
            end = value.end_mark.line if value.end_mark.column > 0 else value.end_mark.line - 1
            drop.update(range(key.start_mark.line, end + 1))
    kept = [line for number, line in enumerate(lines) if number not in drop]
    header = 0
    while header < len(kept) and kept[header].startswith("#"):
        header += 1
    added = {key: value for key, value in sorted(changes.items()) if value is not None}
    entries = yaml.safe_dump(added, sort_keys=False, allow_unicode=True, width=1_000_000)
    new_text = "".join(kept[:header]) + (entries if added else "") + "".join(kept[header:])
    expected = {k: v for k, v in yaml.safe_load(text).items() if k not in changes} | added
    if yaml.safe_load(new_text) != expected:  # never write a file that means something else
        raise TemplateError(
            f"cannot rewrite {answers_path} safely", hint="restore it from git and report this"
        )
    _write_atomically(answers_path, new_text)


def _write_atomically(path: Path, text: str) -> None:
    """Replace path's content in one rename, so a reader never sees half a file."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        temporary.chmod(path.stat().st_mode & 0o7777)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
