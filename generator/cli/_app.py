"""The `scaffold` command line: a thin typer layer over the generator library.

Commands parse flags, call the library, and print. Every ScaffoldError becomes one line on
stderr and the error's exit code (2 for bad input), so scripts can tell failures apart.
"""

from __future__ import annotations

import json
import shlex
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer._click.exceptions import UsageError as ClickUsageError
from typer.core import TyperGroup
from typer.exceptions import Abort

from generator import __version__
from generator.errors import Aborted, ScaffoldError, UsageError

# The signal that interrupted this run, if any: SIGINT, SIGTERM and SIGHUP unwind alike (staging
# folders are removed) and the exit code is the shell's 128 + signal number.
_received_signal: int | None = None


class _OneLineErrors(TyperGroup):
    """Print click's own usage errors (unknown option, bad choice) as one line, exit code 2."""

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
        except NoArgsIsHelpError as error:
            error.show()
            code = error.exit_code
        except ClickUsageError as error:
            where = error.ctx.command_path if error.ctx else "scaffold"
            typer.echo(f"error: {error.format_message()} (hint: see `{where} --help`)", err=True)
            code = 2
        except ClickException as error:
            typer.echo(f"error: {error.format_message()}", err=True)
            code = error.exit_code
        except Abort:
            typer.echo("error: interrupted; nothing was written", err=True)
            code = 130
        else:
            code = result if isinstance(result, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


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
    cls=_OneLineErrors,
)

F = TypeVar("F", bound=Callable[..., Any])


def _fail_cleanly(command: F) -> F:
    """Turn library errors into one line on stderr and a distinct exit code."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ScaffoldError as error:
            typer.echo(f"error: {error.one_line()}", err=True)
            raise typer.Exit(_interrupted_code(error.exit_code, error)) from None
        except KeyboardInterrupt:
            typer.echo("error: interrupted; nothing was written", err=True)
            raise typer.Exit(_interrupted_code(130, Aborted(""))) from None

    return wrapper  # type: ignore[return-value]


def _interrupted_code(code: int, error: ScaffoldError) -> int:
    if isinstance(error, Aborted) and _received_signal is not None:
        return 128 + _received_signal
    return code


TRUST_HELP = (
    "Let the template run code on this machine (copier _tasks, _migrations, "
    "_jinja_extensions). Only for templates you control; see SECURITY.md."
)


def _warn_if_trusted(trust: bool) -> None:
    if trust:
        typer.echo(
            "warning: --trust: the template may run commands on this machine as you", err=True
        )


class Language(StrEnum):
    """Languages scaffold generates."""

    go = "go"
    rust = "rust"


def _progress(message: str) -> None:
    typer.echo(f"  · {message}…", err=True)


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


@app.command(
    epilog=(
        "Examples:\n\n\b\n"
        "  scaffold new payments                       # asks, recommends a language\n"
        "  scaffold new payments --lang go --defaults  # scripted, all defaults\n"
        "  scaffold new edge --defaults --trait latency=ultra --trait layer=network\n"
        "  scaffold new billing --lang go --owner billing-team \\\n"
        "      --module github.com/acme/billing --port 8081 --no-git --defaults"
    )
)
@_fail_cleanly
def new(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Service name: lowercase letters, digits, dashes.")
    ],
    lang: Annotated[
        Language | None,
        typer.Option("--lang", help="Language; omit it to get a recommendation from --trait."),
    ] = None,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where to create the service [default: ./NAME].")
    ] = None,
    description: Annotated[
        str | None, typer.Option(help="One-line description of the service.")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Owning team.")] = None,
    module: Annotated[
        str | None, typer.Option(help="Go module path [default: example.com/OWNER/NAME].")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Default of the PORT variable.")] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data", metavar="KEY=VALUE", help="Any template answer as key=value (repeatable)."
        ),
    ] = None,
    trait: Annotated[
        list[str] | None,
        typer.Option(
            "--trait",
            metavar="KEY=VALUE",
            help="Service trait as key=value (repeatable); see `scaffold recommend`.",
        ),
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Take defaults for everything not given; no prompts.")
    ] = False,
    no_git: Annotated[
        bool, typer.Option("--no-git", help="Do not create a git repository.")
    ] = False,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            metavar="SRC",
            help="Golden template repository (path or git URL) [default: bundled templates].",
        ),
    ] = None,
    ref: Annotated[
        str | None,
        typer.Option(help="Template version (git tag or commit) [default: newest tag]."),
    ] = None,
    trust: Annotated[bool, typer.Option("--trust", help=TRUST_HELP)] = False,
) -> None:
    """Generate a new service in ./NAME (interactive on a terminal, scriptable with flags)."""
    from generator import new as service  # deferred: keeps `scaffold --help` fast
    from generator.template import TemplateSource

    if ref and not template:
        raise UsageError("--ref needs --template", hint="pass --template SRC --ref TAG")
    _warn_if_trusted(trust)

    flags: dict[str, Any] = {
        "description": description,
        "owner": owner,
        "go_module": module,
        "port": port,
    }
    options = service.NewOptions(
        name=name,
        language=lang.value if lang else None,
        directory=directory,
        flags={key: value for key, value in flags.items() if value is not None},
        data=list(data or []),
        traits=list(trait or []),
        defaults=defaults,
        git=not no_git,
        interactive=sys.stdin.isatty() and not defaults,
        template=TemplateSource.parse(template, ref, trust=trust),
    )
    result = service.new_service(options, progress=_progress, show=typer.echo)
    typer.echo(f"Created {result.name} ({result.language}) in {result.path}")
    typer.echo(f"Next: cd {shlex.quote(result.display_path)} && make build test lint run")


@app.command(
    epilog=(
        "Examples:\n\n\b\n"
        "  scaffold recommend                          # asks on a terminal\n"
        "  scaffold recommend --trait latency=ultra --trait workload=cpu\n"
        "  scaffold recommend --trait teams=many --trait change_rate=high --json"
    )
)
@_fail_cleanly
def recommend(
    trait: Annotated[
        list[str] | None,
        typer.Option("--trait", metavar="KEY=VALUE", help="Service trait (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Recommend Go or Rust from the service's traits, with reasons and caveats."""
    from generator import recommend as engine

    traits = engine.parse_traits(trait or [])
    if not traits and sys.stdin.isatty() and not as_json:
        from generator.new import _prompts as prompts

        traits = prompts.ask_traits(traits)
    result = engine.recommend(traits)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        typer.echo(engine.format_recommendation(result))
        typer.echo("\nTraits (key=value for --trait):")
        typer.echo(_traits_help(engine.TRAITS))


@app.command(
    epilog=(
        "Examples:\n\n\b\n"
        "  scaffold check --run                     # build ./ and verify every contract item\n"
        "  scaffold check services/payments --run --no-build --json"
    )
)
@_fail_cleanly
def check(
    path: Annotated[Path, typer.Argument(help="The service to check.")] = Path(),
    run: Annotated[
        bool, typer.Option("--run", help="Build and run the service against the contract.")
    ] = False,
    build: Annotated[
        bool, typer.Option("--build/--no-build", help="Run `make build` first (else use bin/NAME).")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    trust: Annotated[bool, typer.Option("--trust", help=TRUST_HELP)] = False,
) -> None:
    """Check that a service still keeps the platform contract; non-zero exit on findings."""
    from generator.conformance import check_service

    _warn_if_trusted(trust)
    outcome = check_service(path, run=run, build=build, trust=trust, progress=_progress)
    if as_json:
        typer.echo(json.dumps(outcome.to_dict(), indent=2))
    else:
        width = max((len(r.item) for r in outcome.results), default=4)
        typer.echo(f"{'item':<{width}}  result  detail")
        for result in outcome.results:
            mark = "pass" if result.passed else "FAIL"
            typer.echo(f"{result.item:<{width}}  {mark:<6}  {result.detail}")
        failed = sum(not r.passed for r in outcome.results)
        summary = "all passed" if not failed else f"{failed} failed"
        typer.echo(
            f"\n{outcome.service} ({outcome.language}): {len(outcome.results)} items, {summary}"
        )
        for result in outcome.results:
            if result.diff:
                typer.echo(f"\n{result.diff}")
    raise typer.Exit(outcome.exit_code)


@app.command(
    epilog=(
        "Examples:\n\n\b\n"
        "  scaffold update                       # to the newest tag of the recorded template\n"
        "  scaffold update services/payments --to v1.2.0\n"
        "  scaffold update --dry-run             # show the diff, change nothing"
    )
)
@_fail_cleanly
def update(
    path: Annotated[Path, typer.Argument(help="The service to update.")] = Path(),
    to: Annotated[
        str | None, typer.Option("--to", metavar="REF", help="Template version [default: newest].")
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the diff; change nothing."),
    ] = False,
    trust: Annotated[bool, typer.Option("--trust", help=TRUST_HELP)] = False,
) -> None:
    """Bring a service up to a newer golden template version, keeping local changes."""
    from generator.lifecycle import update_service

    _warn_if_trusted(trust)
    result = update_service(path, to=to, dry_run=dry_run, progress=_progress, trust=trust)
    if dry_run:
        typer.echo(result.diff or "(no changes)")
    verb = "would change" if dry_run else "changed"
    typer.echo(
        f"{result.service}: {result.from_version} -> {result.to_version}; "
        f"{verb} {len(result.changed)} files"
    )
    for name in result.changed:
        typer.echo(f"  {'CONFLICT ' if name in result.conflicts else ''}{name}")
    if result.conflicts:
        typer.echo(
            f"{len(result.conflicts)} conflicts: resolve the <<<<<<< markers in "
            f"{', '.join(result.conflicts)}, then commit",
            err=True,
        )
        raise typer.Exit(1)
    if not dry_run and result.changed:
        typer.echo("Review with `git diff`, run `make build test lint`, then commit.")


@app.command(
    epilog=(
        "Examples:\n\n\b\n"
        "  scaffold smoke                                # bundled templates, default matrix\n"
        "  scaffold smoke --template . --matrix full --junit smoke.xml\n"
        "  scaffold smoke --lang rust --json smoke.json --keep"
    )
)
@_fail_cleanly
def smoke(
    template: Annotated[
        str | None, typer.Option("--template", metavar="SRC", help="Template source.")
    ] = None,
    ref: Annotated[str | None, typer.Option(help="Template version (git tag).")] = None,
    lang: Annotated[Language | None, typer.Option("--lang", help="Only this language.")] = None,
    matrix: Annotated[
        str, typer.Option(help="default (every value and pair of values) or full (all).")
    ] = "default",
    jobs: Annotated[int, typer.Option(min=1, help="Variants run in parallel.")] = 1,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML here.")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="Write JSON here.")] = None,
    keep: Annotated[bool, typer.Option(help="Keep the rendered variants.")] = False,
    trust: Annotated[bool, typer.Option("--trust", help=TRUST_HELP)] = False,
) -> None:
    """Render, build, test, lint and run every template variant; non-zero exit on any failure."""
    import os
    import shutil

    from generator.lifecycle import smoke as runner
    from generator.template import Template, TemplateSource, checked_out

    _warn_if_trusted(trust)
    source = TemplateSource.parse(template, ref, trust=trust)
    with checked_out(source) as template_dir:
        axes = Template.load(template_dir, trusted=trust).smoke["axes"]
    selected = runner.variants(axes, matrix, lang.value if lang else None)
    workdir = runner.default_workdir()
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", str(Path.home() / ".cache" / "scaffold" / "cargo-target"))
    typer.echo(f"smoke: {len(selected)} variants ({matrix} matrix) in {workdir}", err=True)
    try:
        results = runner.Smoke(source, workdir, env, _progress).run(selected, jobs=jobs)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    typer.echo(runner.summary_table(results))
    for result in results:
        for step in result.steps:
            if not step.passed:
                typer.echo(f"\n{result.variant.name}: {step.step} failed\n{step.output}")
    if junit:
        junit.write_text(runner.junit_xml(results), encoding="utf-8")
    if json_file:
        json_file.write_text(runner.to_json(results), encoding="utf-8")
    failed = [r.variant.name for r in results if not r.passed]
    typer.echo(f"\n{len(results) - len(failed)}/{len(results)} variants passed")
    if failed:
        raise typer.Exit(1)


golden_app = typer.Typer(
    name="golden",
    help="Manage a platform team's golden template repository.",
    no_args_is_help=True,
)
app.add_typer(golden_app)


@golden_app.command(
    "init",
    epilog=(
        "Examples:\n\n\b\n"
        "  scaffold golden init golden-templates\n"
        "  scaffold new payments --template ./golden-templates --defaults --lang go"
    ),
)
@_fail_cleanly
def golden_init(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="New repository.")],
) -> None:
    """Start a versioned golden-template git repository from the bundled templates."""
    from generator.lifecycle import INITIAL_TAG, init_golden

    path = init_golden(directory, __version__, progress=_progress)
    typer.echo(f"Created golden templates {INITIAL_TAG} in {path}")
    typer.echo(f"Next: scaffold new NAME --template {path}")


def _traits_help(traits: Mapping[str, Any]) -> str:
    return "\n".join(
        f"  {name:<13} {' | '.join(spec.values)}  (default {spec.default})"
        for name, spec in traits.items()
    )


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
    try:
        app()
    except UsageError as error:  # pragma: no cover - raised outside a command
        typer.echo(f"error: {error.one_line()}", err=True)
        sys.exit(error.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
