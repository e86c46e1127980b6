"""The golden template: where it lives and what its copier.yml declares.

The generator asks its own questions (flags, questionary) but never re-types the template's
defaults or validators: it renders them from copier.yml with the same Jinja filters copier uses,
so a platform team that edits a default or a rule in copier.yml changes the CLI too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import yaml

from generator.errors import TemplateError, UsageError

# Questions that scaffold fills in itself (from the recommendation step); never prompted.
MANAGED_BY_SCAFFOLD = frozenset(
    {"traits", "recommendation", "language_override", "template_version"}
)


def bundled_template_dir() -> Path:
    """Return the templates shipped with this package (wheel) or this source checkout."""
    packaged = Path(str(resources.files("generator"))) / "_templates"
    if (packaged / "copier.yml").is_file():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "templates"
    if (checkout / "copier.yml").is_file():
        return checkout
    raise TemplateError(  # pragma: no cover - only a broken install gets here
        "the bundled templates are missing from this installation",
        hint="reinstall scaffold",
    )


@dataclass(frozen=True)
class Question:
    """One copier question, as far as the generator needs to know it."""

    key: str
    type: str
    help: str
    choices: Mapping[str, Any]
    default: Any
    validator: str
    when: Any


@dataclass(frozen=True)
class Template:
    """A copier template root that follows scaffold's layout (copier.yml + shared/)."""

    root: Path

    @classmethod
    def load(cls, root: Path) -> Template:
        """Open a template root, failing early with a clear error if it is not one."""
        if not (root / "copier.yml").is_file():
            raise TemplateError(
                f"{root} is not a scaffold template (no copier.yml)",
                hint="pass a directory created by `scaffold golden init`",
            )
        return cls(root)

    @cached_property
    def config(self) -> dict[str, Any]:
        """Parse copier.yml."""
        try:
            data = yaml.safe_load((self.root / "copier.yml").read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise TemplateError(f"copier.yml is not valid YAML: {error}") from error
        if not isinstance(data, dict):
            raise TemplateError("copier.yml must be a mapping of questions")
        return data

    @cached_property
    def contract(self) -> dict[str, Any]:
        """The platform contract (shared/contract.yml), the single source of truth."""
        return self._shared_yaml("contract.yml")

    @cached_property
    def ownership(self) -> dict[str, Any]:
        """Which files the platform owns (shared/ownership.yml)."""
        return self._shared_yaml("ownership.yml")

    @cached_property
    def rust_dependencies(self) -> frozenset[str]:
        """Package names in the Rust lockfile: a service may not take one (cargo would clash)."""
        path = self.root / "shared" / "rust" / "Cargo.lock.deps"
        if not path.is_file():
            return frozenset()
        text = path.read_text(encoding="utf-8")
        return frozenset(re.findall(r'name = "([^"]+)"\nversion = "[^"]+"\nsource = ', text))

    @cached_property
    def smoke(self) -> dict[str, Any]:
        """The variant axes `scaffold smoke` covers (shared/smoke.yml)."""
        return self._shared_yaml("smoke.yml")

    @cached_property
    def naming(self) -> dict[str, Any]:
        """The service-name rules (shared/naming.yml)."""
        return self._shared_yaml("naming.yml")

    def _shared_yaml(self, name: str) -> dict[str, Any]:
        path = self.root / "shared" / name
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise TemplateError(f"cannot read {path}: {error}") from error
        if not isinstance(data, dict):
            raise TemplateError(f"{path} must be a YAML mapping")
        return data

    @cached_property
    def questions(self) -> dict[str, Question]:
        """Questions a user answers (hidden `when: false` values excluded), in file order."""
        found: dict[str, Question] = {}
        for key, spec in self.config.items():
            if key.startswith("_") or not isinstance(spec, dict) or spec.get("when") is False:
                continue
            found[key] = Question(
                key=key,
                type=str(spec.get("type", "str")),
                help=str(spec.get("help", key)),
                choices=_choices(spec.get("choices")),
                default=spec.get("default"),
                validator=str(spec.get("validator", "")),
                when=spec.get("when", True),
            )
        return found

    @cached_property
    def _jinja(self) -> jinja2.Environment:
        return jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.root)),
            extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
            autoescape=False,  # noqa: S701 - renders plain values, never HTML
        )

    def _render(self, source: str, answers: Mapping[str, Any]) -> str:
        context = {"contract": self.contract, "naming": self.naming, **answers}
        return self._jinja.from_string(source).render(context).strip()

    def applies(self, question: Question, answers: Mapping[str, Any]) -> bool:
        """Whether copier would ask this question given the answers so far."""
        if isinstance(question.when, bool):
            return question.when
        return self._render(str(question.when), answers).lower() in {"true", "yes", "1"}

    def default_for(self, question: Question, answers: Mapping[str, Any]) -> Any:
        """Render the question's default the way copier renders it."""
        if isinstance(question.default, str):
            return self.coerce(question, self._render(question.default, answers))
        return question.default

    def coerce(self, question: Question, raw: Any) -> Any:
        """Convert a raw (flag or prompt) answer to the question's type."""
        if question.type == "int":
            try:
                return int(raw)
            except (TypeError, ValueError):
                raise UsageError(
                    f"{question.key} must be a whole number, got {raw!r}",
                    hint=f"pass {question.key}=<number>",
                ) from None
        if question.type == "bool" and isinstance(raw, str):
            return raw.strip().lower() in {"true", "yes", "y", "1", "on"}
        if question.type in {"yaml", "json"} and isinstance(raw, str):
            return yaml.safe_load(raw)
        return raw

    def problem_with(self, question: Question, value: Any, answers: Mapping[str, Any]) -> str:
        """Return the validator's message for a value, or "" when the value is acceptable."""
        if question.choices and value not in question.choices.values():
            allowed = ", ".join(str(v) for v in question.choices.values())
            return f"must be one of: {allowed}"
        if not question.validator:
            return ""
        return self._render(question.validator, {**answers, question.key: value})


def _choices(raw: Any) -> Mapping[str, Any]:
    if isinstance(raw, dict):
        return dict(raw)
    if isinstance(raw, list):
        return {str(item): item for item in raw}
    return {}
