"""Templates: where they come from and at which version, what they declare, and copier.

A template is untrusted input (see SECURITY.md): its copier.yml expressions run in Jinja's
sandbox, and nothing outside its root is read. `_copier` is the only module that runs copier.
"""

from generator.template._answers import ANSWERS_FILE, ServiceInfo, load_service, rewrite_answers
from generator.template._copier import render, update
from generator.template._models import Contract, NamingRules, Ownership, SmokeAxes, ToolPins
from generator.template._source import (
    TemplateSource,
    checked_out,
    latest_version,
    newest,
    tag_subjects,
    version_key,
)
from generator.template._template import (
    MANAGED_BY_SCAFFOLD,
    TRUST_HINT,
    Question,
    Template,
    bundled_template_dir,
)

__all__ = [
    "ANSWERS_FILE",
    "MANAGED_BY_SCAFFOLD",
    "TRUST_HINT",
    "Contract",
    "NamingRules",
    "Ownership",
    "Question",
    "ServiceInfo",
    "SmokeAxes",
    "Template",
    "TemplateSource",
    "ToolPins",
    "bundled_template_dir",
    "checked_out",
    "latest_version",
    "load_service",
    "newest",
    "render",
    "rewrite_answers",
    "tag_subjects",
    "update",
    "version_key",
]
