"""A template's life after `new`: golden repositories, updates, and template CI (smoke)."""

from generator.lifecycle import _smoke as smoke
from generator.lifecycle._golden import INITIAL_TAG, init_golden
from generator.lifecycle._update import UpdateResult, update_service

__all__ = ["INITIAL_TAG", "UpdateResult", "init_golden", "smoke", "update_service"]
