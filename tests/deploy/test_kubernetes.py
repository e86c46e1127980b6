"""deploy/: the Kubernetes manifests every service gets, and the validators that prove them.

A fresh render passes all of them; each mutation below breaks the manifests in one way and proves
the validator meant to catch it fails, and says where. kustomize and kube-score come from the tool
cache the way `scaffold smoke` gets them (installed on first use, like actionlint).
"""

from __future__ import annotations

import math
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.deploy import check_kubernetes
from generator.errors import ArtifactInvalid, ToolchainError
from generator.template import Template, render
from generator.tools import ensure, go_tools
from tests.helpers import LANGUAGES, TEMPLATES, replace_in, require_tools, template_copy

TEMPLATE = Template.load(TEMPLATES)
DEPLOY = TEMPLATE.contract.deploy
NEEDED = ("kustomize", "kube-score")


@pytest.fixture(scope="session")
def deploy_tools() -> dict[str, Path]:
    """kustomize and kube-score at their pinned versions, from scaffold's tool cache."""
    require_tools("go")
    return {tool.name: ensure(tool) for tool in go_tools(TEMPLATE.tools) if tool.name in NEEDED}


@pytest.fixture
def service(generated: Callable[[str], Path], tmp_path: Path) -> Path:
    """A copy of the default Go service, ours to break."""
    return Path(shutil.copytree(generated("go"), tmp_path / "payments"))


def findings(service: Path, tools: dict[str, Path]) -> list[str]:
    """The findings check_kubernetes fails with (one per line, after the summary line)."""
    with pytest.raises(ArtifactInvalid) as raised:
        check_kubernetes(service, TEMPLATE, tools)
    assert raised.value.exit_code == 5
    return raised.value.message.splitlines()[1:]


def deployment(service: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((service / "deploy/base/deployment.yaml").read_text())
    return loaded


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_fresh_service_passes_schema_policy_and_contract_checks(
    generated: Callable[[str], Path], deploy_tools: dict[str, Path], language: str
) -> None:
    summary = check_kubernetes(generated(language), TEMPLATE, deploy_tools)
    assert "dev, prod, prod+servicemonitor" in summary
    assert f"Kubernetes {TEMPLATE.tools.kubernetes} schemas (strict)" in summary


def test_both_languages_get_the_same_manifests(generated: Callable[[str], Path]) -> None:
    go, rust = (generated(language) / "deploy" for language in LANGUAGES)

    def manifests(deploy: Path) -> list[Path]:
        parts = ("base", "overlays", "components")  # deploy/local/ is the local stack's
        return sorted(p.relative_to(deploy) for d in parts for p in (deploy / d).rglob("*.yaml"))

    files = manifests(go)
    assert files == manifests(rust)
    assert len(files) == 11
    for name in files:
        assert (go / name).read_text() == (rust / name).read_text(), name


def test_the_grace_period_is_computed_from_the_contract(tmp_path: Path) -> None:
    """Odd values in a template copy: the rendered grace period follows them, rounded up."""
    drain, timeout, margin = 4321, 12345, 3

    def edit(root: Path) -> None:
        contract = root / "shared/contract.yml"
        replace_in(contract, "shutdown_drain_delay_ms: 5000", f"shutdown_drain_delay_ms: {drain}")
        replace_in(contract, "shutdown_timeout_ms: 10000", f"shutdown_timeout_ms: {timeout}")
        replace_in(contract, "grace_period_margin_s: 5", f"grace_period_margin_s: {margin}")

    template = template_copy(tmp_path / "template", edit, tagged=False)
    render(template, tmp_path / "svc", {"service_name": "payments", "language": "rust"})
    pod = deployment(tmp_path / "svc")["spec"]["template"]["spec"]
    env = {var["name"]: var["value"] for var in pod["containers"][0]["env"]}
    assert env["SHUTDOWN_DRAIN_DELAY_MS"] == str(drain)
    assert env["SHUTDOWN_TIMEOUT_MS"] == str(timeout)
    budget_s = (drain + timeout) / 1000
    assert pod["terminationGracePeriodSeconds"] > budget_s
    assert pod["terminationGracePeriodSeconds"] == math.ceil(budget_s) + margin == 20
    loaded = Template.load(template).contract.deploy
    assert pod["terminationGracePeriodSeconds"] == loaded.termination_grace_period_s


def test_the_bundled_grace_period_outlasts_the_shutdown_budget(
    generated: Callable[[str], Path],
) -> None:
    pod = deployment(generated("go"))["spec"]["template"]["spec"]
    env = {var["name"]: int(var["value"]) for var in pod["containers"][0]["env"][:4]}
    budget_s = (env["SHUTDOWN_DRAIN_DELAY_MS"] + env["SHUTDOWN_TIMEOUT_MS"]) / 1000
    assert pod["terminationGracePeriodSeconds"] > budget_s
    assert pod["terminationGracePeriodSeconds"] == DEPLOY.termination_grace_period_s


# -- one mutation per validator --------------------------------------------------------------


def test_contract_check_fails_on_a_probe_path_that_is_not_the_contracts(
    service: Path, deploy_tools: dict[str, Path]
) -> None:
    liveness = TEMPLATE.contract.routes.liveness
    replace_in(service / "deploy/base/deployment.yaml", f"path: {liveness}", "path: /healthz")
    found = findings(service, deploy_tools)
    assert found
    assert all(line.startswith("contract: ") for line in found), found
    assert (
        f"contract: dev, prod, prod+servicemonitor: Deployment/payments "
        f"livenessProbe.httpGet.path: /healthz, the contract's is {liveness}"
    ) in found


def test_contract_check_fails_on_a_grace_period_shorter_than_the_shutdown_budget(
    service: Path, deploy_tools: dict[str, Path]
) -> None:
    grace = DEPLOY.termination_grace_period_s
    replace_in(
        service / "deploy/base/deployment.yaml",
        f"terminationGracePeriodSeconds: {grace}",
        "terminationGracePeriodSeconds: 10",
    )
    found = findings(service, deploy_tools)
    assert all(line.startswith("contract: ") for line in found), found
    assert any(
        "terminationGracePeriodSeconds: 10" in line and f"at least {grace} s" in line
        for line in found
    ), found


def test_contract_check_fails_on_a_servicemonitor_scraping_another_port(
    service: Path, deploy_tools: dict[str, Path]
) -> None:
    replace_in(
        service / "deploy/components/servicemonitor/servicemonitor.yaml",
        "port: metrics",
        "port: http",
    )
    found = findings(service, deploy_tools)
    assert found == [
        "contract: prod+servicemonitor: ServiceMonitor/payments spec.endpoints.0.port: http, "
        "must be metrics"
    ]


def test_schema_check_fails_on_a_field_of_the_wrong_type(
    service: Path, deploy_tools: dict[str, Path]
) -> None:
    replace_in(
        service / "deploy/base/deployment.yaml", "failureThreshold: 3", 'failureThreshold: "3"'
    )
    found = findings(service, deploy_tools)
    assert all(line.startswith("schema: ") for line in found), found
    assert (
        "schema: dev, prod, prod+servicemonitor: Deployment/payments "
        "spec.template.spec.containers.0.livenessProbe.failureThreshold: "
        "'3' is not of type 'integer', 'null'"
    ) in found


def test_schema_check_is_strict_about_unknown_fields(
    service: Path, deploy_tools: dict[str, Path]
) -> None:
    replace_in(
        service / "deploy/base/pdb.yaml",
        "maxUnavailable: 1",
        "maxUnavailable: 1\n  maxUnavialable: 1",
    )
    found = findings(service, deploy_tools)
    assert all(line.startswith("schema: ") for line in found), found
    assert any(
        "PodDisruptionBudget/payments spec" in line and "maxUnavialable" in line for line in found
    )


def test_policy_check_fails_on_a_container_without_a_memory_limit(
    service: Path, deploy_tools: dict[str, Path]
) -> None:
    replace_in(
        service / "deploy/base/deployment.yaml",
        f"            limits:\n              memory: {DEPLOY.resources.memory_limit}\n",
        "",
    )
    found = findings(service, deploy_tools)
    assert all(line.startswith("kube-score: ") for line in found), found
    assert (
        "kube-score: dev, prod: [CRITICAL] payments apps/v1/Deployment: "
        "(payments) Memory limit is not set"
    ) in found


def test_kustomize_fails_on_a_broken_kustomization(
    service: Path, deploy_tools: dict[str, Path]
) -> None:
    replace_in(
        service / "deploy/base/kustomization.yaml",
        "kind: Kustomization",
        "kind: Kustomization\nnamePrefx: x-",
    )
    with pytest.raises(ArtifactInvalid) as raised:
        check_kubernetes(service, TEMPLATE, deploy_tools)
    message = raised.value.message
    assert message.startswith("kustomize build deploy/overlays/dev failed: ")
    assert "namePrefx" in message


@pytest.mark.parametrize(
    "entry",
    [
        "https://github.com/example/manifests//base?ref=v1",
        "github.com/example/manifests/base",
        "../../../..",
        "pdb.yml",
    ],
)
def test_a_kustomization_that_loads_anything_outside_deploy_is_refused_before_kustomize_runs(
    service: Path, entry: str
) -> None:
    replace_in(service / "deploy/base/kustomization.yaml", "- pdb.yaml", f"- {entry}")
    tools = {name: Path("/nonexistent") / name for name in NEEDED}  # never run
    with pytest.raises(ArtifactInvalid) as raised:
        check_kubernetes(service, TEMPLATE, tools)
    assert raised.value.message == (
        f"deploy/base/kustomization.yaml: {entry!r} is not a file or directory inside deploy/"
    )


@pytest.mark.parametrize("missing", NEEDED)
def test_a_missing_tool_fails_closed(generated: Callable[[str], Path], missing: str) -> None:
    tools = {name: Path("/nonexistent") / name for name in NEEDED if name != missing}
    with pytest.raises(ToolchainError) as raised:
        check_kubernetes(generated("go"), TEMPLATE, tools)
    assert raised.value.exit_code == 4
    assert raised.value.message == (
        f"the Kubernetes manifests cannot be validated: {missing} was not provisioned"
    )
    assert "scaffold doctor --install" in raised.value.hint


def test_without_kubernetes_validate_the_check_fails_closed(
    generated: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "kubernetes_validate", None)  # import raises ImportError
    tools = {name: Path("/nonexistent") / name for name in NEEDED}
    with pytest.raises(ToolchainError, match="kubernetes-validate is not installed"):
        check_kubernetes(generated("go"), TEMPLATE, tools)
