#!/usr/bin/env python3
"""The Python sample backend: the identity-token endpoint with the demo authenticator.

Serves ``layer_identity.asgi.identity_token_app`` with uvicorn (httptools, uvloop), the ASGI
server Python applications deploy on, in one worker process per core (``WEB_CONCURRENCY``
overrides). The parent accepts the connections and hands each to the next worker in turn, as
Node's cluster module does: on a socket the workers share (gunicorn's way), the kernel gives a
burst of new connections to whichever worker wakes first; 8 keep-alive connections were seen
split 4/4, 5/3 and 8/0 (one core idle: 3,055 tokens/s against 4,900). Each worker's event loop
handles its connections (keep-alive, pipelining, chunked bodies) and signs on the loop itself:
with a process per core, handing each signature to a thread and back would only add work.
Configuration from the environment, read by the library itself:
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
import functools
import logging
import os
import select
import signal
import socket
import sys
import time
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
    """uvicorn's server in a worker process, on the connections the parent hands it through
    ``channel`` (one file descriptor per message), telling the parent once it takes them."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket, ready: int) -> None:
        super().__init__(config)
        self._channel = channel
        self._ready = ready
        self._setting_up: set[asyncio.Task[None]] = set()  # referenced until done

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # no listening socket of its own
        if not self.started:
            return
        loop = asyncio.get_running_loop()
        # What uvicorn's own server builds for each accepted connection.
        protocol = functools.partial(
            _HttpProtocol,
            config=self.config,
            server_state=self.server_state,
            app_state=self.lifespan.state,
        )
        self._channel.setblocking(False)
        loop.add_reader(self._channel, self._take, loop, protocol)
        os.write(self._ready, b"r")

    def _take(
        self, loop: asyncio.AbstractEventLoop, protocol: functools.partial[_HttpProtocol]
    ) -> None:
        """Serves every connection waiting in the channel."""
        while True:
            try:
                _, descriptors, _, _ = socket.recv_fds(self._channel, 1, 1)
            except (BlockingIOError, InterruptedError):
                return
            if not descriptors:  # the parent is gone
                loop.remove_reader(self._channel)
                self.should_exit = True
                return
            connection = socket.socket(fileno=descriptors[0])
            task = loop.create_task(_serve_connection(loop, protocol, connection))
            self._setting_up.add(task)
            task.add_done_callback(self._setting_up.discard)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        with contextlib.suppress(ValueError, OSError):  # already removed, or closed
            asyncio.get_running_loop().remove_reader(self._channel)
        self._channel.close()  # connections handed over but not yet taken close with it
        await super().shutdown(sockets)


async def _serve_connection(
    loop: asyncio.AbstractEventLoop,
    protocol: functools.partial[_HttpProtocol],
    connection: socket.socket,
) -> None:
    try:
        await loop.connect_accepted_socket(protocol, connection)
    except OSError:  # the client left before its connection was set up
        connection.close()


def _serve(channel: socket.socket, ready: int) -> int:
    """A worker: its own signer and event loop, on the connections the parent hands it.
    Returns its status."""
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
    worker = _Worker(config, channel, ready)
    # uvicorn stops gracefully on SIGTERM, then raises the signal again for the handler in
    # place before it: this one, so that a requested stop ends with status 0.
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: None)
    worker.run()
    signer.close()
    return 0 if worker.started else 1


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(BACKLOG)
    listener.setblocking(False)
    return listener


def _workers() -> int:
    text = os.environ.get("WEB_CONCURRENCY") or ""
    if text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    return os.cpu_count() or 1


class _Dispatcher:
    """The parent's side: the workers' channels, and whose turn the next connection is."""

    def __init__(self, channels: dict[int, socket.socket]) -> None:
        self.channels = channels  # by worker pid; a worker that ended is removed
        self._turn = 0

    def hand_over(self, listener: socket.socket) -> None:
        """Accepts every connection waiting and hands each to the next worker that takes it
        (a worker whose channel is full is skipped); with none, the connection is closed."""
        while True:
            try:
                connection, _ = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # e.g. out of file descriptors: retried a moment later
                print(f"backend: accept failed: {error}", file=sys.stderr)
                time.sleep(0.1)
                return
            with connection:
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                channels = list(self.channels.values())
                for step in range(len(channels)):
                    channel = channels[(self._turn + step) % len(channels)]
                    try:
                        socket.send_fds(channel, [b"c"], [connection.fileno()])
                    except OSError:  # full (BlockingIOError) or the worker is gone
                        continue
                    self._turn = (self._turn + step + 1) % len(channels)
                    break


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
    channels: dict[int, socket.socket] = {}
    for _ in range(_workers()):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:  # a worker: never returns into the parent's code
            status = 1
            try:
                listener.close()
                os.close(ready_read)
                ours.close()
                for other in channels.values():
                    other.close()
                status = _serve(theirs, ready_write)
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        theirs.close()
        ours.setblocking(False)
        channels[pid] = ours
    os.close(ready_write)
    children = list(channels)
    dispatcher = _Dispatcher(channels)
    port = listener.getsockname()[1]

    # Signals wake the loop below through this pipe (a handler alone would not end select).
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    stopping = False

    def stop(number: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a worker ended: wakes the loop
    statuses: dict[int, int] = {}

    def reap(block: bool) -> None:
        for child in children:
            if child not in statuses:
                done, status = os.waitpid(child, 0 if block else os.WNOHANG)
                if done:
                    statuses[child] = os.waitstatus_to_exitcode(status)
                    dispatcher.channels.pop(child).close()

    ready = 0
    while ready < len(children) and not statuses and not stopping:
        # A worker that ends before it is ready failed.
        if select.select([ready_read], [], [], 0.1)[0]:
            ready += len(os.read(ready_read, len(children) - ready))
        reap(block=False)
    if ready == len(children) and not statuses and not stopping:
        shown = f"[{host}]" if ":" in host else host
        print(f"listening on http://{shown}:{port}", flush=True)
        while not stopping and dispatcher.channels:
            readable = select.select([listener.fileno(), wake_read], [], [])[0]
            if wake_read in readable:
                os.read(wake_read, 512)
                reap(block=False)
            if listener.fileno() in readable and not stopping:
                dispatcher.hand_over(listener)
    elif not stopping:
        print("backend: a worker failed to start", file=sys.stderr)
    listener.close()  # no new connections; the workers finish what they have
    for child in children:
        if child not in statuses:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)
    reap(block=True)
    print("backend: stopped", file=sys.stderr)
    failed = [status for status in statuses.values() if status]
    return 1 if ready < len(children) or failed else 0


if __name__ == "__main__":
    sys.exit(main())
