#!/usr/bin/env python3
"""The Python sample backend: the identity-token endpoint with the demo authenticator.

Serves ``layer_identity.identity_token_app`` with the standard library's ``wsgiref``, one
thread per connection (``socketserver.ThreadingMixIn``), so a slow client does not hold up
the others. Configuration from the environment, read by the library itself:
``LAYER_PROVIDER_ID``, ``LAYER_KEY_ID``, ``LAYER_PRIVATE_KEY`` or ``LAYER_PRIVATE_KEY_PATH``,
``LAYER_PRIVATE_KEY_PASSPHRASE``, ``LAYER_TOKEN_TYPE``; ``PORT`` (8080) and ``HOST``
(127.0.0.1). Prints ``listening on http://HOST:PORT`` on stdout when ready; everything else
goes to stderr. SIGTERM (or Ctrl-C) stops it: no new connections, requests in flight
finished, exit status 0.

    scripts/run-backend python      # from the repository root

The demo authenticator trusts the ``user_id`` in the request body: replace it with your own
session check (see ``authenticate`` in the package's README).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import socketserver
import sys
import threading
import time
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from layer_identity import LayerIdentityError, Signer
from layer_identity.wsgi import DEMO_WARNING, demo_authenticate, identity_token_app

SHUTDOWN_GRACE_SECONDS = 4.0  # for requests in flight, within the contract's 5 s
LINGER_SECONDS = 1.0  # reading what is left of a request the endpoint refused unread


class _ResponseHandler(ServerHandler):
    def cleanup_headers(self) -> None:
        super().cleanup_headers()
        # One request per connection (wsgiref's way): say so, since the endpoint may have
        # answered without reading the body (413, 415, ...). A WSGI application may not send
        # hop-by-hop headers; the server may.
        self.headers["Connection"] = "close"  # type: ignore[attr-defined]  # set by wsgiref


class _RequestHandler(WSGIRequestHandler):
    server: Server
    timeout = 30  # seconds a client may stay silent mid-request

    def get_environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environ()
        # The contract routes on the path exactly as received (no percent-decoding), and a
        # request without Content-Type has none (wsgiref would say text/plain).
        environ["PATH_INFO"] = self.path.split("?", 1)[0]
        environ["CONTENT_TYPE"] = self.headers.get("Content-Type", "")
        return environ

    def handle(self) -> None:
        # WSGIRequestHandler.handle, counting the request as in flight once its head is read
        # (so that SIGTERM waits for it, but not for idle connections) and multithreaded.
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():
            return
        with self.server.in_flight():
            handler = _ResponseHandler(
                self.rfile,
                self.wfile,  # type: ignore[arg-type]  # a socket writer, as in wsgiref
                self.get_stderr(),
                self.get_environ(),
                multithread=True,
            )
            handler.request_handler = self  # type: ignore[attr-defined]  # wsgiref's logging
            handler.run(self.server.get_app())  # type: ignore[arg-type]


class Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True  # idle keep-alive connections never delay the exit
    request_queue_size = 64  # the conformance suite sends 20 requests at once
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self._busy = 0
        self._idle = threading.Condition()
        super().__init__(address, _RequestHandler)

    def in_flight(self) -> _InFlight:
        return _InFlight(self)

    def wait_idle(self, timeout: float) -> bool:
        """Waits until no request is in flight; False when `timeout` runs out first."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def shutdown_request(self, request: Any) -> None:
        # A lingering close: end our side, then read what the client may still be sending
        # (a body the endpoint refused unread) for a moment, so that closing with unread
        # data does not reset the connection before the client has read the response.
        try:
            request.shutdown(socket.SHUT_WR)
            request.settimeout(LINGER_SECONDS)
            deadline = time.monotonic() + LINGER_SECONDS
            while time.monotonic() < deadline and request.recv(65536):
                pass
        except OSError:
            pass
        self.close_request(request)


class _InFlight:
    def __init__(self, server: Server) -> None:
        self._server = server

    def __enter__(self) -> None:
        with self._server._idle:
            self._server._busy += 1

    def __exit__(self, *exc_info: object) -> None:
        with self._server._idle:
            self._server._busy -= 1
            if not self._server._busy:
                self._server._idle.notify_all()


def main() -> int:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    host = os.environ.get("HOST") or "127.0.0.1"
    port_text = os.environ.get("PORT") or "8080"
    if not port_text.isdigit() or int(port_text) > 65535:
        print(f"backend: PORT must be a port number, not {port_text!r}", file=sys.stderr)
        return 2
    try:
        signer = Signer.from_env()
    except LayerIdentityError as error:
        print(f"backend: configuration error ({error.status_name}): {error}", file=sys.stderr)
        return 2
    print(DEMO_WARNING, file=sys.stderr, flush=True)
    try:
        server = Server((host, int(port_text)))
    except OSError as error:
        print(f"backend: cannot listen on {host}:{port_text}: {error}", file=sys.stderr)
        signer.close()
        return 1
    server.set_app(identity_token_app(signer, demo_authenticate))

    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    serving = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    serving.start()
    shown = f"[{host}]" if ":" in host else host
    print(f"listening on http://{shown}:{server.server_port}", flush=True)

    while not stop.wait(1.0):
        pass
    server.shutdown()  # no new connections from here on
    server.server_close()
    if not server.wait_idle(SHUTDOWN_GRACE_SECONDS):
        print("backend: requests still in flight at exit", file=sys.stderr)
    signer.close()
    print("backend: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
