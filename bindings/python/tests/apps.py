"""The adapters mounted once per kind of ``authenticate``, for real servers started by the
tests (gunicorn, uvicorn) as ``tests.apps:wsgi`` and ``tests.apps:asgi``. The signer comes
from the LAYER_* variables the tests give the server.

- ``wsgi``: ``/<kind>/...``, each kind's WSGI app under Werkzeug's DispatcherMiddleware (the
  Flask recipe's way of mounting), so each sees its path below its mount point.
- ``asgi``: ``/sync-<kind>/...`` and ``/async-<kind>/...`` under a Starlette app's mounts
  (FastAPI's way), with plain and coroutine ``authenticate`` functions.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.routing import Mount
from werkzeug.middleware.dispatcher import DispatcherMiddleware

import layer_identity.asgi
import layer_identity.wsgi
from layer_identity import Signer

from . import kinds

signer = Signer.from_env()


def _not_mounted(environ: object, start_response: object) -> list[bytes]:
    start_response("599 Not Mounted", [("Content-Type", "text/plain")])  # type: ignore[operator]
    return [json.dumps("no kind is mounted here").encode()]


wsgi = DispatcherMiddleware(
    _not_mounted,
    {
        f"/{kind}": layer_identity.wsgi.identity_token_app(signer, function)
        for kind, function in kinds.SYNC.items()
    },
)

asgi = Starlette(
    routes=[
        Mount(f"/{mode}-{kind}", app=layer_identity.asgi.identity_token_app(signer, function))
        for mode, functions in (("sync", kinds.SYNC), ("async", kinds.ASYNC))
        for kind, function in functions.items()
    ]
)
