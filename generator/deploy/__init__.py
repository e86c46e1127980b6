"""Validating a generated service's deploy artifacts.

Kubernetes manifests, local stack, catalog entry, dependency bot.
"""

from generator.deploy._catalog import check_catalog
from generator.deploy._kubernetes import check_kubernetes
from generator.deploy._local import check_compose
from generator.deploy._renovate import check_renovate

__all__ = ["check_catalog", "check_compose", "check_kubernetes", "check_renovate"]
