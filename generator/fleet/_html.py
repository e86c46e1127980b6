"""The HTML report of `scaffold fleet status --html`: one self-contained page per run.

The page gets attached to CI runs and passed around, so it loads nothing: its CSS, one script
and an SVG chart are inline. Every value of a FleetStatus comes from other people's repositories,
so each one is escaped where it enters the page, the script reads only the DOM (it is a constant,
never built from data), and a Content-Security-Policy admits exactly that style and script by
their hashes: even a value that slipped through escaping could not run or load anything.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

from generator import __version__
from generator.fleet._model import FleetStatus, ServiceStatus
from generator.template import version_key

_CSS = """
:root {
  color-scheme: light dark;
  --fg: #1f2328; --muted: #59636e; --bg: #fff; --card: #f6f8fa; --line: #d1d9e0;
  --bar: #8c959f; --latest: #1a7f37; --warn: #9a6700; --bad: #d1242f;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --card: #151b23; --line: #3d444d;
    --bar: #656c76; --latest: #3fb950; --warn: #d29922; --bad: #f85149;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0 auto; max-width: 90rem; padding: 1rem;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg);
}
h1 { font-size: 1.5rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; }
header p, footer, .repo { color: var(--muted); }
header p { margin: 0; }
footer { margin-top: 2rem; font-size: .85rem; }
.summary {
  display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr));
  gap: .75rem; margin: 1.25rem 0 0; padding: 0;
}
.summary div { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: .6rem .9rem; }
.summary div.warn { border-left: 6px solid var(--warn); }
.summary div.bad { border-left: 6px solid var(--bad); }
.summary dt { color: var(--muted); font-size: .85rem; }
.summary dd { margin: 0; font-size: 1.8rem; font-weight: 600; }
.chart { display: block; width: 100%; max-width: 34rem; height: auto; }
.chart text { fill: var(--fg); font-size: 13px; dominant-baseline: central; }
.chart .label { text-anchor: end; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.chart rect { fill: var(--bar); }
.chart .latest rect { fill: var(--latest); }
.chart .latest .label, .chart .latest .count { font-weight: 700; }
.chart .unknown rect { fill: var(--warn); }
.chart .unreadable rect { fill: var(--bad); }
.scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { padding: .45rem .6rem; text-align: left; vertical-align: top;
  border-bottom: 1px solid var(--line); }
tbody tr:last-child td { border-bottom: 0; }
thead th { background: var(--card); position: sticky; top: 0; white-space: nowrap; }
th button { all: unset; cursor: pointer; font-weight: 600; }
th button:focus-visible { outline: 2px solid var(--fg); outline-offset: 2px; }
th button::after { content: " \\2195"; color: var(--muted); }
th[aria-sort="ascending"] button::after { content: " \\25B2"; color: var(--fg); }
th[aria-sort="descending"] button::after { content: " \\25BC"; color: var(--fg); }
td { overflow-wrap: anywhere; min-width: 4rem; }
td.error { color: var(--bad); min-width: 12rem; }
tr.behind td:first-child { box-shadow: inset 4px 0 var(--warn); }
tr.drifted td:first-child { box-shadow: inset 4px 0 var(--warn); }
tr.unreadable td:first-child { box-shadow: inset 4px 0 var(--bad); }
.repo { display: block; font-size: .8rem; }
.none { color: var(--muted); }
.badge { display: inline-block; margin: 0 .2rem; padding: 0 .4rem; border-radius: 1rem;
  font-size: .75rem; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.badge.behind, .badge.drifted { color: var(--warn); }
.badge.unreadable { color: var(--bad); }
details ul { margin: .25rem 0 0; padding-left: 1.1rem; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85em; }
@media (max-width: 40rem) {
  body { padding: .6rem; font-size: 14px; }
  .summary dd { font-size: 1.4rem; }
}
@media print {
  :root { --fg: #000; --bg: #fff; --card: #fff; }
  body { max-width: none; font-size: 10pt; }
  .scroll { overflow: visible; border: 0; }
  thead th { position: static; }
  th button::after { content: none; }
  tr { break-inside: avoid; }
  details::details-content { content-visibility: visible; }  /* the drifted files */
}
"""

# Sorts the table: each cell's data-sort attribute holds its key and each header's data-type says
# how to compare; the script handles the values only as strings of the DOM, never as code.
_SCRIPT = """
"use strict";
for (const table of document.querySelectorAll("table[data-sortable]")) {
  const headers = Array.from(table.tHead.rows[0].cells);
  const body = table.tBodies[0];
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  headers.forEach((header, column) => {
    header.querySelector("button").addEventListener("click", () => {
      const ascending = header.getAttribute("aria-sort") !== "ascending";
      const key = (row) => row.cells[column].dataset.sort;
      const compare = header.dataset.type === "number"
        ? (a, b) => Number(key(a)) - Number(key(b))
        : (a, b) => collator.compare(key(a), key(b));
      const rows = Array.from(body.rows).sort((a, b) => (ascending ? 1 : -1) * compare(a, b));
      for (const other of headers) other.setAttribute("aria-sort", "none");
      header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      body.append(...rows);
    });
  });
}
"""

# The table's columns: header, and whether data-sort holds a number.
_COLUMNS = (
    ("Name", False),
    ("Language", False),
    ("Owner", False),
    ("Version", True),
    ("Latest", True),
    ("Behind", True),
    ("Drifted files", True),
    ("Proposed branch", False),
    ("Error", False),
)

_NONE = '<span class="none">-</span>'  # an empty cell, visibly so

# The chart's geometry in SVG user units (the SVG scales to the page's width).
_WIDTH, _ROW, _BAR, _LABELS, _LABEL_CHARS = 480, 30, 20, 150, 18


class _Bar(NamedTuple):
    label: str
    size: int
    kind: str  # a CSS class: "latest", "unknown", "unreadable" or ""


def render_html(status: FleetStatus, *, generated: str, fleet: str) -> str:
    """Return the report as one HTML5 document that loads nothing and runs only its own script."""
    services = status.services
    csp = (
        f"default-src 'none'; style-src {_sha256(_CSS)}; script-src {_sha256(_SCRIPT)}; "
        "base-uri 'none'; form-action 'none'"
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fleet status: {_e(fleet)}</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>Fleet status: <code>{_e(fleet)}</code></h1>
<p>Generated <time datetime="{_e(generated)}">{_e(generated)}</time></p>
</header>
<main>
{_summary(status)}
<h2 id="versions">Template versions</h2>
{_chart(_distribution(services))}
<h2 id="services">Services</h2>
{_table(services)}
</main>
<footer>scaffold {_e(__version__)}: <code>scaffold fleet status --html</code></footer>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def _e(value: object) -> str:
    """Escape a value for HTML text and quoted attributes alike."""
    return html.escape(str(value), quote=True)


def _sha256(source: str) -> str:
    """Name an inline style or script in a CSP by its hash, as browsers compute it."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _summary(status: FleetStatus) -> str:
    """Show the counts that say at a glance whether the fleet needs work."""
    proposed = sum(service.proposed is not None for service in status.services)
    stats = (
        ("services", "Services", len(status.services), ""),
        ("behind", "Behind", status.behind, "warn"),
        ("drifted", "Drifted", status.drifted, "warn"),
        ("proposed", "Update proposed", proposed, ""),
        ("unreadable", "Unreadable", status.failed, "bad"),
    )
    items = "".join(
        f'<div data-stat="{key}" class="{f"stat {kind}" if kind and count else "stat"}">'
        f"<dt>{label}</dt><dd>{count}</dd></div>"
        for key, label, count, kind in stats
    )
    return f'<dl class="summary">{items}</dl>'


def _newest_first(versions: Iterable[str]) -> list[str]:
    """Order versions as a reader expects: releases newest first, then anything else by name."""
    distinct = sorted(set(versions))
    releases = {v: key for v in distinct if (key := version_key(v)) is not None}
    others = [v for v in distinct if v not in releases]
    return sorted(releases, key=releases.__getitem__, reverse=True) + others


def _distribution(services: list[ServiceStatus]) -> list[_Bar]:
    """Count the services per template version; those that could not be read count apart."""
    readable = [service for service in services if service.error is None]
    counts = Counter(service.version for service in readable if service.version)
    latest = {service.latest for service in services if service.latest}
    bars = [
        _Bar(version, counts[version], "latest" if version in latest else "")
        for version in _newest_first(counts)
    ]
    if unknown := sum(not service.version for service in readable):
        bars.append(_Bar("unknown", unknown, "unknown"))
    if unreadable := len(services) - len(readable):
        bars.append(_Bar("unreadable", unreadable, "unreadable"))
    return bars


def _chart(bars: list[_Bar]) -> str:
    """Draw the version distribution as horizontal bars, the newest release on top."""
    if not bars:
        return '<p class="none">No services.</p>'
    most = max(bar.size for bar in bars)
    span = _WIDTH - _LABELS - 90  # room for the count and "latest" after the longest bar
    rows = []
    for index, bar in enumerate(bars):
        width = max(2, round(span * bar.size / most))
        label = bar.label if len(bar.label) <= _LABEL_CHARS else bar.label[: _LABEL_CHARS - 1] + "…"
        note = " (latest)" if bar.kind == "latest" else ""
        rows.append(
            f'<g class="{f"bar {bar.kind}".rstrip()}" data-label="{_e(bar.label)}" '
            f'data-count="{bar.size}" transform="translate(0 {index * _ROW})">'
            f"<title>{_e(bar.label)}: {_services(bar.size)}{note}</title>"
            f'<text class="label" x="{_LABELS - 8}" y="{_ROW / 2}">{_e(label)}</text>'
            f'<rect x="{_LABELS}" y="{(_ROW - _BAR) / 2}" width="{width}" height="{_BAR}" '
            'rx="3"></rect>'
            f'<text class="count" x="{_LABELS + width + 6}" y="{_ROW / 2}">{bar.size}{note}'
            "</text></g>"
        )
    described = "; ".join(f"{_e(bar.label)}: {bar.size}" for bar in bars)
    return (
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {len(bars) * _ROW}" role="img" '
        f'aria-label="Services per template version: {described}">{"".join(rows)}</svg>'
    )


def _services(count: int) -> str:
    return f"{count} service" if count == 1 else f"{count} services"


def _table(services: list[ServiceStatus]) -> str:
    """List every service, one row each, sortable by any column."""
    ranks = {
        version: rank
        for rank, version in enumerate(
            reversed(_newest_first(v for s in services for v in (s.version, s.latest) if v))
        )
    }
    head = "".join(
        f'<th scope="col" data-type="{"number" if numeric else "text"}">'
        f'<button type="button">{label}</button></th>'
        for label, numeric in _COLUMNS
    )
    body = "\n".join(_row(service, ranks) for service in services)
    return (
        '<div class="scroll" tabindex="0" role="region" aria-labelledby="services">'
        f"<table data-sortable><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>"
        "</div>"
    )


def _row(service: ServiceStatus, ranks: dict[str, int]) -> str:
    """Render one service; a row that needs attention gets a text badge, not only a colour."""
    marks = [
        mark
        for mark, on in (
            ("behind", service.behind),
            ("drifted", bool(service.drift)),
            ("unreadable", service.error is not None),
        )
        if on
    ]
    badges = "".join(f' <span class="badge {mark}">{mark}</span>' for mark in marks)
    repo = f"{service.repo} ({service.branch})"
    name = (
        f'<td data-sort="{_e(service.name)}"><strong>{_e(service.name)}</strong>{badges}'
        f'<span class="repo" title="{_e(repo)}">{_e(service.repo)}</span></td>'
    )
    behind = "yes" if service.behind else ("no" if service.latest else "")
    cells = [
        name,
        _text_cell(service.language),
        _text_cell(service.owner),
        _version_cell(service.version, ranks, source=service.source),
        _version_cell(service.latest, ranks),
        f'<td data-sort="{int(service.behind)}">{_e(behind) or _NONE}</td>',
        _drift_cell(service),
        _text_cell(service.proposed, code=True),
        _text_cell(service.error, css="error"),
    ]
    return f'<tr class="{" ".join(marks)}">{"".join(cells)}</tr>'


def _text_cell(value: str | None, *, code: bool = False, css: str = "") -> str:
    shown = (f"<code>{_e(value)}</code>" if code else _e(value)) if value else _NONE
    attribute = f' class="{css}"' if css and value else ""
    return f'<td data-sort="{_e(value or "")}"{attribute}>{shown}</td>'


def _version_cell(version: str | None, ranks: dict[str, int], *, source: str = "") -> str:
    """Show a version, sortable by its rank among the report's versions (-1: none)."""
    rank = ranks[version] if version else -1
    shown = f"<code>{_e(version)}</code>" if version else _NONE
    title = f' title="template: {_e(source)}"' if source else ""
    return f'<td data-sort="{rank}"{title}>{shown}</td>'


def _drift_cell(service: ServiceStatus) -> str:
    """Count the drifted files; list them folded, as a service can drift in many."""
    count = len(service.drift)
    if not count:
        shown = _NONE if service.error else '<span class="none">none</span>'
        return f'<td data-sort="0">{shown}</td>'
    files = "".join(f"<li><code>{_e(path)}</code></li>" for path in service.drift)
    summary = "1 file" if count == 1 else f"{count} files"
    details = f"<details><summary>{summary}</summary><ul>{files}</ul></details>"
    return f'<td data-sort="{count}">{details}</td>'
