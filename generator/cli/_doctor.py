"""`scaffold doctor`: which tools this machine has, at which version, against the pins."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from generator._languages import LANGUAGES, Language
from generator.cli._app import Json, app, examples, progress
from generator.errors import ToolchainError
from generator.report import table


@app.command(
    epilog=examples(
        "scaffold doctor                       # check against the bundled templates' pins",
        "scaffold doctor --install             # first install what scaffold provisions itself",
        "scaffold doctor --template ../golden --lang rust --json",
    )
)
def doctor(
    template: Annotated[
        str | None, typer.Option("--template", metavar="SRC", help="Template whose pins to use.")
    ] = None,
    ref: Annotated[str | None, typer.Option(help="Template version (git tag).")] = None,
    lang: Annotated[
        Language | None, typer.Option("--lang", help="Only this language's tools.")
    ] = None,
    install: Annotated[
        bool,
        typer.Option(
            "--install", help="Install the pinned tools scaffold provisions itself (actionlint)."
        ),
    ] = False,
    as_json: Json = False,
) -> None:
    """List every tool scaffold and its services need: pinned, found, usable.

    Exit code 4 when a required tool is not usable (docker is optional).
    """
    from generator.template import Template, TemplateSource, checked_out
    from generator.tools import doctor as run_doctor
    from generator.tools import tools_dir

    source = TemplateSource.parse(template, ref, trust=False).resolved()
    with checked_out(source) as template_dir:
        checks = run_doctor(
            Template.load(template_dir),
            languages=[lang] if lang else LANGUAGES,
            install=install,
            progress=progress,
        )
    broken = [c for c in checks if c.required and not c.usable]
    if as_json:
        document = {
            "usable": not broken,
            "tools_dir": str(tools_dir()),
            "tools": [c.to_json() for c in checks],
        }
        typer.echo(json.dumps(document, indent=2))
    else:
        rows = [
            (c.tool, c.pinned, c.found, _status(c.usable, c.required), c.needed_by) for c in checks
        ]
        typer.echo(table(("tool", "pinned", "found", "status", "needed by"), rows))
        for check in checks:
            if check.fix and (check.required or not check.usable):
                typer.echo(f"  {check.tool}: {check.fix}", err=True)
        typer.echo(f"\ntool cache: {tools_dir()}")
    if broken:
        names = ", ".join(c.tool for c in broken)
        raise ToolchainError(
            f"{len(broken)} required tool(s) not usable: {names}",
            hint="see the fixes above; `scaffold doctor --install` installs scaffold's own linters",
        )


def _status(usable: bool, required: bool) -> str:
    if usable:
        return "ok"
    return "MISSING" if required else "absent (optional)"
