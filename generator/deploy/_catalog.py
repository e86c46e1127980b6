"""A generated service's catalog entry (catalog-info.yaml) and CODEOWNERS: valid, and theirs.

Two validators, each of which can fail on its own:

- backstage: Backstage's own validators from @backstage/catalog-model (the version tools.yml
  pins), run with Node.js: the entity envelope, the generic Entity schema, the policies a default
  catalog applies (name and annotation formats, no unknown root fields) and the Component kind's
  schema (generator/deploy/catalogcheck.cjs);
- contract: what the schema cannot know. The entity is the service (name, type service), owned
  by the answers' owner and in the answers' system, if any; its Kubernetes label selector is the
  one deploy/ selects on (contract.deploy.name_label=<service>); its ADRs are linked; and
  .github/CODEOWNERS gives the repository to the same owner.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from generator.deploy._runner import fail, read, run, tail, tool
from generator.errors import ArtifactInvalid
from generator.template import Template, load_service

CATALOG_FILE = "catalog-info.yaml"
CODEOWNERS_FILE = ".github/CODEOWNERS"
LABEL_SELECTOR = "backstage.io/kubernetes-label-selector"
ADR_LOCATION = "backstage.io/adr-location"
ADR_DIR = "docs/adr"
# Runs @backstage/catalog-model's validators over the entities it reads as JSON on stdin.
CATALOGCHECK_SCRIPT = Path(__file__).resolve().with_name("catalogcheck.cjs")


def check_catalog(service: Path, template: Template, tools: Mapping[str, Path]) -> str:
    """Validate catalog-info.yaml and CODEOWNERS; return a one-line summary.

    Raises ToolchainError when @backstage/catalog-model or node is not in `tools` (the keys
    "catalog_model" and "node", from generator.tools.ensure_deploy_validators) or cannot run,
    and ArtifactInvalid with every finding when a file fails a validator.
    """
    catalog_model = tool(tools, "catalog_model", CATALOG_FILE)
    node = tool(tools, "node", CATALOG_FILE)
    text = read(service, CATALOG_FILE)
    try:
        entities = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "invalid YAML"
        raise ArtifactInvalid(f"{CATALOG_FILE}: not valid YAML: {reason}") from None
    if len(entities) != 1:
        raise ArtifactInvalid(f"{CATALOG_FILE}: must hold one entity, found {len(entities)}")
    result = run(
        [node, CATALOGCHECK_SCRIPT, catalog_model],
        cwd=service,
        stdin=json.dumps(entities, default=str),
    )
    if result.returncode not in {0, 1}:
        raise ArtifactInvalid(f"{CATALOG_FILE}: backstage: {tail(result.stderr)}")
    findings = [f"backstage: {line}" for line in result.stdout.splitlines() if line.strip()]
    if result.returncode == 1 and not findings:
        findings.append(f"backstage: {tail(result.stderr)}")
    answers = load_service(service).answers
    findings += [f"contract: {f}" for f in _contract(entities[0], template, answers)]
    fail(CATALOG_FILE, findings)
    fail(CODEOWNERS_FILE, (f"contract: {f}" for f in _codeowners(service, answers)))
    return f"{CATALOG_FILE}: backstage and contract ok; {CODEOWNERS_FILE}: owner ok"


def _contract(entity: Any, template: Template, answers: Mapping[str, Any]) -> Iterator[str]:
    if not isinstance(entity, dict):
        yield "the entity is not a mapping"
        return
    name = str(answers["service_name"])
    metadata = _mapping(entity.get("metadata"))
    spec = _mapping(entity.get("spec"))
    annotations = _mapping(metadata.get("annotations"))
    if (entity.get("kind"), spec.get("type")) != ("Component", "service"):
        yield "must be a Component of type service"
    if metadata.get("name") != name:
        yield f"metadata.name: {metadata.get('name')!r}, not the service name {name!r}"
    owner = answers.get("owner")
    if spec.get("owner") != owner:
        yield f"spec.owner: {spec.get('owner')!r}, not the owner {owner!r} (--owner)"
    system = answers.get("system") or None
    if spec.get("system") != system:
        yield f"spec.system: {spec.get('system')!r}, not {system!r} (--data system=…)"
    selector = f"{template.contract.deploy.name_label}={name}"
    if annotations.get(LABEL_SELECTOR) != selector:
        yield (
            f"metadata.annotations.{LABEL_SELECTOR}: {annotations.get(LABEL_SELECTOR)!r}, "
            f"not {selector!r} (the label deploy/ selects on)"
        )
    if annotations.get(ADR_LOCATION) != ADR_DIR:
        yield f"metadata.annotations.{ADR_LOCATION}: must be {ADR_DIR}"


def _codeowners(service: Path, answers: Mapping[str, Any]) -> Iterator[str]:
    try:
        text = read(service, CODEOWNERS_FILE)
    except ArtifactInvalid as error:
        yield error.message.removeprefix(f"{CODEOWNERS_FILE}: ")
        return
    team = f"@{answers.get('github_org')}/{answers.get('owner')}"
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    rules = [line.split() for line in lines]
    everything = [rule[1:] for rule in rules if rule[0] == "*"]
    if not everything or team not in everything[-1]:
        yield f"the rule for * must name the owner {team}"


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
