"""What `scaffold fleet` reads (a fleet file's entries) and reports (one status per service)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Entry:
    """One service of a fleet file: its repository (git URL or path) and default branch."""

    repo: str
    branch: str = "main"
    name: str | None = None  # overrides the name the answers file records
    owner: str | None = None  # overrides the owner the answers file records

    @property
    def label(self) -> str:
        """Name the entry: its name:, else its repository's last path component."""
        tail = self.repo.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        return self.name or tail.removesuffix(".git")


@dataclass(frozen=True)
class ServiceStatus:
    """Where one service stands against its template.

    version is the template version its default branch records, latest the newest release of
    that template; drift lists the platform-owned files that differ from a fresh render (the
    rules of `scaffold check`); proposed is the `scaffold/update-<version>` branch that already
    proposes an update, if any. error says, in one line, why the rest could not be read.
    """

    repo: str
    branch: str
    name: str
    language: str = ""
    owner: str = ""
    source: str = ""  # the template repository, or "bundled"
    version: str | None = None
    latest: str | None = None
    behind: bool = False
    drift: list[str] = field(default_factory=list)
    proposed: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class FleetStatus:
    """Every service of a fleet, in the fleet file's order."""

    services: list[ServiceStatus]

    @property
    def behind(self) -> int:
        return sum(service.behind for service in self.services)

    @property
    def drifted(self) -> int:
        return sum(bool(service.drift) for service in self.services)

    @property
    def failed(self) -> int:
        return sum(service.error is not None for service in self.services)

    def to_dict(self) -> dict[str, object]:
        return {"services": [service.to_dict() for service in self.services]}
