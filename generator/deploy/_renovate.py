"""A generated service's Renovate configuration (renovate.json): valid, and bringing templates.

Two validators, each of which can fail on its own:

- renovate: Renovate's own `renovate-config-validator --strict` (the version tools.yml pins),
  validating the file as repository configuration: unknown options, unknown managers, invalid
  values and any configuration Renovate would have to migrate are errors;
- contract: what a valid configuration may still leave out. The copier manager is enabled, so
  new template versions arrive as pull requests, and so are the managers of the service's own
  dependencies (Go modules or Cargo), its Dockerfile and its GitHub Actions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from generator.deploy._runner import fail, read, run, tail, tool
from generator.errors import ArtifactInvalid
from generator.template import Template, load_service

RENOVATE_FILE = "renovate.json"
MANAGERS = {"go": "gomod", "rust": "cargo"}
REQUIRED_MANAGERS = ("copier", "dockerfile", "github-actions")
# Renovate reads its own configuration from the environment (RENOVATE_*, LOG_*, tokens): the
# validator gets none of the caller's, only what it needs to run.
_ENV_KEPT = ("PATH", "HOME", "TMPDIR", "LANG", "SYSTEMROOT")


def check_renovate(service: Path, template: Template, tools: Mapping[str, Path]) -> str:
    """Validate renovate.json; return a one-line summary.

    Raises ToolchainError when Renovate's validator or node is not in `tools` (the keys
    "renovate" and "node", from generator.tools.ensure_deploy_validators) or cannot run, and
    ArtifactInvalid with every finding when the file fails a validator.
    """
    del template  # the managers come from the service's own answers
    validator = tool(tools, "renovate", RENOVATE_FILE)
    node = tool(tools, "node", RENOVATE_FILE)
    text = read(service, RENOVATE_FILE)
    try:
        config = json.loads(text)
    except ValueError as error:
        raise ArtifactInvalid(f"{RENOVATE_FILE}: not valid JSON: {error}") from None
    env = {key: os.environ[key] for key in _ENV_KEPT if key in os.environ}
    # JSON lines, so each finding can be reported; re2 is a native module that an install
    # without scripts does not build, and Renovate falls back to JavaScript regular expressions.
    env.update(LOG_FORMAT="json", LOG_LEVEL="info", RENOVATE_X_IGNORE_RE2="true", NO_COLOR="1")
    result = run([node, validator, "--strict", "--no-global", RENOVATE_FILE], cwd=service, env=env)
    findings = [f"renovate: {finding}" for finding in _findings(result.stdout)]
    if result.returncode != 0 and not findings:
        findings.append(f"renovate: {tail(result.stdout + result.stderr)}")
    language = str(load_service(service).answers.get("language"))
    findings += [f"contract: {finding}" for finding in _contract(config, language)]
    fail(RENOVATE_FILE, findings)
    return f"{RENOVATE_FILE}: renovate --strict and contract ok"


def _findings(output: str) -> Iterator[str]:
    """Yield the errors, warnings and migrations in renovate-config-validator's JSON log lines."""
    for line in output.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict) or int(record.get("level", 0)) < 40:
            continue
        problems = [*(record.get("errors") or []), *(record.get("warnings") or [])]
        if problems:
            for problem in problems:
                yield str(problem.get("message", problem) if isinstance(problem, dict) else problem)
        elif record.get("newConfig") is not None:
            yield "the configuration needs migrating (renovate-config-validator prints the diff)"
        elif "diff" not in str(record.get("msg", "")).lower():
            yield str(record.get("msg", "")).strip() or "an unnamed problem"


def _contract(config: Any, language: str) -> Iterator[str]:
    if not isinstance(config, dict):
        yield "the configuration is not a JSON object"
        return
    enabled = config.get("enabledManagers")
    required = (*REQUIRED_MANAGERS, MANAGERS.get(language, ""))
    if enabled is not None:
        missing = [m for m in required if m and m not in enabled]
        if missing:
            yield f"enabledManagers: must include {', '.join(missing)}"
    for manager in required:
        if manager and (config.get(manager) or {}).get("enabled") is False:
            yield f"{manager}.enabled: must not be false"
