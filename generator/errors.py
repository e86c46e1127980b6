"""The one error hierarchy of the library.

The CLI turns any ScaffoldError into a single line on stderr (message, then hint) and exits with
the error's exit code, so library code never prints or exits by itself.
"""

from __future__ import annotations


class ScaffoldError(Exception):
    """Base class: something the user can act on. Exit code 1 unless a subclass says otherwise."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """Return the message and hint as the single line the CLI prints."""
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class UsageError(ScaffoldError):
    """Bad input: a name, flag, trait or directory the user has to change. Exit code 2."""

    exit_code = 2


class TemplateError(ScaffoldError):
    """The template could not be loaded or rendered. Exit code 3."""

    exit_code = 3


class ToolchainError(ScaffoldError):
    """An external tool (git, go, cargo, make) is missing or failed. Exit code 4."""

    exit_code = 4


class ArtifactInvalid(ScaffoldError):
    """A generated file failed its validator (schema, policy, contract). Exit code 5."""

    exit_code = 5


class ForgeError(ScaffoldError):
    """A forge (GitHub's API) refused or failed a request. Exit code 4, like a failed tool."""

    exit_code = 4


class Aborted(ScaffoldError):
    """The user interrupted (Ctrl-C) or declined. Exit code 130, like a shell's SIGINT."""

    exit_code = 130
