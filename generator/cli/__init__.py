"""The `scaffold` command line: a thin typer layer over the library, one module per command.

_app holds the app and its one error boundary; importing each command module registers it.
"""

from generator.cli import _check, _doctor, _fleet, _golden, _new, _recommend, _smoke, _update
from generator.cli._app import app, main

__all__ = ["app", "main"]
# Imported for their side effect: each registers its command on `app`.
_COMMANDS = (_new, _recommend, _check, _update, _smoke, _golden, _fleet, _doctor)
