"""The Rust toolchain of a generated service is the platform's one pin (shared/tools.yml).

rust-toolchain.toml names it, with clippy and rustfmt, so rustup alone provides `make lint`;
Cargo.toml's rust-version and the Dockerfile's builder image come from the same pin, and CI
installs whatever rust-toolchain.toml names instead of repeating a version.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import TEMPLATES

Generated = Callable[[str], Path]


@pytest.fixture(scope="module")
def pins() -> dict[str, Any]:
    tools: dict[str, Any] = yaml.safe_load((TEMPLATES / "shared" / "tools.yml").read_text())
    return tools


@pytest.fixture(scope="module")
def rust_pin(pins: dict[str, Any]) -> str:
    pin = pins["rust"]
    assert isinstance(pin, str)
    assert re.fullmatch(r"\d+\.\d+\.\d+", pin), pin
    return pin


def test_rust_toolchain_toml_names_the_pinned_channel_with_the_lint_components(
    generated: Generated, rust_pin: str
) -> None:
    toolchain = tomllib.loads((generated("rust") / "rust-toolchain.toml").read_text())["toolchain"]
    assert toolchain["channel"] == rust_pin
    assert {"clippy", "rustfmt"} <= set(toolchain["components"])
    assert toolchain["profile"] == "minimal"


def test_cargo_rust_version_is_the_pin(generated: Generated, rust_pin: str) -> None:
    package = tomllib.loads((generated("rust") / "Cargo.toml").read_text())["package"]
    major, minor, _ = rust_pin.split(".")
    assert package["rust-version"] == f"{major}.{minor}"


def test_dockerfile_builds_with_the_pinned_image_without_the_toolchain_file(
    generated: Generated, rust_pin: str
) -> None:
    service = generated("rust")
    images = re.findall(r"^FROM rust:(\S+)", (service / "Dockerfile").read_text(), re.M)
    assert images == [f"{rust_pin}-bookworm"]
    # In the build context, rust-toolchain.toml would make rustup fetch clippy and rustfmt.
    assert "rust-toolchain.toml" in (service / ".dockerignore").read_text().splitlines()


def test_ci_installs_the_toolchain_file_and_uses_only_pinned_actions(
    generated: Generated, pins: dict[str, Any], rust_pin: str
) -> None:
    text = (generated("rust") / ".github/workflows/ci.yml").read_text()
    workflow = yaml.safe_load(text)
    # Comments may name rustup's own version; the workflow itself names no Rust release.
    content = json.dumps(workflow)
    assert "RUST_TOOLCHAIN" not in text
    assert rust_pin not in text
    assert not re.search(r"\b1\.\d{2,}\b", content), "a hand-written Rust version"
    assert "toolchain:" not in content  # no setup action given a version

    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    rustup = [step["run"].strip() for step in steps if "rustup" in step.get("run", "")]
    assert rustup, "no job installs Rust"
    assert set(rustup) == {"rustup toolchain install"}
    assert {step["uses"] for step in steps if "uses" in step} <= set(pins["actions"].values())
    assert workflow["env"]["CARGO_DENY_VERSION"] == pins["ci_tools"]["cargo_deny"]
    assert "cargo-deny@$CARGO_DENY_VERSION" in content
