"""`scaffold new`: flags in, a service out (questions on a terminal)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from generator._languages import Language
from generator.cli._app import Trust, app, examples, progress, warn_if_trusted
from generator.errors import UsageError


@app.command(
    epilog=examples(
        "scaffold new payments                       # asks, recommends a language",
        "scaffold new payments --lang go --defaults  # scripted, all defaults",
        "scaffold new edge --defaults --trait latency=ultra --trait layer=network",
        "scaffold new billing --lang go --owner billing-team \\",
        "    --module github.com/acme/billing --port 8081 --no-git --defaults",
        "scaffold new billing --template ./golden --ref v1.2.0 --lang rust --defaults",
    )
)
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
        typer.Option(help="Template version (git tag or commit) [default: newest release]."),
    ] = None,
    trust: Trust = False,
) -> None:
    """Generate a new service in ./NAME (interactive on a terminal, scriptable with flags)."""
    from generator import new as service  # deferred: keeps `scaffold --help` fast
    from generator.template import TemplateSource

    if ref and not template:
        raise UsageError("--ref needs --template", hint="pass --template SRC --ref TAG")
    warn_if_trusted(trust)
    flags = {"--description": description, "--owner": owner, "--module": module, "--port": port}
    options = service.NewOptions(
        name=name,
        language=lang,
        directory=directory,
        flags=service.answers_from_flags(flags),
        data=list(data or []),
        traits=list(trait or []),
        defaults=defaults,
        git=not no_git,
        interactive=sys.stdin.isatty() and not defaults,
        template=TemplateSource.parse(template, ref, trust=trust),
    )
    result = service.new_service(options, progress=progress, show=typer.echo)
    typer.echo(f"Created {result.name} ({result.language}) in {result.path}")
    typer.echo(f"Next: cd {shlex.quote(result.display_path)} && make build test lint run")
