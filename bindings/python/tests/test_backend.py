"""The sample backend's own code (examples/backend.py): its transports join the writes of one
turn of the event loop into one send, on a real uvloop TCP connection."""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import socket
from pathlib import Path
from types import ModuleType
from typing import Any

import uvloop

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@functools.cache
def _backend() -> ModuleType:
    """examples/backend.py (not a package), loaded once."""
    spec = importlib.util.spec_from_file_location("sample_backend", EXAMPLES / "backend.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _CountedWrites:
    """The real transport, counting the writes that reach it."""

    def __init__(self, transport: Any) -> None:
        self.transport = transport
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        self.transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


def _run(scenario: Any) -> Any:
    return uvloop.run(scenario())


async def _connected() -> tuple[Any, socket.socket]:
    """A uvloop transport for one end of a loopback TCP connection, and the other end."""
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    listener.close()
    client.settimeout(10)
    transport, _ = await asyncio.get_running_loop().connect_accepted_socket(
        asyncio.Protocol, accepted
    )
    return transport, client


def _read_until_closed(peer: socket.socket) -> bytes:
    """What the peer receives until the connection closes (the loop has run its course);
    then closes the peer."""
    chunks = []
    with peer:
        while chunk := peer.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_writes_in_one_turn_reach_the_socket_as_one_write() -> None:
    backend = _backend()

    async def scenario() -> tuple[list[bytes], socket.socket]:
        transport, peer = await _connected()
        counted = _CountedWrites(transport)
        joined = backend._JoinedWrites(counted)
        joined.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")  # uvicorn: the head
        joined.write(b"{}")  # uvicorn: the body
        assert counted.writes == []  # held until the end of this turn
        await asyncio.sleep(0)
        joined.write(b"next")  # a later turn: a write of its own
        await asyncio.sleep(0)
        joined.close()
        await asyncio.sleep(0)
        return counted.writes, peer

    writes, peer = _run(scenario)
    received = _read_until_closed(peer)
    assert writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}", b"next"]
    assert received == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}next"


def test_close_sends_what_is_held_first() -> None:
    backend = _backend()

    async def scenario() -> tuple[list[bytes], socket.socket]:
        transport, peer = await _connected()
        counted = _CountedWrites(transport)
        joined = backend._JoinedWrites(counted)
        joined.write(b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n")
        joined.close()  # in the same turn, as uvicorn closes after an answer that says so
        await asyncio.sleep(0)
        return counted.writes, peer

    writes, peer = _run(scenario)
    received = _read_until_closed(peer)
    assert writes == [b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n"]
    assert received == b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n"


def test_a_closed_transport_gets_no_late_write() -> None:
    backend = _backend()

    async def scenario() -> list[bytes]:
        transport, peer = await _connected()
        counted = _CountedWrites(transport)
        joined = backend._JoinedWrites(counted)
        joined.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.abort()  # the connection is gone before the turn ends
        await asyncio.sleep(0)
        peer.close()
        return counted.writes

    assert _run(scenario) == []
