"""Verdicts: the one result model that check, smoke (and later fleet) report with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Result:
    """One verdict: a contract item, a smoke step.

    detail is the one-line reason shown in tables; output is longer text (a diff, the tail of a
    command's output) shown after the table and carried into JSON and JUnit.
    """

    name: str
    passed: bool
    detail: str = ""
    seconds: float | None = None
    output: str = ""

    def to_dict(self, key: str = "name") -> dict[str, Any]:
        """Serialise for --json; key names the subject (`item` for check, `step` for smoke)."""
        out: dict[str, Any] = {key: self.name, "passed": self.passed, "detail": self.detail}
        if self.seconds is not None:
            out["seconds"] = round(self.seconds, 3)
        if self.output:
            out["output"] = self.output
        return out


@dataclass(frozen=True)
class Suite:
    """The results of one subject: a service checked, a smoke variant run.

    expected lists every result name that should exist, in order; one that is missing was not run
    (an earlier step failed) and is reported as skipped.
    """

    name: str
    results: tuple[Result, ...]
    group: str = "scaffold"
    expected: tuple[str, ...] = ()
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        ran = {result.name for result in self.results}
        complete = set(self.expected) <= ran
        return complete and all(result.passed for result in self.results)

    @property
    def seconds(self) -> float:
        return sum(result.seconds or 0.0 for result in self.results)

    @property
    def failed(self) -> list[Result]:
        return [result for result in self.results if not result.passed]
