"""The slow-client probe (_hold) and the reading of what it saw, against a scripted server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from generator.conformance import _scenarios
from generator.conformance._observation import Held
from generator.conformance._scenarios import _hold
from generator.conformance._verify import Failed, _closed_in_time, _reply

Script = Callable[[socket.socket], None]


@pytest.fixture
def server() -> Iterator[Callable[[Script], int]]:
    """A one-connection server on 127.0.0.1 that runs a script on the accepted socket."""
    listeners: list[socket.socket] = []
    threads: list[threading.Thread] = []

    def start(script: Script) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                script(conn)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        threads.append(thread)
        return int(listener.getsockname()[1])

    yield start
    for listener in listeners:
        listener.close()
    for thread in threads:
        thread.join(timeout=5)


RESPONSE = b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"


def test_an_answer_then_a_close_is_timed(server: Callable[[Script], int]) -> None:
    def answer_late(conn: socket.socket) -> None:
        conn.recv(100)
        threading.Event().wait(0.2)
        conn.sendall(RESPONSE)

    held = _hold(server(answer_late), "GET / HTTP/1.1\r\n", timeout_ms=200)
    assert held.reply == RESPONSE
    assert held.first_byte_after is not None
    assert 0.15 < held.first_byte_after < 2
    assert held.closed_after is not None
    assert held.closed_after >= held.first_byte_after
    response = _reply(held, "a slow body", "GET", "/x")
    assert (response.status, response.headers["connection"], response.json()) == (408, "close", {})


def test_a_connection_left_open_is_never_closed(
    server: Callable[[Script], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_scenarios, "SLOW_WAIT", 0.1)
    done = threading.Event()

    def stay_silent(_: socket.socket) -> None:
        done.wait(5)

    held = _hold(server(stay_silent), "GET / HTTP/1.1\r\n", timeout_ms=100)
    done.set()
    assert held == Held(b"", None, None)
    with pytest.raises(Failed, match="still open"):
        _closed_in_time(held, "half-sent headers", 100)


def test_closing_long_before_the_timeout_fails() -> None:
    with pytest.raises(Failed, match="before 1 s"):
        _closed_in_time(Held(b"", None, 0.01), "an idle connection", 1000)
    assert _closed_in_time(Held(b"", None, 0.95), "an idle connection", 1000) == 0.95


@pytest.mark.parametrize("reply", [b"", b"garbage\r\n\r\n"])
def test_no_or_garbled_answers_fail(reply: bytes) -> None:
    with pytest.raises(Failed):
        _reply(Held(reply, 0.1, 0.1), "a slow body", "GET", "/x")
