"""`scaffold smoke`: template CI that renders, builds, tests, lints and runs every variant."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated, Literal

import typer

from generator._languages import Language
from generator.cli._app import Trust, app, examples, progress, warn_if_trusted


@app.command(
    epilog=examples(
        "scaffold smoke                                # bundled templates, default matrix",
        "scaffold smoke --template . --matrix full --junit smoke.xml",
        "scaffold smoke --lang rust --json smoke.json --keep",
    )
)
def smoke(
    template: Annotated[
        str | None, typer.Option("--template", metavar="SRC", help="Template source.")
    ] = None,
    ref: Annotated[str | None, typer.Option(help="Template version (git tag).")] = None,
    lang: Annotated[Language | None, typer.Option("--lang", help="Only this language.")] = None,
    matrix: Annotated[
        Literal["default", "full"],
        typer.Option(help="default (every value and pair of values) or full (all)."),
    ] = "default",
    jobs: Annotated[int, typer.Option(min=1, help="Variants run in parallel.")] = 1,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML here.")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="Write JSON here.")] = None,
    keep: Annotated[bool, typer.Option(help="Keep the rendered variants.")] = False,
    trust: Trust = False,
) -> None:
    """Render, build, test, lint and run every template variant; non-zero exit on any failure."""
    from generator.lifecycle import smoke as runner
    from generator.template import Template, TemplateSource, checked_out

    warn_if_trusted(trust)
    source = TemplateSource.parse(template, ref, trust=trust).resolved()
    with checked_out(source) as template_dir:
        axes = Template.load(template_dir, trusted=trust).smoke.axes
    selected = runner.variants(axes, matrix, lang)
    workdir = runner.default_workdir()
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", str(Path.home() / ".cache" / "scaffold" / "cargo-target"))
    typer.echo(f"smoke: {len(selected)} variants ({matrix} matrix) in {workdir}", err=True)
    try:
        results = runner.Smoke(source, workdir, env, progress).run(selected, jobs=jobs)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    typer.echo(runner.summary_table(results))
    for suite in results:
        for step in suite.failed:
            typer.echo(f"\n{suite.name}: {step.name} failed\n{step.output}")
    if junit:
        junit.write_text(runner.junit_xml(results), encoding="utf-8")
    if json_file:
        json_file.write_text(runner.to_json(results), encoding="utf-8")
    failed = [suite.name for suite in results if not suite.passed]
    typer.echo(f"\n{len(results) - len(failed)}/{len(results)} variants passed")
    if failed:
        raise typer.Exit(1)
