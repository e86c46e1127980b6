"""The HTML report of `scaffold fleet status --html`: its content, its escaping, a real browser."""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from generator.fleet import FleetStatus, ServiceStatus
from generator.fleet._html import render_html
from tests.helpers import require

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = '<img src=x onerror=alert(1)>"><script>alert(2)</script>'
PAYMENTS = "https://github.com/acme/payments.git"


def fleet() -> FleetStatus:
    """Services on three releases, one on a non-release ref, one unreadable."""
    return FleetStatus(
        [
            ServiceStatus(
                repo=PAYMENTS,
                branch="main",
                name="payments",
                language="go",
                owner="team-pay",
                source="bundled",
                version="v1.2.0",
                latest="v1.3.0",
                behind=True,
                drift=["Makefile", ".github/workflows/ci.yml"],
                proposed="scaffold/update-v1.3.0",
            ),
            ServiceStatus("/srv/ledger.git", "main", "ledger", "rust", "", "", "v1.3.0", "v1.3.0"),
            ServiceStatus("/srv/audit.git", "trunk", "audit", "go", "", "", "v1.10.0", "v1.3.0"),
            ServiceStatus("/srv/search.git", "main", "search", "rust", "", "", "v1.3.0", "v1.3.0"),
            ServiceStatus(
                "/srv/users.git", "main", "users", "go", "", "", "v1.2.0", "v1.3.0", behind=True
            ),
            ServiceStatus("/srv/edge.git", "main", "edge", "go", "", "", "main", "v1.3.0"),
            ServiceStatus("/srv/gone.git", "main", "gone", error="no branch 'main'"),
        ]
    )


def render(status: FleetStatus | None = None) -> str:
    return render_html(status or fleet(), generated="2026-01-02T03:04:05+00:00", fleet="fleet.yml")


def stat(page: str, key: str) -> int:
    match = re.search(rf'data-stat="{key}"[^>]*><dt>[^<]*</dt><dd>(\d+)</dd>', page)
    assert match, key
    return int(match[1])


def bars(page: str) -> list[tuple[str, int, str]]:
    """(label, count, class) of each bar of the version chart, top to bottom."""
    found = re.findall(r'<g class="bar ?(\w*)" data-label="([^"]*)" data-count="(\d+)"', page)
    return [(html.unescape(label), int(count), kind) for kind, label, count in found]


def inline(page: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.DOTALL)


def test_summary_counts_every_kind_of_service() -> None:
    page = render()
    assert stat(page, "services") == 7
    assert stat(page, "behind") == 2
    assert stat(page, "drifted") == 1
    assert stat(page, "proposed") == 1
    assert stat(page, "unreadable") == 1
    assert "<title>Fleet status: fleet.yml</title>" in page


def test_chart_has_one_bar_per_version_newest_first() -> None:
    assert bars(render()) == [
        ("v1.10.0", 1, ""),  # newer than v1.3.0 by version, not by string
        ("v1.3.0", 2, "latest"),
        ("v1.2.0", 2, ""),
        ("main", 1, ""),  # not a version: after every release
        ("unreadable", 1, "unreadable"),
    ]


def test_an_empty_fleet() -> None:
    page = render(FleetStatus([]))
    assert stat(page, "services") == 0
    assert bars(page) == []
    assert "No services." in page


def test_hostile_values_appear_only_escaped() -> None:
    hostile = ServiceStatus(
        repo=f"javascript:alert(3)//{HOSTILE}",
        branch=HOSTILE,
        name=HOSTILE,
        language=HOSTILE,
        owner="' onmouseover='alert(4)",
        source=HOSTILE,
        version=HOSTILE,
        latest=HOSTILE,
        drift=[HOSTILE],
        proposed=HOSTILE,
        error=HOSTILE,
    )
    page = render_html(FleetStatus([hostile]), generated=HOSTILE, fleet=HOSTILE)
    assert HOSTILE not in page
    assert html.escape(HOSTILE, quote=True) in page
    assert "<img" not in page
    assert page.count("<script") == 1  # the report's own
    assert "' onmouseover" not in page
    assert bars(page) == [("unreadable", 1, "unreadable")]


def test_csp_admits_exactly_the_inline_style_and_script() -> None:
    page = render()
    (csp,) = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'none'"
    for tag, directive in (("style", "style-src"), ("script", "script-src")):
        (source,) = inline(page, tag)
        digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
        assert directives[directive] == f"'sha256-{digest}'"
    assert page.index("Content-Security-Policy") < page.index("<style>")


def test_no_external_resources() -> None:
    page = render()
    assert set(re.findall(r"https?://[^\s<\"']*", page)) == {PAYMENTS}  # a repo, as text
    assert not re.search(r"""\b(src|href|action|xlink:href)\s*=""", page)
    assert not re.search(r"url\(|@import", page)
    assert "<link" not in page


# -- in a real browser --------------------------------------------------------------------------

# Records CSP violations where the test can read them; an init script is not subject to the CSP.
WATCH_CSP = """
window.violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""
# v1.2.0 twice, v1.3.0 twice (each in file order), then v1.10.0
BY_VERSION = ["payments", "users", "ledger", "search", "audit"]


@pytest.fixture
def chromium() -> Iterator[Browser]:
    """The system's headless Chromium, driven by playwright (which never downloads one here)."""
    if importlib.util.find_spec("playwright") is None:
        require("the playwright package (pip install -c requirements/constraints.txt -e '.[dev]')")
    if not os.access(CHROMIUM, os.X_OK):
        require(f"{CHROMIUM} (apt-get install chromium, as scripts/test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


def open_page(browser: Browser, path: Path) -> tuple[Page, list[str]]:
    """Open path, recording console messages, uncaught errors and dialogs."""
    messages: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))

    def dialog(dialog: Dialog) -> None:
        messages.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", dialog)
    page.add_init_script(WATCH_CSP)
    page.goto(path.as_uri())
    return page, messages


def names(page: Page) -> list[str]:
    return page.locator("tbody tr td:first-child strong").all_inner_texts()


@pytest.mark.slow  # about 3 s: starts a browser
def test_report_in_chromium(chromium: Browser, tmp_path: Path) -> None:
    """The page renders without a console message or CSP violation, and sorts on a click."""
    status = FleetStatus([*fleet().services, ServiceStatus(HOSTILE, HOSTILE, HOSTILE, error="x")])
    report = tmp_path / "report.html"
    report.write_text(render(status), encoding="utf-8")
    page, messages = open_page(chromium, report)
    assert page.title() == "Fleet status: fleet.yml"
    assert names(page)[:3] == ["payments", "ledger", "audit"]  # the fleet file's order

    version = page.get_by_role("columnheader", name="Version")
    version.get_by_role("button").click()
    assert version.get_attribute("aria-sort") == "ascending"
    # no version (in file order), not a release, then the releases from the oldest
    assert names(page) == ["gone", HOSTILE, "edge", *BY_VERSION]
    version.get_by_role("button").click()
    assert version.get_attribute("aria-sort") == "descending"
    assert names(page)[:5] == ["audit", "ledger", "search", "payments", "users"]  # ties kept
    assert page.get_by_role("columnheader", name="Name").get_attribute("aria-sort") == "none"

    screenshot = tmp_path / "report.png"
    page.screenshot(path=screenshot, full_page=True)
    png = screenshot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(png[16:20], "big") == 1280  # IHDR: the width
    assert len(png) > 20_000
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.screenshot(path=tmp_path / "phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "scrolls sideways"
    assert page.evaluate("window.violations") == []
    assert messages == []

    # Not vacuous: markup that escaping would have stopped is blocked by the CSP, and reported.
    tampered = tmp_path / "tampered.html"
    tampered.write_text(render().replace("<main>", f"<main>{HOSTILE}"), encoding="utf-8")
    attacked, attack_messages = open_page(chromium, tampered)
    blocked = attacked.evaluate("window.violations")
    assert {"img-src", "script-src-elem"} <= {line.split(" ")[0] for line in blocked}, blocked
    assert attack_messages, "CSP violations are console errors"
    assert not any(message.startswith("dialog") for message in attack_messages)
