"""Reports for people and machines, from one place: fixed-width tables and JUnit XML."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from xml.etree import ElementTree as ET

from generator.report._model import Suite

# Colour codes and the control characters XML 1.0 cannot carry.
_UNPRINTABLE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|[\x00-\x08\x0b\x0c\x0e-\x1f]")


def printable(text: str) -> str:
    """Strip terminal colour codes and the control characters XML cannot carry."""
    return _UNPRINTABLE.sub("", text)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Format a fixed-width text table; the last column is never padded."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells[:-1], widths, strict=False)]
        return "  ".join([*padded, cells[-1]]).rstrip()

    return "\n".join([line(list(headers)), *(line(row) for row in cells)])


def junit_xml(suites: Sequence[Suite], *, name: str) -> str:
    """JUnit XML: one test case per result, classname <suite.group>, named <suite> <result>.

    A name in a suite's expected list without a result is reported as skipped.
    """
    root = ET.Element("testsuite", name=name)
    tests = failures = skipped = 0
    for suite in suites:
        ran = {result.name: result for result in suite.results}
        names = list(suite.expected) or list(ran)
        names += [n for n in ran if n not in names]
        for result_name in names:
            tests += 1
            case = ET.SubElement(
                root, "testcase", classname=suite.group, name=f"{suite.name} {result_name}"
            )
            result = ran.get(result_name)
            if result is None:
                skipped += 1
                ET.SubElement(case, "skipped", message="an earlier step failed")
                continue
            if result.seconds is not None:
                case.set("time", f"{result.seconds:.3f}")
            if not result.passed:
                failures += 1
                failure = ET.SubElement(
                    case, "failure", message=printable(result.detail or f"{result_name} failed")
                )
                failure.text = printable(result.output or result.detail)
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("skipped", str(skipped))
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
