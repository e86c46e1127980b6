"""One result model and its formats, shared by check, smoke and fleet output."""

from generator.report._formats import junit_xml, printable, table
from generator.report._model import Result, Suite

__all__ = ["Result", "Suite", "junit_xml", "printable", "table"]
