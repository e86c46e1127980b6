"""The `scaffold` command line: a thin typer layer over the library, one module per command."""

from generator.cli._app import app, main

__all__ = ["app", "main"]
