"""`scaffold recommend`: traits in, a language with reasons out."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from generator.cli._app import Json, app, examples


@app.command(
    epilog=examples(
        "scaffold recommend                          # asks on a terminal",
        "scaffold recommend --trait latency=ultra --trait workload=cpu",
        "scaffold recommend --trait teams=many --trait change_rate=high --json",
    )
)
def recommend(
    trait: Annotated[
        list[str] | None,
        typer.Option("--trait", metavar="KEY=VALUE", help="Service trait (repeatable)."),
    ] = None,
    as_json: Json = False,
) -> None:
    """Recommend Go or Rust from the service's traits, with reasons and caveats."""
    from generator import recommender as engine

    traits = engine.parse_traits(trait or [])
    if not traits and sys.stdin.isatty() and not as_json:
        from generator.new import _prompts as prompts

        traits = prompts.ask_traits(traits)
    result = engine.recommend(traits)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    typer.echo(engine.format_recommendation(result))
    typer.echo("\nTraits (key=value for --trait):")
    for name, spec in engine.TRAITS.items():
        typer.echo(f"  {name:<13} {' | '.join(spec.values)}  (default {spec.default})")
