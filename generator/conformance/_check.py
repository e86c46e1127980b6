"""`scaffold check`: tells whether this service still keeps the platform contract.

With run=True the service is built (or its bin/NAME reused), driven through the contract's
scenarios (generator.conformance._scenarios) and judged item by item (_verify).
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from generator import __version__
from generator._paths import inside
from generator.conformance._scenarios import observe
from generator.conformance._verify import verify
from generator.errors import ToolchainError
from generator.report import Result
from generator.template import (
    ServiceInfo,
    Template,
    TemplateSource,
    checked_out,
    latest_version,
    load_service,
    render,
    version_key,
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class CheckOutcome:
    """All results of one `scaffold check` run."""

    service: str
    language: str
    results: list[Result]

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)

    @property
    def exit_code(self) -> int:
        """0, or the OR of 1 (runtime contract), 8 (behind) and 16 (drifted platform files)."""
        code = 0
        for result in self.results:
            if not result.passed:
                code |= {"template.version": EXIT_BEHIND, "platform_files.drift": EXIT_DRIFTED}.get(
                    result.name, EXIT_RUNTIME
                )
        return code

    def to_dict(self) -> dict[str, object]:
        return {
            "service": self.service,
            "language": self.language,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "results": [result.to_dict(key="item") for result in self.results],
        }


def check_service(
    path: Path,
    *,
    run: bool,
    build: bool = True,
    trust: bool = False,
    progress: Progress = lambda _: None,
) -> CheckOutcome:
    """Run the checks on the service at path; trust lets its template run code (--trust).

    Everything is judged against the template version the service records: its platform-owned
    files and, with run, its contract (a platform team may have changed the contract since).
    """
    info = load_service(path)
    source = recorded_source(info, trust=trust)
    results: list[Result] = []
    progress("comparing with the template (version and platform-owned files)")
    with checked_out(source) as template_dir:
        template = Template.load(template_dir, trusted=trust)
        results.extend(static_checks(info, source, template))
        if run:
            contract = template.contract
            binary = path / contract.build.binary_for(info.name)
            probe = path / contract.probe.binary_for(info.name)
            # --no-build runs what is there; a missing probe build fails only its own items.
            if build or not binary.is_file():
                targets = ("build", contract.probe.make_target)
                progress(f"building {info.name} (make {' '.join(targets)})")
                built = _make_build(path, targets)
                results.append(built)
                if not built.passed:
                    return CheckOutcome(info.name, info.language, list(results))
            probed = probe if probe.is_file() else None
            observation = observe(binary, contract, progress, probe=probed)
            results.extend(verify(contract, info.name, observation))
    return CheckOutcome(info.name, info.language, list(results))


def recorded_source(info: ServiceInfo, *, trust: bool = False) -> TemplateSource:
    """Return the template source and version a service records (the bundled ones if none)."""
    answers = info.answers
    if "_commit" in answers and "_src_path" in answers:
        return TemplateSource(str(answers["_src_path"]), str(answers["_commit"]), trust)
    return TemplateSource(trust=trust)


def _make_build(path: Path, targets: tuple[str, ...]) -> Result:
    """Build the service and its probe build (the contract's probe section)."""
    make = shutil.which("make")
    if make is None:
        raise ToolchainError("make is not installed", hint="install make, or pass --no-build")
    result = subprocess.run(
        [make, *targets],
        cwd=path,
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,  # builds never read the user's terminal
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tail = " | ".join((result.stdout + result.stderr).strip().splitlines()[-3:])
        return Result("build", False, f"make {' '.join(targets)} failed: {tail}")
    return Result("build", True, f"make {' '.join(targets)}")


# -- static checks: version lag and drift of platform-owned files ------------------------------

EXIT_RUNTIME, EXIT_BEHIND, EXIT_DRIFTED = 1, 8, 16


def static_checks(info: ServiceInfo, source: TemplateSource, template: Template) -> list[Result]:
    """Report whether the service is behind its template and whether platform files drifted.

    template is the source checked out at the version the service records.
    """
    if source.bundled:
        recorded = str(info.answers.get("template_version") or "unknown")
        if recorded != __version__:
            detail = f"behind: generated from bundled templates {recorded}"
            return [Result("template.version", False, f"{detail}, scaffold has {__version__}")]
        version = Result("template.version", True, f"bundled templates {recorded}")
        return [version, _drift(info, source, template)]
    src, recorded = str(source.src), str(source.ref)
    latest = latest_version(src)
    have, want = version_key(recorded), version_key(latest) if latest else None
    behind = have is not None and want is not None and want > have
    if behind:
        detail = f"behind: {recorded} -> {latest} available (run scaffold update)"
    elif have is None and latest:
        detail = f"{recorded} is not a release; the newest release of {src} is {latest}"
    else:
        detail = f"{recorded} is the newest version of {src}"
    return [Result("template.version", not behind, detail), _drift(info, source, template)]


def _drift(info: ServiceInfo, source: TemplateSource, template: Template) -> Result:
    """Report the platform-owned files that differ from a fresh render, as one check result."""
    owned, diffs = platform_diffs(info, source, template)
    if diffs:
        return Result(
            "platform_files.drift",
            False,
            f"drifted: {', '.join(diffs)}",
            output="".join(diffs.values()),
        )
    return Result("platform_files.drift", True, f"{owned} platform-owned files match")


def platform_diffs(
    info: ServiceInfo,
    source: TemplateSource,
    template: Template,
    *,
    expected: Mapping[str, str] | None = None,
) -> tuple[int, dict[str, str]]:
    """Diff the service's platform-owned files against a fresh render of its recorded version.

    Returns how many platform-owned files were compared and, for each that differs, its unified
    diff. expected, if given, is that render's platform files (render_platform_files), which
    depend only on the template version and the answers: `fleet status` keeps them between runs.
    `scaffold check` and `scaffold fleet status` both judge drift here.
    """
    if expected is None:
        expected = render_platform_files(info, source, template)
    owned = _owned_files(expected, info.path, template.ownership.platform_owned)
    diffs: dict[str, str] = {}
    for name in owned:
        actual = inside(info.path, name, source="the service's platform-owned files")
        want = expected.get(name, "")
        have = _text(actual) if actual.is_file() else ""
        if want != have:
            diffs[name] = "".join(
                difflib.unified_diff(
                    want.splitlines(keepends=True),
                    have.splitlines(keepends=True),
                    f"template/{name}",
                    f"service/{name}",
                )
            )
    return len(owned), diffs


def render_platform_files(
    info: ServiceInfo, source: TemplateSource, template: Template
) -> dict[str, str]:
    """Render the recorded version with the recorded answers; return its platform-owned files.

    The template is untrusted: every owned path must resolve inside the fresh render, so it
    cannot make the diff print another file. A directory entry ("deploy/base/") is expanded to
    the files the render has under it; an entry the render lacks belongs to the other language.
    """
    answers = info.template_answers
    files: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="scaffold-check-") as tmp:
        fresh = Path(tmp) / info.name
        render(template.root, fresh, answers, vcs_ref=source.ref, trust=source.trust)
        for entry in template.ownership.platform_owned:
            path = inside(fresh, entry, source="the template's shared/ownership.yml")
            if not entry.endswith("/"):
                names = [entry] if path.is_file() else []
            else:
                names = sorted(_files_under(fresh, entry)) if path.is_dir() else []
            for name in names:
                found = inside(fresh, name, source="the template's shared/ownership.yml")
                files[name] = _text(found)
    return files


def _owned_files(expected: Mapping[str, str], service: Path, entries: tuple[str, ...]) -> list[str]:
    """List the platform-owned files to compare, each directory entry ("src/platform/") expanded.

    A directory is the template's outright: every file the fresh render has under it, and every
    file the service added there (compared with nothing, so it shows as drift).
    """
    names: list[str] = []
    for entry in entries:
        if not entry.endswith("/"):
            names.extend([entry] if entry in expected else [])
            continue
        found = {name for name in expected if name.startswith(entry)}
        if not found:
            continue  # the other language's directory
        if inside(service, entry, source="the service's platform-owned files").is_dir():
            found.update(_files_under(service, entry))
        names.extend(sorted(found))
    return names


def _files_under(root: Path, directory: str) -> list[str]:
    """Relative paths of the files under root/directory; symlinked directories are not entered."""
    base = root / directory
    return [
        (Path(parent) / name).relative_to(root).as_posix()
        for parent, _, files in os.walk(base)
        for name in files
    ]


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return f"(not UTF-8 text: {path.stat().st_size} bytes)\n"
