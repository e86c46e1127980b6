"""scaffold's naming rules against the toolchains themselves: what it accepts, they build.

The Go rules are compared with golang.org/x/mod/module.CheckPath (a small oracle program in
tests/oracles/gomodpath), the Rust keywords with rustc, and random accepted answers are rendered
into services that the go tool and cargo accept.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from generator.errors import UsageError
from generator.new import (
    RUST_KEYWORDS,
    NewOptions,
    go_module_problem,
    new_service,
    validate_service_name,
)
from generator.template import Template, bundled_template_dir
from tests.conftest import ROOT, make, require_tools, tool_env

TEMPLATE = Template.load(bundled_template_dir())


class GoModulePathOracle:
    """The go toolchain's own module-path check, asked one path at a time."""

    def __init__(self, binary: Path) -> None:
        self.process = subprocess.Popen(
            [str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def accepts(self, path: str) -> bool:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(path) + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip() == "ok"

    def close(self) -> None:
        self.process.communicate(timeout=10)  # closes stdin, drains and closes stdout


@pytest.fixture(scope="module")
def go_oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoModulePathOracle]:
    require_tools("go")
    binary = tmp_path_factory.mktemp("oracle") / "gomodpath"
    subprocess.run(
        ["go", "build", "-o", str(binary), "."],
        cwd=ROOT / "tests" / "oracles" / "gomodpath",
        env=tool_env(),
        check=True,
        capture_output=True,
    )
    oracle = GoModulePathOracle(binary)
    yield oracle
    oracle.close()


# Path elements built from the characters and words that decide the verdicts.
_ELEMENT = st.one_of(
    st.text(alphabet="abcXY019.-_~+ é#", min_size=0, max_size=6),
    st.sampled_from(
        ["con", "NUL", "com1", "aux.txt", "v0", "v1", "v01", "v2", "v2.1", "..", ".", "a~1", "b~"]
    ),
)
_MODULE_PATH = st.one_of(
    st.lists(_ELEMENT, min_size=1, max_size=5).map("/".join),
    st.tuples(st.sampled_from(["example.com", "gopkg.in", "a.b-c"]), st.lists(_ELEMENT)).map(
        lambda parts: "/".join([parts[0], *parts[1]])
    ),
    st.text(max_size=12),
)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=_MODULE_PATH)
def test_go_module_rules_agree_with_the_go_toolchain(
    go_oracle: GoModulePathOracle, path: str
) -> None:
    assume("\x00" not in path and not any(0xD800 <= ord(c) <= 0xDFFF for c in path))
    assert (go_module_problem(path) == "") == go_oracle.accepts(path), path


def rustc_accepts_identifier(word: str, tmp_path: Path) -> bool:
    source = tmp_path / "probe.rs"
    source.write_text(f"pub fn {word}() {{}}\n")
    result = subprocess.run(
        [
            *("rustc", "--edition", "2024", "--crate-type", "lib", "--emit", "metadata"),
            *("-o", str(tmp_path / "probe.rmeta"), str(source)),
        ],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def test_rust_keywords_agree_with_rustc(tmp_path: Path) -> None:
    """Every word scaffold calls a keyword is no identifier to rustc, and every other word is."""
    require_tools("rustc")
    ordinary = {"union", "raw", "safe", "macro_rules", "payments", "matches", "gen2", "r#match"}
    disagreements = [
        word
        for word in sorted(RUST_KEYWORDS | ordinary)
        if rustc_accepts_identifier(word, tmp_path) == (word in RUST_KEYWORDS)
    ]
    assert disagreements == []


# -- accepted answers render into services the toolchains accept -------------------------------

_SERVICE_NAME = st.one_of(
    st.from_regex(r"\A[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,5}){0,3}\Z"),
    st.sampled_from(
        ["a", "z9", "union", "raw", "a" * 40, "a1-b2-c3-d4-e5-f6-g7-h8-i9-j0-k1-l2-m3"]
    ),
)
_OWNER = st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,10}(\.[a-z0-9_-]{1,5})?\Z")
_DESCRIPTION = st.text(
    alphabet=st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=60
).filter(str.isprintable)
_GO_MODULE = st.tuples(
    st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,6}\.[a-z]{2,4}\Z"),
    st.lists(st.from_regex(r"\A[A-Za-z0-9_~-]{1,6}(\.[A-Za-z0-9_~-]{1,4})?\Z"), max_size=3),
).map(lambda parts: "/".join([parts[0], *parts[1]]))


# Each example renders a service: few examples, and no slow shrinking.
RENDERING = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)


def accepted_name(name: str) -> bool:
    try:
        validate_service_name(name, TEMPLATE.naming, TEMPLATE.rust_dependencies)
    except UsageError:
        return False
    return True


def render_accepted(tmp_path: Path, language: str, name: str, flags: dict[str, str]) -> Path:
    assume(accepted_name(name))
    target = tmp_path / f"svc-{len(list(tmp_path.iterdir()))}" / name
    options = NewOptions(
        name=name,
        language=language,
        directory=target,
        flags=flags,
        defaults=True,
        git=False,
    )
    try:
        return new_service(options, progress=lambda _: None, show=lambda _: None).path
    except UsageError:
        assume(False)  # scaffold refused the answers: nothing to build
        raise


def run(command: list[str], cwd: Path) -> str:
    env = {**tool_env(), "GOFLAGS": "-mod=mod", "GOPROXY": "off"}
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(command)} in {cwd}:\n{result.stdout}{result.stderr}"
    return result.stdout


@pytest.mark.slow
@RENDERING
@given(name=_SERVICE_NAME, owner=_OWNER, module=_GO_MODULE, description=_DESCRIPTION)
def test_accepted_go_answers_render_a_module_the_go_tool_accepts(
    tmp_path_factory: pytest.TempPathFactory, name: str, owner: str, module: str, description: str
) -> None:
    require_tools("go", "gofmt")
    assume(go_module_problem(module) == "")
    flags = {"owner": owner, "go_module": module, "description": description}
    service = render_accepted(tmp_path_factory.mktemp("go"), "go", name, flags)
    packages = run(["go", "list", "-find", "./..."], service).split()
    assert f"{module}/cmd/{name}" in packages
    assert run(["gofmt", "-l", "."], service) == ""


@pytest.mark.slow
@RENDERING
@given(name=_SERVICE_NAME, owner=_OWNER, description=_DESCRIPTION)
def test_accepted_rust_answers_render_a_crate_cargo_accepts(
    tmp_path_factory: pytest.TempPathFactory, name: str, owner: str, description: str
) -> None:
    require_tools("cargo", "rustfmt")
    flags = {"owner": owner, "description": description}
    service = render_accepted(tmp_path_factory.mktemp("rust"), "rust", name, flags)
    manifest = tomllib.loads((service / "Cargo.toml").read_text())
    assert manifest["package"]["description"] == description
    metadata = json.loads(run(["cargo", "metadata", "--locked", "--format-version", "1"], service))
    assert name in {package["name"] for package in metadata["packages"]}
    run(["cargo", "fmt", "--check"], service)  # a long name must not push code past the width


@pytest.mark.slow
@pytest.mark.parametrize(
    ("language", "name", "flags"),
    [
        ("go", "a-1", {"go_module": "example.com/Team_x/a~b_c/v2", "description": "Ünïcode ✓"}),
        ("rust", "a123456789-b123456789-c123456789-d123456", {"description": 'say "hi" 🚀'}),
    ],
)
def test_edge_case_answers_build_test_and_lint(
    tmp_path: Path, language: str, name: str, flags: dict[str, str]
) -> None:
    """The longest name and the oddest module path a user may give really build."""
    require_tools("make", "go" if language == "go" else "cargo")
    options = NewOptions(
        name=name, language=language, directory=tmp_path / name, flags=flags, defaults=True
    )
    service = new_service(options, progress=lambda _: None, show=lambda _: None).path
    for target in ("build", "test", "lint"):
        make(service, target)
    assert (service / "bin" / name).is_file()
