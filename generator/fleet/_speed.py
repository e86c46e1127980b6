"""Faster renders in fleet worker processes, where one process renders hundreds of services.

copier builds a fresh Jinja environment for every render, so every template file is compiled
again, and it parses the template's YAML (the contract, ~600 lines) with PyYAML's pure-Python
loader several times per render. In a long-lived worker both repeat identically for every
service. Process-wide settings, applied only in fleet workers (never in the CLI's own
process): compiled templates are kept per source text and environment syntax (the code Jinja
generates depends on nothing else; the rendering context is supplied at run time), and
`yaml.safe_load` uses libyaml's C loader when PyYAML has it (the same safe schema).
copier also runs `git config` once per rendered file, to keep a destination repository's index
in step with executable bits when its core.fileMode is false. Where that provably does nothing
(a fresh temporary directory, or a scratch clone whose core.fileMode is true, as git sets it on
any filesystem with executable bits), `index_sync_is_a_no_op()` skips it: ~80 git starts per
render. SCAFFOLD_FLEET_PLAIN=1 turns all three off; `python -m benchmarks.fleet` measures the
gain that way (benchmarks/RESULTS.md, "Fleet"). A test renders with and without them and
compares every byte.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_applied = False


def speed_up_rendering() -> None:
    """Apply the settings once in this process (a worker initializer), unless turned off."""
    global _applied  # noqa: PLW0603 - once per process
    if _applied or os.environ.get("SCAFFOLD_FLEET_PLAIN") == "1":
        return
    _applied = True
    _cache_compiled_templates()
    _use_libyaml()
    _skip_index_sync_when_a_no_op()


_no_op_index_sync: ContextVar[bool] = ContextVar("no_op_index_sync", default=False)


@contextmanager
def index_sync_is_a_no_op() -> Iterator[None]:
    """Within this block, skip copier's index sync (the caller knows it would do nothing)."""
    token = _no_op_index_sync.set(True)
    try:
        yield
    finally:
        _no_op_index_sync.reset(token)


def _skip_index_sync_when_a_no_op() -> None:
    from copier import _main

    worker = getattr(_main, "Worker", None)
    sync = getattr(worker, "_sync_git_index_executable_bit", None)
    if worker is None or sync is None:
        return  # another copier: nothing to skip

    def sync_unless_a_no_op(self: Any, *args: Any) -> None:
        if not _no_op_index_sync.get():
            sync(self, *args)

    worker._sync_git_index_executable_bit = sync_unless_a_no_op


def _cache_compiled_templates() -> None:
    import jinja2

    compile_source: Any = jinja2.Environment.compile  # overloaded on raw; passed through
    compiled: dict[Hashable, Any] = {}

    def compile_once(
        self: jinja2.Environment,
        source: Any,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        if not isinstance(source, str):  # an already parsed template: nothing to key on
            return compile_source(self, source, name, filename, raw, defer_init)
        key = (source, name, raw, defer_init, type(self), _syntax(self))
        if key not in compiled:
            compiled[key] = compile_source(self, source, name, filename, raw, defer_init)
        return compiled[key]

    jinja2.Environment.compile = compile_once  # type: ignore[method-assign]


def _syntax(env: Any) -> tuple[Hashable, ...]:
    """Every environment setting the generated code depends on."""
    return (
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        tuple(sorted(env.extensions)),
        env.optimized,
        env.is_async,
        repr(env.finalize),
        repr(env.autoescape),
    )


def _use_libyaml() -> None:
    import yaml

    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return

    def safe_load(stream: Any) -> Any:
        return yaml.load(stream, Loader=loader)  # noqa: S506 - the safe (C) loader

    yaml.safe_load = safe_load
