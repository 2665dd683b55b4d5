#!/usr/bin/env python3
"""The Python sample backend: the identity-token endpoint with the demo authenticator.

Serves ``layer_identity.asgi.identity_token_app`` with uvicorn (httptools, uvloop), the ASGI
server Python applications deploy on, in one worker process per core (``WEB_CONCURRENCY``
overrides): the parent binds the socket and the workers share it, as gunicorn does. Each
worker's event loop handles its connections (keep-alive, pipelining, chunked bodies) and signs
on the loop itself: with a process per core, handing each signature to a thread and back
would only add work. Configuration from the environment, read by the library itself:
``LAYER_PROVIDER_ID``, ``LAYER_KEY_ID``, ``LAYER_PRIVATE_KEY`` or ``LAYER_PRIVATE_KEY_PATH``,
``LAYER_PRIVATE_KEY_PASSPHRASE``, ``LAYER_TOKEN_TYPE``; ``PORT`` (8080) and ``HOST``
(127.0.0.1). Prints ``listening on http://HOST:PORT`` on stdout once every worker is ready;
everything else goes to stderr. SIGTERM (or Ctrl-C) stops it: no new connections, idle ones
closed, requests in flight finished, exit status 0.

    scripts/run-backend python      # from the repository root

The demo authenticator trusts the ``user_id`` in the request body: replace it with your own
session check (see ``authenticate`` in the package's README).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import signal
import socket
import sys
import traceback
from types import FrameType

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from layer_identity import LayerIdentityError, Signer
from layer_identity.asgi import DEMO_WARNING, demo_authenticate, identity_token_app

SHUTDOWN_GRACE_SECONDS = 4  # for requests in flight, within the contract's 5 s
BACKLOG = 128  # connections waiting to be accepted (the contract asks for at least 20)


class _JoinedWrites:
    """A connection's transport whose writes in one turn of the event loop go out as one
    send(2), at the end of that turn; everything else is the transport's own."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._loop = asyncio.get_running_loop()
        self._held: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._held:
            self._loop.call_soon(self._send)
        self._held.append(data)

    def writelines(self, lines: list[bytes]) -> None:
        self.write(b"".join(lines))

    def _send(self) -> None:
        held, self._held = self._held, []
        if held and not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self._send()
        self._transport.close()

    def write_eof(self) -> None:
        self._send()
        self._transport.write_eof()

    def __getattr__(self, name: str) -> object:
        return getattr(self._transport, name)


class _HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a transport with joined writes."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # uvloop's transports are not asyncio.Transport subclasses, only alike.
        super().connection_made(_JoinedWrites(transport))  # type: ignore[arg-type]


class _Worker(uvicorn.Server):
    """uvicorn's server in a worker process, telling the parent once it accepts requests."""

    def __init__(self, config: uvicorn.Config, ready: int) -> None:
        super().__init__(config)
        self._ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            os.write(self._ready, b"r")


def _serve(listener: socket.socket, ready: int) -> int:
    """A worker: its own signer and event loop, on the shared socket. Returns its status."""
    signer = Signer.from_env()  # the parent checked the configuration
    config = uvicorn.Config(
        identity_token_app(signer, demo_authenticate, offload=False),
        loop="uvloop",
        http=_HttpProtocol,
        proxy_headers=False,  # the endpoint never reads the client's address
        lifespan="off",
        log_config=None,  # the parent's logging: stderr
        access_log=False,
        server_header=False,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    worker = _Worker(config, ready)
    # uvicorn stops gracefully on SIGTERM, then raises the signal again for the handler in
    # place before it: this one, so that a requested stop ends with status 0.
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: None)
    worker.run(sockets=[listener])
    signer.close()
    return 0 if worker.started else 1


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(BACKLOG)
    listener.set_inheritable(True)
    return listener


def _workers() -> int:
    text = os.environ.get("WEB_CONCURRENCY") or ""
    if text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    return os.cpu_count() or 1


def main() -> int:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    host = os.environ.get("HOST") or "127.0.0.1"
    port_text = os.environ.get("PORT") or "8080"
    if not port_text.isascii() or not port_text.isdigit() or int(port_text) > 65535:
        print(f"backend: PORT must be a port number, not {port_text!r}", file=sys.stderr)
        return 2
    try:
        Signer.from_env().close()  # the configuration, checked before listening
    except LayerIdentityError as error:
        print(f"backend: configuration error ({error.status_name}): {error}", file=sys.stderr)
        return 2
    print(DEMO_WARNING, file=sys.stderr, flush=True)
    try:
        listener = _listen(host, int(port_text))
    except OSError as error:
        print(f"backend: cannot listen on {host}:{port_text}: {error}", file=sys.stderr)
        return 1

    ready_read, ready_write = os.pipe()
    children = []
    for _ in range(_workers()):
        pid = os.fork()
        if pid == 0:  # a worker: never returns into the parent's code
            os.close(ready_read)
            status = 1
            try:
                status = _serve(listener, ready_write)
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        children.append(pid)
    os.close(ready_write)
    port = listener.getsockname()[1]
    listener.close()  # the workers hold it; the socket closes when the last one stops

    def stop(number: int, frame: FrameType | None) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    statuses: dict[int, int] = {}

    def reap(block: bool) -> None:
        for child in children:
            if child not in statuses:
                done, status = os.waitpid(child, 0 if block else os.WNOHANG)
                if done:
                    statuses[child] = os.waitstatus_to_exitcode(status)

    ready = 0
    while ready < len(children) and not statuses:  # a worker that ends early failed
        if select.select([ready_read], [], [], 0.1)[0]:
            ready += len(os.read(ready_read, len(children) - ready))
        reap(block=False)
    if ready == len(children) and not statuses:
        shown = f"[{host}]" if ":" in host else host
        print(f"listening on http://{shown}:{port}", flush=True)
    else:
        print("backend: a worker failed to start", file=sys.stderr)
        stop(signal.SIGTERM, None)
    reap(block=True)
    print("backend: stopped", file=sys.stderr)
    failed = [status for status in statuses.values() if status]
    return 1 if ready < len(children) or failed else 0


if __name__ == "__main__":
    sys.exit(main())
