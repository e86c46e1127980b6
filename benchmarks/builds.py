"""Section 3 (build cost) and the builds the serving section needs.

The default service of each language is generated with `scaffold new` and built with its own
`make build`. Cold means an empty build cache in the work directory (GOCACHE for Go,
CARGO_TARGET_DIR for Rust), with dependency sources already downloaded (fetched beforehand and
not timed); warm means `make build` again right after. The binary of that build is the one the
serving section runs, so the expensive cold Rust build happens once. With --skip-cold the
service builds in the shared caches instead (Go's default GOCACHE, .cache/cargo-target).
"""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import (
    BENCH_DIR,
    SERVICE_NAME,
    SHARED_CARGO_TARGET,
    BenchError,
    CommandLog,
    log,
    run,
    scaffold_new_argv,
)

GENERATE_TIMEOUT = 300
BUILD_TIMEOUT = 1800
FETCH_TIMEOUT = 900
BARE = {"go": "bare-gin", "rust": "bare-axum"}
# The standard stacks: the framework with its ecosystem's standard instrumentation, by hand.
STANDARD = {"go": "std-gin", "rust": "std-axum"}
SINK = "otlp-sink"
# Framework crates named in the version note (every dependency a baseline shares with the
# skeleton is compared).
RUST_FRAMEWORK_CRATES = ("axum", "tokio")
GIN = "github.com/gin-gonic/gin"


@dataclass
class BuildResult:
    language: str
    service: Path
    binary: Path
    cold: float | None = None
    first: float | None = None  # the first build with --skip-cold: shared caches, state unknown
    warm: float = 0.0
    notes: list[str] = field(default_factory=list)


def generate(language: str, target: Path, commands: CommandLog) -> Path:
    argv = scaffold_new_argv(language, target)
    run(argv, timeout=GENERATE_TIMEOUT, commands=commands)
    return target


def _fetch(language: str, service: Path, commands: CommandLog) -> None:
    """Download dependency sources, so a cold build measures compiling, not the network."""
    argv = ["go", "mod", "download"] if language == "go" else ["cargo", "fetch", "--locked"]
    run(argv, cwd=service, timeout=FETCH_TIMEOUT, commands=commands)


def _cache_env(language: str, cache: Path | None) -> dict[str, str]:
    if language == "go":
        env = {"GOFLAGS": "-mod=readonly"}
        if cache is not None:
            env["GOCACHE"] = str(cache)
        return env
    return {"CARGO_TARGET_DIR": str(cache or SHARED_CARGO_TARGET)}


def build_service(
    language: str, service: Path, workdir: Path, *, cold: bool, commands: CommandLog
) -> BuildResult:
    """`make build` cold then warm (or, without cold, in the shared caches, then warm)."""
    result = BuildResult(language, service, service / "bin" / SERVICE_NAME)
    _fetch(language, service, commands)
    cache = workdir / "cold-cache" / language if cold else None
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
    env = _cache_env(language, cache)
    make = ["make", "build"]
    log(f"{language}: make build ({'cold' if cold else 'shared caches'})…")
    first = run(make, cwd=service, env=env, timeout=BUILD_TIMEOUT, commands=commands)
    if cold:
        result.cold = first
    else:
        result.first = first
    log(f"{language}: make build again (warm)…")
    result.warm = run(make, cwd=service, env=env, timeout=BUILD_TIMEOUT, commands=commands)
    if not result.binary.is_file():
        raise BenchError(f"make build left no {result.binary}")
    result.notes.extend(check_versions(language, service))
    return result


def build_variant(language: str, service: Path, commands: CommandLog) -> Path:
    """`make build` of a changed copy of the generated service (an ablation), in the shared
    caches; return the binary's path."""
    run(
        ["make", "build"],
        cwd=service,
        env=_cache_env(language, None),
        timeout=BUILD_TIMEOUT,
        commands=commands,
    )
    binary = service / "bin" / SERVICE_NAME
    if not binary.is_file():
        raise BenchError(f"make build left no {binary}")
    return binary


def build_bare(language: str, workdir: Path, commands: CommandLog) -> Path:
    """Build the bare baseline with its lockfile enforced; return the binary's path."""
    return _build_baseline(language, BARE[language], workdir, commands)


def build_standard(language: str, workdir: Path, commands: CommandLog) -> Path:
    """Build the standard-stack baseline, like the bare one; return the binary's path."""
    return _build_baseline(language, STANDARD[language], workdir, commands)


def _build_baseline(language: str, name: str, workdir: Path, commands: CommandLog) -> Path:
    """Build benchmarks/<name> with its lockfile enforced (go.sum, Cargo.lock)."""
    source = BENCH_DIR / name
    binary = workdir / "bin" / name
    binary.parent.mkdir(parents=True, exist_ok=True)
    log(f"{language}: building {name}…")
    if language == "go":
        argv = ["go", "build", "-mod=readonly", "-trimpath", "-o", str(binary), "."]
        run(argv, cwd=source, timeout=BUILD_TIMEOUT, commands=commands)
        return binary
    env = {"CARGO_TARGET_DIR": str(SHARED_CARGO_TARGET)}
    run(
        ["cargo", "build", "--release", "--locked"],
        cwd=source,
        env=env,
        timeout=BUILD_TIMEOUT,
        commands=commands,
    )
    built = SHARED_CARGO_TARGET / "release" / name
    commands.add(["cp", str(built), str(binary)])
    shutil.copy2(built, binary)
    return binary


def build_sink(workdir: Path, commands: CommandLog) -> Path:
    """Build the OTLP receiver the exporting skeletons send their spans to (otlp-sink)."""
    binary = workdir / "bin" / SINK
    binary.parent.mkdir(parents=True, exist_ok=True)
    log(f"building {SINK}…")
    argv = ["go", "build", "-mod=readonly", "-trimpath", "-o", str(binary), "."]
    run(argv, cwd=BENCH_DIR / SINK, timeout=BUILD_TIMEOUT, commands=commands)
    return binary


def _go_requirements(go_mod: Path) -> dict[str, str]:
    """Module path -> version of every requirement in a go.mod (direct and indirect)."""
    found = re.findall(
        r"^\s*(?:require\s+)?([a-z0-9.-]+\.[a-z]+/\S+)\s+(v\S+)", go_mod.read_text(), re.M
    )
    return dict(found)


def _cargo_requirements(cargo_toml: Path) -> dict[str, str]:
    """Crate -> version requirement of every [dependencies] entry of a Cargo.toml."""
    requirements: dict[str, str] = {}
    for crate, spec in tomllib.loads(cargo_toml.read_text()).get("dependencies", {}).items():
        version = spec.get("version") if isinstance(spec, dict) else spec
        if isinstance(version, str):
            requirements[crate] = version
    return requirements


def _locked_versions(cargo_lock: Path) -> dict[str, set[str]]:
    versions: dict[str, set[str]] = {}
    for package in tomllib.loads(cargo_lock.read_text()).get("package", []):
        versions.setdefault(package["name"], set()).add(package["version"])
    return versions


def _semver_compatible(a: str, b: str) -> bool:
    """Whether two versions are compatible in cargo's sense: the same leftmost non-zero part
    (1.2.3 and 1.9.0; 0.4.1 and 0.4.9; 0.0.3 only with 0.0.3)."""

    def key(version: str) -> list[str]:
        parts = version.split("+", 1)[0].split("-", 1)[0].split(".")
        for index, part in enumerate(parts):
            if part != "0":
                return parts[: index + 1]
        return parts

    return key(a) == key(b)


def lock_drift(skeleton: dict[str, set[str]], baseline: dict[str, set[str]]) -> list[str]:
    """Crates the baseline locks at a version the skeleton does not, although the skeleton locks
    a compatible one: a shared crate that moved. A version incompatible with all of the
    skeleton's (base64 0.22 next to the skeleton's 0.23, for a crate only the baseline uses) is
    another crate as far as the build is concerned, and no drift."""
    return sorted(
        name
        for name, versions in baseline.items()
        if name in skeleton
        and any(
            version not in skeleton[name]
            and any(_semver_compatible(version, theirs) for theirs in skeleton[name])
            for version in versions
        )
    )


def check_versions(language: str, service: Path) -> list[str]:
    """Say which versions were compared, and warn when a baseline (bare, standard stack) and
    the skeleton differ; one note per baseline, starting with its directory's name."""
    check = _check_go_baseline if language == "go" else _check_rust_baseline
    return [
        f"{name}: {note}"
        for name in (BARE[language], STANDARD[language])
        for note in check(service, BENCH_DIR / name)
    ]


def _check_go_baseline(service: Path, baseline: Path) -> list[str]:
    skeleton_mods = _go_requirements(service / "go.mod")
    baseline_mods = _go_requirements(baseline / "go.mod")
    differing = sorted(
        module
        for module, version in baseline_mods.items()
        if module in skeleton_mods and skeleton_mods[module] != version
    )
    if differing:
        return [
            "WARNING: go.mod versions differ from the skeleton's for "
            + ", ".join(f"{m} ({skeleton_mods[m]} vs {baseline_mods[m]})" for m in differing)
            + f"; update benchmarks/{baseline.name}/go.mod"
        ]
    shared = sum(1 for module in baseline_mods if module in skeleton_mods)
    return [
        f"gin {baseline_mods.get(GIN)} in both; the {shared} modules the two share are at one "
        "version"
    ]


def _check_rust_baseline(service: Path, baseline: Path) -> list[str]:
    notes: list[str] = []
    skeleton_reqs = _cargo_requirements(service / "Cargo.toml")
    baseline_reqs = _cargo_requirements(baseline / "Cargo.toml")
    for crate, requirement in sorted(baseline_reqs.items()):
        if crate in skeleton_reqs and skeleton_reqs[crate] != requirement:
            notes.append(
                f"WARNING: {crate} {skeleton_reqs[crate]} in the skeleton but {requirement} in "
                f"{baseline.name}; update benchmarks/{baseline.name}/Cargo.toml"
            )
    differing = lock_drift(
        _locked_versions(service / "Cargo.lock"), _locked_versions(baseline / "Cargo.lock")
    )
    if differing:
        notes.append(
            "WARNING: Cargo.lock versions differ from the skeleton's for "
            + ", ".join(differing)
            + f"; refresh benchmarks/{baseline.name}/Cargo.lock"
        )
    if not notes:
        versions = ", ".join(
            f"{crate} {baseline_reqs.get(crate)}" for crate in RUST_FRAMEWORK_CRATES
        )
        notes.append(
            f"{versions} in both; every crate the baseline locks is at a version the skeleton "
            "locks too, or of another major version than any of the skeleton's"
        )
    return notes
