"""`scaffold fleet`: status, update and plan over every service a fleet file lists."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from generator.cli._app import Json, Trust, app, examples, warn_if_trusted

if TYPE_CHECKING:
    from generator.fleet import FleetStatus, ServiceStatus
    from generator.fleet._update import ServiceUpdate

T = TypeVar("T")

fleet_app = typer.Typer(
    name="fleet",
    help="See and move every service built from a golden template (a fleet.yml lists them).",
    no_args_is_help=True,
    epilog=examples(
        "scaffold fleet status fleet.yml --html fleet.html",
        "scaffold fleet update fleet.yml --to v1.3.0 --wave 10%   # re-run: the next 10%",
        "scaffold fleet plan fleet.yml --shards 8 --format github-matrix",
    ),
)
app.add_typer(fleet_app)

FleetFile = Annotated[
    Path, typer.Argument(metavar="FLEET", help="The fleet file: services: [{repo:, branch:}].")
]
Jobs = Annotated[
    int | None,
    typer.Option("--jobs", min=1, help="Services worked on at once [default: CPU count]."),
]

Only = Annotated[
    list[str] | None,
    typer.Option("--only", metavar="NAME", help="Only these services (repeat, or a,b,c)."),
]


@fleet_app.command(
    "status",
    epilog=examples(
        "scaffold fleet status fleet.yml",
        "scaffold fleet status fleet.yml --json > status.json",
        "scaffold fleet status fleet.yml --html fleet.html --jobs 4",
    ),
)
def status(
    fleet_file: FleetFile,
    only: Only = None,
    json_output: Json = False,
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="FILE", help="Also write a self-contained HTML report."),
    ] = None,
    jobs: Jobs = None,
    trust: Trust = False,
) -> None:
    """Report each service's template version, the newest one, drift and proposed updates.

    Reads every repository's default branch through a depth-1 fetch into scaffold's cache (never
    a full clone), and judges drift by the rules of `scaffold check`. Exit 1 when some service
    could not be read.
    """
    from generator.fleet import fleet_status, load_fleet

    warn_if_trusted(trust)
    fleet = load_fleet(fleet_file)
    fleet = replace(fleet, services=fleet.select(only or []))
    report = _reporter(len(fleet.services), _status_line)
    result = fleet_status(fleet, jobs=jobs, trust=trust, progress=report)
    if json_output:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        typer.echo(_status_table(result))
    if html is not None:
        from generator.fleet._html import render_html

        generated = datetime.now(UTC).isoformat(timespec="seconds")
        page = render_html(result, generated=generated, fleet=fleet_file.name)
        html.write_text(page, encoding="utf-8")
        typer.echo(f"wrote {html}", err=True)
    if result.failed:
        raise typer.Exit(1)


@fleet_app.command(
    "update",
    epilog=examples(
        "scaffold fleet update fleet.yml --to v1.3.0 --dry-run",
        "scaffold fleet update fleet.yml --to v1.3.0 --wave 10%     # re-run: the next 10%",
        "scaffold fleet update fleet.yml --to v1.3.0 --only payments,ledger --forge github",
    ),
)
def update(
    fleet_file: FleetFile,
    to: Annotated[
        str, typer.Option("--to", metavar="VERSION", help="The template version to propose.")
    ],
    only: Only = None,
    wave: Annotated[
        str | None,
        typer.Option(
            "--wave",
            metavar="N|P%",
            help="Update at most N services, or P% of them, not yet proposed (in file order).",
        ),
    ] = None,
    forge: Annotated[
        str | None,
        typer.Option(
            "--forge",
            metavar="local|github",
            help="local: push the branch only; github: also open a pull request (GITHUB_TOKEN, "
            "GITHUB_API_URL) [default: local when every repo is a path, else github].",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Update in scratch copies; push nothing.")
    ] = False,
    json_output: Json = False,
    jobs: Jobs = None,
    trust: Trust = False,
) -> None:
    """Propose a template version to each service: one branch scaffold/update-VERSION each.

    Runs the three-way merge of `scaffold update` in a scratch clone, commits it on the branch,
    pushes it and opens a pull request; the default branch is never written. A service that
    conflicts gets nothing pushed. Re-running does only what is left. Exit 1 when a service
    conflicted or failed.
    """
    from generator.fleet import load_fleet
    from generator.fleet._file import is_local
    from generator.fleet._forge import make_forge
    from generator.fleet._status import default_jobs
    from generator.fleet._update import fleet_update

    warn_if_trusted(trust)
    fleet = load_fleet(fleet_file)
    selected = fleet.select(only or [])
    chosen = make_forge(forge, all(is_local(e.repo) for e in selected), os.environ)
    report = _reporter(len(selected), _update_line)
    result = fleet_update(
        fleet,
        to,
        chosen,
        only=only,
        wave=wave,
        jobs=jobs or default_jobs(),
        dry_run=dry_run,
        trust=trust,
        progress=report,
    )
    if json_output:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        counts = ", ".join(
            f"{result.count(outcome)} {outcome}"
            for outcome in (
                "updated",
                "would-update",
                "conflict",
                "proposed",
                "up-to-date",
                "failed",
            )
            if result.count(outcome)
        )
        typer.echo(f"{to}: {counts or 'nothing to do'}")
    raise typer.Exit(result.exit_code)


@fleet_app.command(
    "plan",
    epilog=examples(
        "scaffold fleet plan fleet.yml --shards 8 --format github-matrix",
        "# in a workflow: strategy: {matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}}",
    ),
)
def plan(
    fleet_file: FleetFile,
    shards: Annotated[int, typer.Option("--shards", help="How many CI jobs share the fleet.")],
    output: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="github-matrix (strategy.matrix).")
    ] = "github-matrix",
) -> None:
    """Print the fleet split into shards, as a CI matrix (each: --only NAME,NAME...)."""
    from generator.fleet import load_fleet
    from generator.fleet._plan import plan as make_plan

    typer.echo(make_plan(load_fleet(fleet_file), shards, output))


def _reporter(total: int, line: Callable[[T], str]) -> Callable[[T], None]:
    """Progress on stderr: a bar on a terminal, else one line per service (for CI logs)."""
    done = 0
    bar = sys.stderr.isatty()

    def report(item: T) -> None:
        nonlocal done
        done += 1
        if bar:
            filled = round(30 * done / max(total, 1))
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        else:
            typer.echo(f"  · [{done}/{total}] {line(item)}", err=True)

    return report


def _status_line(status: ServiceStatus) -> str:
    if status.error:
        return f"{status.name}: unreadable: {status.error}"
    state = f"behind ({status.version} -> {status.latest})" if status.behind else "current"
    drift = f", {len(status.drift)} drifted" if status.drift else ""
    return f"{status.name}: {state}{drift}"


def _update_line(update: ServiceUpdate) -> str:
    where = f" ({update.proposal or update.branch})" if update.outcome == "updated" else ""
    detail = f": {update.detail}" if update.detail else ""
    return f"{update.name}: {update.outcome}{where}{detail}"


def _status_table(result: FleetStatus) -> str:
    from generator.report import table

    rows = [
        [
            s.name,
            s.language or "-",
            s.version or "-",
            s.latest or "-",
            "error" if s.error else ("behind" if s.behind else "current"),
            ", ".join(s.drift) or "-",
            s.proposed or "-",
        ]
        for s in result.services
    ]
    headers = ["service", "lang", "version", "latest", "state", "drifted", "proposed"]
    summary = (
        f"\n{len(result.services)} services: {result.behind} behind, {result.drifted} drifted, "
        f"{result.failed} unreadable"
    )
    errors = [f"  {s.name}: {s.error}" for s in result.services if s.error]
    return table(headers, rows) + summary + ("\n" + "\n".join(errors) if errors else "")
