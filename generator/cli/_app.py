"""The typer app and its one error boundary; every command module registers on `app`.

Library errors (ScaffoldError), click's usage errors, Ctrl-C and the signals that stop a run all
become one line on stderr and a distinct exit code here, in one place, so commands only parse
flags, call the library and print.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from generator import __version__
from generator.errors import Aborted, ScaffoldError

INTERRUPTED = "interrupted; nothing was written"
# The signal that interrupted this run, if any: SIGINT, SIGTERM and SIGHUP unwind alike (staging
# folders are removed) and the exit code is the shell's 128 + signal number.
_received_signal: int | None = None


class _ErrorBoundary(TyperGroup):
    """Turns every failure into one line on stderr and its exit code."""

    def invoke(self, ctx: Any) -> Any:  # Any: typer's public Context is click's subclass
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # typer would turn it into a silent exit 130
            raise Aborted(INTERRUPTED) from None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )
        except ScaffoldError as error:
            typer.echo(f"error: {error.one_line()}", err=True)
            code = _signal_code(error.exit_code) if isinstance(error, Aborted) else error.exit_code
        except typer.TyperException as error:  # click's own: unknown option, bad value…
            code = _report_click_error(error)
        except (typer.Abort, KeyboardInterrupt):
            typer.echo(f"error: {INTERRUPTED}", err=True)
            code = _signal_code(130)
        else:
            code = result if isinstance(result, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _report_click_error(error: typer.TyperException) -> int:
    message = error.format_message()
    ctx = getattr(error, "ctx", None)
    if ctx is not None and message == ctx.get_help():  # no arguments: the help is the answer
        typer.echo(message, err=True)
    elif error.exit_code == 2:
        where = ctx.command_path if ctx is not None else "scaffold"
        typer.echo(f"error: {message} (hint: see `{where} --help`)", err=True)
    else:
        typer.echo(f"error: {message}", err=True)
    return error.exit_code


def _signal_code(default: int) -> int:
    return 128 + _received_signal if _received_signal is not None else default


app = typer.Typer(
    name="scaffold",
    help=(
        "Generate Go (gin) and Rust (axum) services that keep one platform contract: "
        "the same logs, health, errors, shutdown, Makefile, Dockerfile and CI."
    ),
    epilog=(
        "Examples:\n\n\b\n"
        "  scaffold new payments                      # interactive on a terminal\n"
        "  scaffold new payments --lang rust --defaults\n"
        "  scaffold recommend --trait latency=ultra --trait workload=cpu --json"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    cls=_ErrorBoundary,
)

TRUST_HELP = (
    "Let the template run code on this machine (copier _tasks, _migrations, "
    "_jinja_extensions). Only for templates you control; see SECURITY.md."
)
Trust = Annotated[bool, typer.Option("--trust", help=TRUST_HELP)]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def progress(message: str) -> None:
    """Show a step of slow work on stderr, so stdout stays the command's answer."""
    typer.echo(f"  · {message}…", err=True)


def warn_if_trusted(trust: bool) -> None:
    """Say, every time, that --trust lets the template run commands."""
    if trust:
        typer.echo(
            "warning: --trust: the template may run commands on this machine as you", err=True
        )


def examples(*lines: str) -> str:
    r"""Return an epilog that click prints verbatim (\b keeps the lines as they are)."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"scaffold {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", help="Show the version and exit.", callback=_version_callback),
    ] = False,
) -> None:
    """Generate Go (gin) and Rust (axum) services that keep one platform contract."""


class _Signalled(KeyboardInterrupt):
    """A signal that unwinds like Ctrl-C.

    A subclass, not KeyboardInterrupt itself: CPython 3.11 kills the process with SIGINT at exit
    when a bare KeyboardInterrupt passed through an exec() of a string (dataclass creation in a
    lazy import), even after it was handled, and that would replace our exit code.
    """


def _unwind_on_signal(signum: int, _frame: object) -> None:
    """SIGINT/SIGTERM/SIGHUP: unwind like Ctrl-C, so staging folders are removed on the way out."""
    global _received_signal  # noqa: PLW0603 - one process-wide fact, set once
    _received_signal = signum
    raise _Signalled(signum)


def main() -> None:
    """Console-script entry point."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _unwind_on_signal)
    app()
