"""`scaffold fleet`: see and move every service built from a golden template.

A fleet file lists the services' repositories (_file); status reads each one's template version
and drift without cloning it (_repo, _status); update proposes a new template version as one
branch (and pull request) per service, in waves (_update, _forge); plan shards a fleet for CI.
"""

from generator.fleet._file import Fleet, load_fleet
from generator.fleet._model import Entry, FleetStatus, ServiceStatus
from generator.fleet._status import fleet_status

__all__ = ["Entry", "Fleet", "FleetStatus", "ServiceStatus", "fleet_status", "load_fleet"]
