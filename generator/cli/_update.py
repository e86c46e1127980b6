"""`scaffold update`: bring a service to a newer template version, keeping its own edits."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator.cli._app import Trust, app, examples, progress, warn_if_trusted


@app.command(
    epilog=examples(
        "scaffold update                       # to the newest release of the recorded template",
        "scaffold update services/payments --to v1.2.0",
        "scaffold update --dry-run             # show the diff, change nothing",
        "scaffold update --template git@github.com:acme/golden.git  # onto a golden repository",
    )
)
def update(
    path: Annotated[Path, typer.Argument(help="The service to update.")] = Path(),
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="REF", help="Template version [default: newest release]."),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            metavar="URL",
            help="Move the service onto this golden repository (git URL or path) first: "
            "record it, at the tag holding the templates the service was made from, then update.",
        ),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="TAG",
            help="With --template: the tag holding the templates the service was made from "
            "[default: found from the recorded version].",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the diff; change nothing."),
    ] = False,
    trust: Trust = False,
) -> None:
    """Bring a service up to a newer golden template version, keeping local changes."""
    from generator.lifecycle import update_service

    warn_if_trusted(trust)
    result = update_service(
        path,
        to=to,
        dry_run=dry_run,
        progress=progress,
        template=template,
        base=base,
        trust=trust,
    )
    if dry_run:
        typer.echo(result.diff or "(no changes)")
    verb = "would change" if dry_run else "changed"
    typer.echo(
        f"{result.service}: {result.from_version} -> {result.to_version}; "
        f"{verb} {len(result.changed)} files"
    )
    if result.moved_to:
        verb = "would record" if dry_run else "records"
        typer.echo(f"{result.service} {verb} its template as {result.moved_to} {result.to_version}")
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
