"""`scaffold golden`: a platform team's own versioned golden-template repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator import __version__
from generator.cli._app import app, examples, progress

golden_app = typer.Typer(
    name="golden",
    help="Manage a platform team's golden template repository.",
    no_args_is_help=True,
)
app.add_typer(golden_app)


@golden_app.command(
    "init",
    epilog=examples(
        "scaffold golden init golden-templates",
        "scaffold new payments --template ./golden-templates --defaults --lang go",
    ),
)
def golden_init(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="New repository.")],
) -> None:
    """Start a versioned golden-template git repository from the bundled templates."""
    from generator.lifecycle import INITIAL_TAG, init_golden

    path = init_golden(directory, __version__, progress=progress)
    typer.echo(f"Created golden templates {INITIAL_TAG} in {path}")
    typer.echo(f"Next: scaffold new NAME --template {path}")
