"""Names and values that must build: the platform's naming rules plus the toolchains' own.

The platform's rules (pattern, length, reserved names) come from the template's shared/naming.yml.
The toolchains' rules are facts of Go and Rust, not policy, so they live here and apply to every
template: Go's module-path rules (golang.org/x/mod/module.CheckPath), Rust's keywords for the
template's edition, and the file names Windows reserves (which the go tool rejects everywhere).
"""

from __future__ import annotations

import re
from collections.abc import Set

from generator.errors import UsageError
from generator.template import NamingRules

_HINT = "use lowercase letters, digits and single dashes, starting with a letter, e.g. payments-api"

# Keywords of Rust 2024 (the Reference, "Keywords"): strict and reserved ones cannot name a crate
# that other code `use`s. Weak keywords (union, raw, safe, macro_rules) are ordinary identifiers.
# fmt: off
RUST_STRICT_KEYWORDS = frozenset([
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
    "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true",
    "type", "unsafe", "use", "where", "while",
])
RUST_RESERVED_KEYWORDS = frozenset([
    "abstract", "become", "box", "do", "final", "gen", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
])
# fmt: on
RUST_KEYWORDS = RUST_STRICT_KEYWORDS | RUST_RESERVED_KEYWORDS

# Path elements Windows reserves, compared case-insensitively up to the first dot; the go tool
# rejects them in every module and import path, on every operating system.
WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{n}" for n in range(1, 10)]
    + [f"lpt{n}" for n in range(1, 10)]
)

_GO_PATH_PUNCTUATION = frozenset("-._~")


def validate_service_name(
    name: str, rules: NamingRules, dependencies: Set[str] = frozenset()
) -> str:
    """Return the name if every toolchain accepts it, else raise a UsageError saying why.

    dependencies are the package names of the Rust template's lockfile: cargo cannot build a
    package that shares its name with one of its own dependencies.
    """
    if not name:
        raise UsageError("the service name is empty", hint=_HINT)
    if len(name) > rules.max_length:
        raise UsageError(
            f"the service name is {len(name)} characters long; the limit is {rules.max_length}",
            hint="choose a shorter name",
        )
    # fullmatch, never search: a `$` in the pattern would otherwise let a trailing newline in.
    if not re.fullmatch(rules.pattern, name):
        raise UsageError(f"invalid service name {name!r}", hint=_HINT)
    qualify = f"add a qualifier, e.g. {name}-svc"
    if name in rules.reserved:
        raise UsageError(
            f"{name!r} is reserved: it clashes with a Go or Rust toolchain name", hint=qualify
        )
    if name.replace("-", "_") in RUST_KEYWORDS:
        raise UsageError(f"{name!r} is a Rust keyword and cannot name a crate", hint=qualify)
    if name in WINDOWS_RESERVED:
        raise UsageError(
            f"{name!r} is a file name Windows reserves; the go tool rejects it in module paths",
            hint=qualify,
        )
    if name in dependencies or name.replace("-", "_") in dependencies:
        raise UsageError(f"{name!r} is the name of a Rust dependency of the template", hint=qualify)
    return name


def go_module_problem(path: str) -> str:
    """Why the go tool would reject path as a module path, or "" when it is valid.

    The rules of golang.org/x/mod/module.CheckPath (v0.43.0; the ones `go mod init` and the module
    proxy apply), so the module can also be required by other modules. The test suite compares
    this function with that Go function itself (tests/oracles/gomodpath).
    """
    if path.startswith("-"):
        return "the module path must not start with a dash"
    problem = _module_path_elements_problem(path)
    if problem:
        return problem
    first = path.split("/", 1)[0]
    if "." not in first:
        return f"the first path element {first!r} must be a domain name, with a dot"
    if any(not (c.isascii() and (c.islower() or c.isdigit() or c in "-.")) for c in first):
        return f"the first path element {first!r} may hold only lowercase letters, digits, - and ."
    if not _major_version_suffix_ok(path):
        return "a final /vN element must be /v2 or higher, without dots or leading zeros"
    return ""


def _module_path_elements_problem(path: str) -> str:
    """Apply the rules every element of a Go module path follows."""
    if not path:
        return "the module path is empty"
    if "//" in path or path.startswith("/") or path.endswith("/"):
        return "the module path must not have empty elements or leading/trailing slashes"
    return next(filter(None, map(_element_problem, path.split("/"))), "")


def _element_problem(element: str) -> str:
    if element.strip(".") == "" or element.startswith(".") or element.endswith("."):
        return f"element {element!r} must not start or end with a dot"
    bad = [c for c in element if not (_ascii_alnum(c) or c in _GO_PATH_PUNCTUATION)]
    if bad:
        return f"element {element!r} has {bad[0]!r}; use letters, digits and - . _ ~"
    short = element.split(".", 1)[0]
    if short.lower() in WINDOWS_RESERVED:
        return f"element {element!r} is a file name Windows reserves"
    if re.search(r"~[0-9]+\Z", short):
        return f"element {element!r} looks like a Windows short name (~ and digits)"
    return ""


def _ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _major_version_suffix_ok(path: str) -> bool:
    """module.SplitPathVersion: /v0, /v1, /v01 and /v2.1 are not major-version suffixes."""
    if path.startswith("gopkg.in/"):
        return bool(re.search(r"\.v(0|[1-9][0-9]*)(-unstable)?\Z", path))
    match = re.search(r"/v([0-9.]+)\Z", path)
    if match is None:
        return True
    digits = match.group(1)
    return "." not in digits and not digits.startswith("0") and digits != "1"
