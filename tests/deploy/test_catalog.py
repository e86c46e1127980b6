"""catalog-info.yaml and CODEOWNERS: the catalog entry every service gets, and its validators.

A fresh render passes Backstage's own validators (@backstage/catalog-model: the Entity schema,
the default catalog's policies, the Component kind's schema) and the contract checks; each
mutation breaks the entry one way and proves the validator meant to catch it fails.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from generator.deploy import check_catalog
from generator.errors import ToolchainError
from generator.new import NewOptions, new_service
from tests.deploy.validators import TEMPLATE, failure, service, validators
from tests.helpers import replace_in

__all__ = ["service", "validators"]  # fixtures


def test_a_fresh_service_passes(service: Path, validators: dict[str, Path]) -> None:
    summary = check_catalog(service, TEMPLATE, validators)
    assert summary.startswith("catalog-info.yaml: backstage and contract ok")
    entity = yaml.safe_load((service / "catalog-info.yaml").read_text())
    label = TEMPLATE.contract.deploy.name_label
    assert entity["metadata"]["annotations"]["backstage.io/kubernetes-label-selector"] == (
        f"{label}=payments"
    )
    assert entity["spec"] == {
        "type": "service",
        "lifecycle": "experimental",
        "owner": "platform-team",
    }
    assert (service / ".github/CODEOWNERS").read_text().splitlines()[-1] == (
        "* @platform-team/platform-team"
    )


@pytest.mark.parametrize("language", ["go", "rust"])
def test_owner_system_and_organization_come_from_the_answers(
    tmp_path: Path, validators: dict[str, Path], language: str
) -> None:
    options = NewOptions(
        name="ledger",
        language=language,
        directory=tmp_path / "ledger",
        defaults=True,
        git=False,
        flags={"owner": "ledger-team"},
        data=["system=billing", "github_org=acme"],
    )
    made = new_service(options, progress=lambda _: None, show=lambda _: None).path
    check_catalog(made, TEMPLATE, validators)
    spec = yaml.safe_load((made / "catalog-info.yaml").read_text())["spec"]
    assert (spec["owner"], spec["system"]) == ("ledger-team", "billing")
    assert "* @acme/ledger-team" in (made / ".github/CODEOWNERS").read_text()


def test_a_missing_owner_fails_backstage_and_the_contract(
    service: Path, validators: dict[str, Path]
) -> None:
    replace_in(service / "catalog-info.yaml", "  owner: platform-team\n", "")
    message = failure(check_catalog, service, validators)
    assert "backstage: entity 1: /spec must have required property 'owner'" in message
    assert "contract: spec.owner: None, not the owner 'platform-team' (--owner)" in message


def test_a_name_backstage_refuses_fails_backstage(
    service: Path, validators: dict[str, Path]
) -> None:
    replace_in(service / "catalog-info.yaml", "  name: payments\n", "  name: Payments Service\n")
    message = failure(check_catalog, service, validators)
    assert '"metadata.name" is not valid' in message


def test_another_label_selector_fails_the_contract(
    service: Path, validators: dict[str, Path]
) -> None:
    replace_in(service / "catalog-info.yaml", "app.kubernetes.io/name=payments", "app=payments")
    message = failure(check_catalog, service, validators)
    assert "kubernetes-label-selector: 'app=payments', not 'app.kubernetes.io/name=payments'" in (
        message
    )


def test_codeowners_without_the_owner_fails_the_contract(
    service: Path, validators: dict[str, Path]
) -> None:
    replace_in(service / ".github/CODEOWNERS", "@platform-team/platform-team", "@someone-else")
    message = failure(check_catalog, service, validators)
    assert message.startswith(".github/CODEOWNERS: contract: the rule for * must name the owner")


def test_a_missing_validator_is_a_toolchain_error(
    generated: Callable[[str], Path], validators: dict[str, Path]
) -> None:
    without = {k: v for k, v in validators.items() if k != "catalog_model"}
    with pytest.raises(ToolchainError, match="catalog_model was not provisioned") as raised:
        check_catalog(generated("go"), TEMPLATE, without)
    assert raised.value.exit_code == 4


def test_two_entities_or_bad_yaml_are_refused(service: Path, validators: dict[str, Path]) -> None:
    catalog = service / "catalog-info.yaml"
    text = catalog.read_text()
    catalog.write_text(text + "---\n" + text)
    assert failure(check_catalog, service, validators) == (
        "catalog-info.yaml: must hold one entity, found 2"
    )
    catalog.write_text("kind: [unclosed\n")
    assert failure(check_catalog, service, validators).startswith(
        "catalog-info.yaml: not valid YAML: "
    )


def test_another_kind_fails(service: Path, validators: dict[str, Path]) -> None:
    replace_in(service / "catalog-info.yaml", "kind: Component", "kind: Resource")
    message = failure(check_catalog, service, validators)
    assert "backstage: entity 1: not a Component" in message
    assert "contract: must be a Component of type service" in message


def test_a_missing_codeowners_fails(service: Path, validators: dict[str, Path]) -> None:
    (service / ".github/CODEOWNERS").unlink()
    assert failure(check_catalog, service, validators) == ".github/CODEOWNERS: contract: missing"
