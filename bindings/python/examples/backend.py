#!/usr/bin/env python3
"""The Python sample backend: the identity-token endpoint with the demo authenticator.

Serves ``layer_identity.asgi.identity_token_app`` with uvicorn (httptools, uvloop), the ASGI
server Python applications deploy on: one process, an event loop for the connections
(keep-alive, pipelining, chunked bodies) and the loop's thread pool for the RSA signatures,
which run in parallel since the library releases the GIL. Configuration from the environment,
read by the library itself: ``LAYER_PROVIDER_ID``, ``LAYER_KEY_ID``, ``LAYER_PRIVATE_KEY`` or
``LAYER_PRIVATE_KEY_PATH``, ``LAYER_PRIVATE_KEY_PASSPHRASE``, ``LAYER_TOKEN_TYPE``; ``PORT``
(8080) and ``HOST`` (127.0.0.1). Prints ``listening on http://HOST:PORT`` on stdout once
ready; everything else goes to stderr. SIGTERM (or Ctrl-C) stops it: no new connections, idle
ones closed, requests in flight finished, exit status 0.

    scripts/run-backend python      # from the repository root

The demo authenticator trusts the ``user_id`` in the request body: replace it with your own
session check (see ``authenticate`` in the package's README).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys

import uvicorn

from layer_identity import LayerIdentityError, Signer
from layer_identity.asgi import DEMO_WARNING, demo_authenticate, identity_token_app

SHUTDOWN_GRACE_SECONDS = 4  # for requests in flight, within the contract's 5 s


class _Server(uvicorn.Server):
    """uvicorn's server, saying once where it listens when it does."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.should_exit or not self.servers:  # could not listen: uvicorn said why
            return
        host, port = self.servers[0].sockets[0].getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"listening on http://{shown}:{port}", flush=True)


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
        signer = Signer.from_env()
    except LayerIdentityError as error:
        print(f"backend: configuration error ({error.status_name}): {error}", file=sys.stderr)
        return 2
    print(DEMO_WARNING, file=sys.stderr, flush=True)
    config = uvicorn.Config(
        identity_token_app(signer, demo_authenticate),
        host=host,
        port=int(port_text),
        loop="uvloop",
        http="httptools",
        lifespan="off",
        log_config=None,  # the logging configured above: stderr
        access_log=False,
        server_header=False,
        backlog=128,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    server = _Server(config)
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again for the handler
    # in place before it: this one, so that a requested stop exits with status 0.
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: None)
    server.run()
    signer.close()
    if not server.started:
        return 1
    print("backend: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
