"""Ports handed to services under test: never the same one twice in a process."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.conformance import _runtime
from generator.conformance._runtime import RunningService, free_port
from generator.errors import ToolchainError


class _FakeSocket:
    """A socket whose bind(port 0) yields the next port from a script."""

    def __init__(self, ports: Iterator[int]) -> None:
        self._ports = ports
        self._port = 0

    def __enter__(self) -> _FakeSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def bind(self, address: tuple[str, int]) -> None:
        self._port = next(self._ports)

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self._port)


@pytest.fixture
def kernel_ports(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Script the ports the 'kernel' hands out, starting from an empty handed-out set."""
    monkeypatch.setattr(_runtime, "_handed_out", set())

    def script(*ports: int) -> None:
        sequence = iter(ports)
        monkeypatch.setattr(socket, "socket", lambda *args: _FakeSocket(sequence))

    return script


def test_a_port_the_kernel_hands_out_twice_is_skipped(kernel_ports: Any) -> None:
    # What made PORT equal METRICS_PORT in CI: the kernel reused a just-closed port at once.
    kernel_ports(41000, 41000, 41000, 41001)
    assert [free_port(), free_port()] == [41000, 41001]


def test_a_service_gets_two_different_ports(kernel_ports: Any) -> None:
    kernel_ports(42000, 42000, 42001)
    service = RunningService(binary=Path("unused"))
    assert (service.port, service.metrics_port) == (42000, 42001)


def test_running_out_of_fresh_ports_is_a_toolchain_error(kernel_ports: Any) -> None:
    kernel_ports(*([43000] * 101))
    assert free_port() == 43000
    with pytest.raises(ToolchainError, match="no free TCP port"):
        free_port()


def test_real_ports_are_distinct() -> None:
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
