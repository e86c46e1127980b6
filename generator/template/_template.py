"""The golden template: where it lives and what its copier.yml declares.

The generator asks its own questions (flags, questionary) but never re-types the template's
defaults or validators: it renders them from copier.yml with the same Jinja filters copier uses,
so a platform team that edits a default or a rule in copier.yml changes the CLI too.

A template is untrusted input. Its expressions are evaluated in Jinja's sandbox (as copier
evaluates them), every file read from it must resolve inside its root, and a template that wants
to run code (copier's _tasks, _migrations, _jinja_extensions) is refused unless the user passed
--trust.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import jinja2.exceptions
import jinja2.sandbox
import yaml

from generator._paths import inside
from generator.errors import TemplateError, UsageError
from generator.template._models import (
    Contract,
    NamingRules,
    Ownership,
    SmokeAxes,
    ToolPins,
    parse_shared,
)

# copier.yml settings that make copier run code from the template (copier's own list).
CODE_RUNNING_SETTINGS = ("_tasks", "_migrations", "_jinja_extensions")
TRUST_HINT = (
    "scaffold runs no code from a template; if you trust this one, pass --trust "
    "(it lets the template run commands on this machine)"
)
# Jinja environment options a template may set with _envops (copier passes them through too).
_ENVOPS = frozenset(
    {
        "block_start_string",
        "block_end_string",
        "variable_start_string",
        "variable_end_string",
        "comment_start_string",
        "comment_end_string",
        "line_statement_prefix",
        "line_comment_prefix",
        "trim_blocks",
        "lstrip_blocks",
        "newline_sequence",
        "keep_trailing_newline",
        "autoescape",
        "undefined",
    }
)
_UNDEFINED = {
    "jinja2.Undefined": jinja2.Undefined,
    "jinja2.StrictUndefined": jinja2.StrictUndefined,
}

# Questions that scaffold fills in itself (from the recommendation step); never prompted.
MANAGED_BY_SCAFFOLD = frozenset(
    {"traits", "recommendation", "language_override", "template_version"}
)


def bundled_template_dir() -> Path:
    """Return the templates shipped with this package (wheel) or this source checkout."""
    packaged = Path(str(resources.files("generator"))) / "_templates"
    if (packaged / "copier.yml").is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "templates"
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
    """A copier template root that follows scaffold's layout (copier.yml + shared/).

    trusted is the user's --trust: only then may the template run code (copier's _tasks,
    _migrations and _jinja_extensions).
    """

    root: Path
    trusted: bool = False

    @classmethod
    def load(cls, root: Path, *, trusted: bool = False) -> Template:
        """Open a template root, failing early with a clear error if it is not one."""
        if not (root / "copier.yml").is_file():
            raise TemplateError(
                f"{root} is not a scaffold template (no copier.yml)",
                hint="pass a directory created by `scaffold golden init`",
            )
        template = cls(root, trusted)
        wants_code = [key for key in CODE_RUNNING_SETTINGS if template.config.get(key)]
        if wants_code and not trusted:
            raise TemplateError(
                f"refused: the template wants to run code ({', '.join(wants_code)} in copier.yml)",
                hint=TRUST_HINT,
            )
        # Read shared/ now: a broken file there is the template's fault (exit 3), never a check
        # or a name that fails later for a reason nobody can see.
        _ = (template.contract, template.ownership, template.smoke, template.naming)
        _ = template.tools
        return template

    @cached_property
    def config(self) -> dict[str, Any]:
        """Parse copier.yml."""
        path = inside(self.root, "copier.yml", source="the template")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise TemplateError(f"copier.yml cannot be read: {_first_line(error)}") from None
        if not isinstance(data, dict):
            raise TemplateError("copier.yml must be a mapping of questions")
        return data

    @cached_property
    def contract(self) -> Contract:
        """The platform contract (shared/contract.yml), the single source of truth."""
        return parse_shared(Contract, self._shared_yaml("contract.yml"), "shared/contract.yml")

    @cached_property
    def ownership(self) -> Ownership:
        """Which files the platform owns (shared/ownership.yml)."""
        return parse_shared(Ownership, self._shared_yaml("ownership.yml"), "shared/ownership.yml")

    @cached_property
    def rust_dependencies(self) -> frozenset[str]:
        """Package names in the Rust lockfile: a service may not take one (cargo would clash)."""
        path = inside(self.root, "shared/rust/Cargo.lock.deps", source="the template")
        if not path.is_file():
            return frozenset()
        text = _read(path, "shared/rust/Cargo.lock.deps")
        return frozenset(re.findall(r'name = "([^"]+)"\nversion = "[^"]+"\nsource = ', text))

    @cached_property
    def smoke(self) -> SmokeAxes:
        """The variant axes `scaffold smoke` covers (shared/smoke.yml)."""
        return parse_shared(SmokeAxes, self._shared_yaml("smoke.yml"), "shared/smoke.yml")

    @cached_property
    def tools(self) -> ToolPins:
        """Pinned tool versions (shared/tools.yml); templates made before it use scaffold's own."""
        if not inside(self.root, "shared/tools.yml", source="the template").is_file():
            if self.root == bundled_template_dir():
                raise TemplateError("the bundled templates have no shared/tools.yml")
            return Template(bundled_template_dir()).tools
        return parse_shared(ToolPins, self._shared_yaml("tools.yml"), "shared/tools.yml")

    @cached_property
    def naming(self) -> NamingRules:
        """The service-name rules (shared/naming.yml)."""
        return parse_shared(NamingRules, self._shared_yaml("naming.yml"), "shared/naming.yml")

    @cached_property
    def _jinja_context(self) -> dict[str, Any]:
        """What copier.yml's expressions see besides the answers: the raw YAML, as copier has."""
        return {
            "contract": self._shared_yaml("contract.yml"),
            "naming": self._shared_yaml("naming.yml"),
        }

    def _shared_yaml(self, name: str) -> Any:
        """Parse a shared/ file's YAML, unchecked (the models above check it)."""
        path = inside(self.root, f"shared/{name}", source="the template")
        try:
            return yaml.safe_load(_read(path, f"shared/{name}"))
        except yaml.YAMLError as error:
            raise TemplateError(f"cannot read shared/{name}: {_first_line(error)}") from None

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
    def _jinja(self) -> jinja2.sandbox.SandboxedEnvironment:
        """A sandbox like copier's: no Python internals, includes confined to the template."""
        envops = self.config.get("_envops") or {}
        if not isinstance(envops, dict) or not set(envops) <= _ENVOPS:
            raise TemplateError(f"copier.yml: unsupported _envops {envops!r}")
        options = dict(envops)
        if "undefined" in options:
            if options["undefined"] not in _UNDEFINED:
                raise TemplateError(f"copier.yml: unsupported _envops.undefined {envops!r}")
            options["undefined"] = _UNDEFINED[options["undefined"]]
        extensions = ["jinja2_ansible_filters.AnsibleCoreFiltersExtension"]
        if self.trusted:
            extensions += list(self.config.get("_jinja_extensions") or [])
        try:
            return jinja2.sandbox.SandboxedEnvironment(
                loader=_ConfinedLoader(self.root), extensions=extensions, **options
            )
        except (ImportError, TypeError, ValueError) as error:
            raise TemplateError(f"copier.yml: cannot set up Jinja: {error}") from None

    def _render(self, source: str, answers: Mapping[str, Any], where: str) -> str:
        context = {**self._jinja_context, **answers}
        try:
            return self._jinja.from_string(source).render(context).strip()
        except jinja2.exceptions.SecurityError as error:
            raise TemplateError(
                f"refused: copier.yml's {where} tries to escape the Jinja sandbox ({error})",
                hint="this template is unsafe; nothing was run and nothing was written",
            ) from None
        except UsageError:
            raise
        except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError) as error:
            raise TemplateError(
                f"copier.yml's {where} cannot be evaluated: {_first_line(error)}"
            ) from None

    def applies(self, question: Question, answers: Mapping[str, Any]) -> bool:
        """Whether copier would ask this question given the answers so far."""
        if isinstance(question.when, bool):
            return question.when
        rendered = self._render(str(question.when), answers, f"`when` of {question.key}")
        return rendered.lower() in {"true", "yes", "1"}

    def default_for(self, question: Question, answers: Mapping[str, Any]) -> Any:
        """Render the question's default the way copier renders it."""
        if isinstance(question.default, str):
            rendered = self._render(question.default, answers, f"default of {question.key}")
            return self.coerce(question, rendered)
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
            try:
                return yaml.safe_load(raw)
            except yaml.YAMLError as error:
                raise UsageError(
                    f"{question.key} is not valid YAML: {_first_line(error)}",
                    hint=f"pass {question.key}=<YAML value>",
                ) from None
        return raw

    def problem_with(self, question: Question, value: Any, answers: Mapping[str, Any]) -> str:
        """Return the validator's message for a value, or "" when the value is acceptable."""
        if question.choices and value not in question.choices.values():
            allowed = ", ".join(str(v) for v in question.choices.values())
            return f"must be one of: {allowed}"
        if not question.validator:
            return ""
        context = {**answers, question.key: value}
        return self._render(question.validator, context, f"validator of {question.key}")


class _ConfinedLoader(jinja2.FileSystemLoader):
    """Loads {% include %}d files only when they resolve inside the template root."""

    def __init__(self, root: Path) -> None:
        super().__init__(str(root.resolve()))
        self._root = root

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        inside(self._root, template, source="an {% include %} in copier.yml")
        return super().get_source(environment, template)


def _read(path: Path, name: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TemplateError(f"cannot read {name}: {_first_line(error)}") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _choices(raw: Any) -> Mapping[str, Any]:
    if isinstance(raw, dict):
        return dict(raw)
    if isinstance(raw, list):
        return {str(item): item for item in raw}
    return {}
