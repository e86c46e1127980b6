"""renovate.json: the dependency bot's configuration every service gets, and its validators.

A fresh render passes Renovate's own `renovate-config-validator --strict` and the contract checks
(the copier manager brings template updates); each mutation breaks the file one way and proves
the validator meant to catch it fails, naming the problem.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.deploy import check_renovate
from generator.errors import ToolchainError
from tests.deploy.validators import TEMPLATE, failure, service, validators

__all__ = ["service", "validators"]  # fixtures


def edit(service: Path, change: Callable[[dict[str, object]], None]) -> None:
    path = service / "renovate.json"
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(config, indent=2))


def test_a_fresh_service_passes(service: Path, validators: dict[str, Path]) -> None:
    assert check_renovate(service, TEMPLATE, validators) == (
        "renovate.json: renovate --strict and contract ok"
    )
    managers = json.loads((service / "renovate.json").read_text())["enabledManagers"]
    language = json.loads(json.dumps((service / ".copier-answers.yml").read_text()))
    assert {"copier", "dockerfile", "docker-compose", "github-actions"} <= set(managers)
    assert ("gomod" in managers) == ("language: go" in language)


def test_an_unknown_option_and_manager_fail_renovate(
    service: Path, validators: dict[str, Path]
) -> None:
    def change(config: dict[str, object]) -> None:
        config["automergeEverything"] = True
        config["enabledManagers"] = [*config["enabledManagers"], "nosuchmanager"]  # type: ignore[misc]

    edit(service, change)
    message = failure(check_renovate, service, validators)
    assert "renovate: Invalid configuration option: automergeEverything" in message
    assert "nosuchmanager" in message


def test_a_configuration_that_needs_migrating_fails_strict(
    service: Path, validators: dict[str, Path]
) -> None:
    edit(service, lambda config: config.update(extends=["config:base"]))
    message = failure(check_renovate, service, validators)
    assert "renovate: the configuration needs migrating" in message


def test_without_the_copier_manager_the_contract_fails(
    service: Path, validators: dict[str, Path]
) -> None:
    def change(config: dict[str, object]) -> None:
        config["enabledManagers"] = [m for m in config["enabledManagers"] if m != "copier"]  # type: ignore[attr-defined]

    edit(service, change)
    message = failure(check_renovate, service, validators)
    assert message == "renovate.json: contract: enabledManagers: must include copier"


def test_a_missing_validator_is_a_toolchain_error(
    generated: Callable[[str], Path], validators: dict[str, Path]
) -> None:
    without = {k: v for k, v in validators.items() if k != "renovate"}
    with pytest.raises(ToolchainError, match="renovate was not provisioned") as raised:
        check_renovate(generated("go"), TEMPLATE, without)
    assert raised.value.exit_code == 4


def test_a_file_that_is_not_json_is_refused(service: Path, validators: dict[str, Path]) -> None:
    (service / "renovate.json").write_text("{ not json")
    assert failure(check_renovate, service, validators).startswith(
        "renovate.json: not valid JSON: "
    )


def test_a_disabled_manager_fails_the_contract(service: Path, validators: dict[str, Path]) -> None:
    edit(service, lambda config: config.update(copier={"enabled": False}))
    message = failure(check_renovate, service, validators)
    assert "contract: copier.enabled: must not be false" in message
