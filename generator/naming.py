"""Service-name validation, with rules read from the template's shared/naming.yml."""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from typing import Any

from generator.errors import UsageError

_HINT = "use lowercase letters, digits and single dashes, starting with a letter, e.g. payments-api"


def validate_service_name(
    name: str, rules: Mapping[str, Any], dependencies: Set[str] = frozenset()
) -> str:
    """Return the name if every toolchain accepts it, else raise a UsageError saying why.

    dependencies are the package names of the Rust template's lockfile: cargo cannot build a
    package that shares its name with one of its own dependencies.
    """
    if not name:
        raise UsageError("the service name is empty", hint=_HINT)
    max_length = int(rules["max_length"])
    if len(name) > max_length:
        raise UsageError(
            f"the service name is {len(name)} characters long; the limit is {max_length}",
            hint="choose a shorter name",
        )
    if not re.fullmatch(str(rules["pattern"]), name):
        raise UsageError(f"invalid service name {name!r}", hint=_HINT)
    if name in set(rules["reserved"]):
        raise UsageError(
            f"{name!r} is reserved: it clashes with a Go or Rust toolchain name",
            hint="add a qualifier, e.g. {name}-svc".replace("{name}", name),
        )
    if name in dependencies or name.replace("-", "_") in dependencies:
        raise UsageError(
            f"{name!r} is the name of a Rust dependency of the template",
            hint=f"add a qualifier, e.g. {name}-svc",
        )
    return name
