"""`scaffold check`: whether a service still keeps its template and the platform contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from generator.cli._app import Json, Trust, app, examples, progress, warn_if_trusted
from generator.report import table


@app.command(
    epilog=examples(
        "scaffold check                           # template version and platform-owned files",
        "scaffold check --run                     # build ./ and verify every contract item",
        "scaffold check services/payments --run --no-build --json",
    )
)
def check(
    path: Annotated[Path, typer.Argument(help="The service to check.")] = Path(),
    run: Annotated[
        bool, typer.Option("--run", help="Build and run the service against the contract.")
    ] = False,
    build: Annotated[
        bool,
        typer.Option(
            "--build/--no-build",
            help="Run `make build build-probe` first (else run bin/NAME and bin/NAME-probe).",
        ),
    ] = True,
    as_json: Json = False,
    trust: Trust = False,
) -> None:
    """Check that a service still keeps the platform contract; non-zero exit on findings.

    Exit code: 0, or the OR of 1 (a contract item failed), 8 (behind the newest template
    version) and 16 (platform-owned files drifted).
    """
    from generator.conformance import check_service

    warn_if_trusted(trust)
    outcome = check_service(path, run=run, build=build, trust=trust, progress=progress)
    if as_json:
        typer.echo(json.dumps(outcome.to_dict(), indent=2))
        raise typer.Exit(outcome.exit_code)
    rows = [(r.name, "pass" if r.passed else "FAIL", r.detail) for r in outcome.results]
    typer.echo(table(("item", "result", "detail"), rows))
    failed = sum(not r.passed for r in outcome.results)
    summary = "all passed" if not failed else f"{failed} failed"
    typer.echo(f"\n{outcome.service} ({outcome.language}): {len(outcome.results)} items, {summary}")
    for result in outcome.results:
        if result.output:
            typer.echo(f"\n{result.output}")
    raise typer.Exit(outcome.exit_code)
