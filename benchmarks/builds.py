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
SINK = "otlp-sink"
# Framework crates whose versions must match between the skeleton and the bare service.
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


def build_bare(language: str, workdir: Path, commands: CommandLog) -> Path:
    """Build the bare baseline with its lockfile enforced; return the binary's path."""
    source = BENCH_DIR / BARE[language]
    binary = workdir / "bin" / BARE[language]
    binary.parent.mkdir(parents=True, exist_ok=True)
    log(f"{language}: building {BARE[language]}…")
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
    built = SHARED_CARGO_TARGET / "release" / BARE[language]
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


def _cargo_requirement(cargo_toml: Path, crate: str) -> str | None:
    spec = tomllib.loads(cargo_toml.read_text()).get("dependencies", {}).get(crate)
    if isinstance(spec, dict):
        spec = spec.get("version")
    return spec if isinstance(spec, str) else None


def _locked_versions(cargo_lock: Path) -> dict[str, set[str]]:
    versions: dict[str, set[str]] = {}
    for package in tomllib.loads(cargo_lock.read_text()).get("package", []):
        versions.setdefault(package["name"], set()).add(package["version"])
    return versions


def check_versions(language: str, service: Path) -> list[str]:
    """Say which framework versions were compared, and warn when bare and skeleton differ."""
    bare = BENCH_DIR / BARE[language]
    if language == "go":
        skeleton_mods = _go_requirements(service / "go.mod")
        bare_mods = _go_requirements(bare / "go.mod")
        differing = sorted(
            module
            for module, version in bare_mods.items()
            if module in skeleton_mods and skeleton_mods[module] != version
        )
        if differing:
            return [
                "WARNING: go.mod versions differ from the skeleton's for "
                + ", ".join(f"{m} ({skeleton_mods[m]} vs {bare_mods[m]})" for m in differing)
                + "; update benchmarks/bare-gin/go.mod"
            ]
        return [f"gin {bare_mods.get(GIN)} in both; every module the two share is at one version"]
    notes: list[str] = []
    for crate in RUST_FRAMEWORK_CRATES:
        skeleton_version = _cargo_requirement(service / "Cargo.toml", crate)
        bare_version = _cargo_requirement(bare / "Cargo.toml", crate)
        if skeleton_version != bare_version:
            notes.append(
                f"WARNING: {crate} {skeleton_version} in the skeleton but {bare_version} in "
                "bare-axum; update benchmarks/bare-axum/Cargo.toml"
            )
    skeleton_lock = _locked_versions(service / "Cargo.lock")
    bare_lock = _locked_versions(bare / "Cargo.lock")
    differing = sorted(
        name
        for name, versions in bare_lock.items()
        # The skeleton may also carry an older major version for its other dependencies
        # (syn 2 next to syn 3); the baseline drifts when it locks one the skeleton does not.
        if name in skeleton_lock and not versions <= skeleton_lock[name]
    )
    if differing:
        notes.append(
            "WARNING: Cargo.lock versions differ from the skeleton's for "
            + ", ".join(differing)
            + "; refresh benchmarks/bare-axum/Cargo.lock"
        )
    if not notes:
        versions = ", ".join(
            f"{crate} {_cargo_requirement(bare / 'Cargo.toml', crate)}"
            for crate in RUST_FRAMEWORK_CRATES
        )
        notes.append(
            f"{versions} in both; every crate the baseline locks is at a version the skeleton "
            "locks too"
        )
    return notes
