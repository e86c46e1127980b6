"""Fleet benchmark: `scaffold fleet status` and `fleet update` over many local services.

    python -m benchmarks.fleet [--services 50,200] [--jobs 2]

Builds a golden repository (v1.0.0) and N real services from it, each in its own repository
with a bare remote (every 10th with a drifted Makefile, every 7th with a README edit of its own),
tags v1.1.0, then times each command as a separate process, as a user runs it:
status with an empty fleet cache (cold), status again (warm: mirrors and renders cached),
status cold without generator/fleet/_speed.py's speed-ups (SCAFFOLD_FLEET_PLAIN=1, the
ablation), update to v1.1.0, and update again (nothing left to do). Peak RSS is the sum over
the command's whole process tree (its workers included), sampled every 0.1 s. Prints a table
and writes it into RESULTS.md's fleet section. Issue 15's targets: status of 200 < 60 s,
update of 200 < 5 min, memory flat.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import BENCH_DIR, VENV_BIN
from generator._git import git
from generator.lifecycle import init_golden
from tests.fleet.builders import commit_all, make_service_repo, write_fleet_file
from tests.helpers import release, replace_in

START, END = "<!-- fleet:start -->", "<!-- fleet:end -->"
V110 = {
    "go-gin/Makefile.jinja": ("\nbuild:", "\n# platform v1.1.0\nbuild:"),
    "rust-axum/Makefile.jinja": ("\nbuild:", "\n# platform v1.1.0\nbuild:"),
}
TARGETS = {"status (cold)": 60.0, "status (warm)": 60.0, "update": 300.0}


def build(root: Path, count: int) -> Path:
    """Return a fleet file over count new services (see the module docstring)."""
    golden = init_golden(root / "golden", "0.1.0")
    remotes, work = root / "remotes", root / "work"
    remotes.mkdir(parents=True)
    work.mkdir()
    listed = []
    for i in range(count):
        name = f"svc-{i:03d}"
        remote, checkout = make_service_repo(golden, remotes, work, name, ("go", "rust")[i % 2])
        if i % 10 == 3:
            replace_in(checkout / "Makefile", "\n.PHONY", "\n# team tweak\n.PHONY")
            commit_all(checkout, "drift")
        if i % 7 == 1:
            (checkout / "README.md").write_text((checkout / "README.md").read_text() + "\nours\n")
            commit_all(checkout, "docs")
        listed.append(remote)
    release(golden, "v1.1.0", V110)
    return write_fleet_file(root / "fleet.yml", listed)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run argv; return seconds, the peak RSS (MiB) of its whole process tree, and its stdout.

    The tree's RSS is sampled from /proc every 0.1 s and summed over the command and every
    process under it (its forkserver and workers included, which getrusage never sees).
    """
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env)
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.1)
        seconds = time.perf_counter() - start
        out.seek(0)
        stdout = out.read().decode()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}): {stdout[-500:]}")
    return seconds, peak / 1024, stdout


def _tree_rss(root: int) -> int:
    """Return the summed VmRSS (KiB) of root and all its descendants, read from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue  # exited meanwhile
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry.name)] = int(fields["PPid"])
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0])
    tree, changed = {root}, True
    while changed:
        grown = tree | {pid for pid, parent in parents.items() if parent in tree}
        changed, tree = grown != tree, grown
    return sum(rss.get(pid, 0) for pid in tree)


def reuse(root: Path) -> Path:
    """Return a fleet built earlier under root, its update branches deleted (as never pushed)."""
    for remote in (root / "remotes").iterdir():
        git(remote, "branch", "-D", "scaffold/update-v1.1.0", check=False)
    shutil.rmtree(root / "cache", ignore_errors=True)
    shutil.rmtree(root / "plain", ignore_errors=True)
    return root / "fleet.yml"


def measure(count: int, jobs: int, keep: Path | None) -> list[list[str]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        root = keep / str(count) if keep else Path(tmp)
        began = time.perf_counter()
        if (root / "fleet.yml").is_file():
            fleet = reuse(root)
        else:
            root.mkdir(parents=True, exist_ok=True)
            fleet = build(root, count)
        print(f"{count} services ready in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        env = {**os.environ, "SCAFFOLD_FLEET_CACHE": str(root / "cache")}
        scaffold = str(VENV_BIN / "scaffold")
        status = [scaffold, "fleet", "status", str(fleet), "--json", "--jobs", str(jobs)]
        update = [scaffold, "fleet", "update", str(fleet), "--to", "v1.1.0", "--json"]
        update += ["--jobs", str(jobs)]
        plain = {**env, "SCAFFOLD_FLEET_PLAIN": "1", "SCAFFOLD_FLEET_CACHE": str(root / "plain")}
        for label, argv, environment in (
            ("status (cold)", status, env),
            ("status (warm)", status, env),
            ("status (cold, no speed-ups)", status, plain),  # the ablation of fleet/_speed.py
            ("update", update, env),
            ("update again", update, env),
        ):
            seconds, rss, out = timed(argv, environment)
            services = json.loads(out)["services"]
            what = _summary(label, services)
            target = TARGETS.get(label)
            met = "-" if target is None or count != 200 else ("yes" if seconds < target else "no")
            rows.append([str(count), label, f"{seconds:.1f}", f"{rss:.0f}", what, met])
            print(" | ".join(rows[-1]), file=sys.stderr)
        branches = sum(
            "scaffold/update-v1.1.0" in git(r, "branch") for r in (root / "remotes").iterdir()
        )
        rows.append([str(count), "branches pushed", str(branches), "-", "", "-"])
    return rows


def _summary(label: str, services: list[dict[str, object]]) -> str:
    if label.startswith("status"):
        behind = sum(bool(s["behind"]) for s in services)
        drifted = sum(bool(s["drift"]) for s in services)
        return f"{behind} behind, {drifted} drifted"
    outcomes: dict[str, int] = {}
    for s in services:
        outcomes[str(s["outcome"])] = outcomes.get(str(s["outcome"]), 0) + 1
    return ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items()))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet", description=__doc__)
    parser.add_argument("--services", default="50,200", help="fleet sizes (default 50,200)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="build the fleets under DIR and keep them; a later run reuses them",
    )
    args = parser.parse_args()
    rows = []
    for count in (int(n) for n in args.services.split(",")):
        rows += measure(count, args.jobs, args.keep)
    header = [
        "services",
        "command",
        "seconds",
        "peak RSS MiB (process tree)",
        "result",
        "target met",
    ]
    table = "\n".join(
        "| " + " | ".join(row) + " |" for row in [header, ["---"] * len(header), *rows]
    )
    cpus = os.cpu_count()
    section = (
        f"{START}\n## 4. Fleet\n\n`python -m benchmarks.fleet --services {args.services} "
        f"--jobs {args.jobs}` on {cpus} cores: real services on local bare remotes (see "
        f"benchmarks/fleet.py). Targets (issue 15), at 200 services: status < 60 s, update "
        f"< 300 s; peak memory should not grow with the fleet.\n\n{table}\n{END}\n"
    )
    print(table)
    if not args.no_write:
        results = BENCH_DIR / "RESULTS.md"
        text = results.read_text(encoding="utf-8")
        if START in text:
            text = text[: text.index(START)] + section + text[text.index(END) + len(END) + 1 :]
        else:
            text = text.rstrip("\n") + "\n\n" + section
        results.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
