"""The kinds of ``authenticate`` of tests/endpoint/cases.json, as plain and as coroutine
functions, with the arguments every adapter gives: the framework's request and the fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from layer_identity import Fields, demo_authenticate

NOT_USER_IDS: dict[str | None, object] = {"boolean": True, "float": 42.5, "list": ["alice"]}


def reject(request: Any, fields: Fields) -> object:
    return None


def none(request: Any, fields: Fields) -> object:
    return None


def empty(request: Any, fields: Fields) -> object:
    return ""


def throws(request: Any, fields: Fields) -> object:
    raise PermissionError("no session cookie")


def integer(request: Any, fields: Fields) -> object:
    return 42


def not_a_user_id(request: Any, fields: Fields) -> object:
    return NOT_USER_IDS[fields.user_id]


def demo_wrapped(request: Any, fields: Fields) -> object:
    return demo_authenticate(request, fields)  # its refusal propagates


SYNC: dict[str, Callable[[Any, Fields], object]] = {
    "demo": demo_authenticate,
    "demo_wrapped": demo_wrapped,
    "reject": reject,
    "none": none,
    "empty": empty,
    "throws": throws,
    "integer": integer,
    "not_a_user_id": not_a_user_id,
}


def _coroutine_function(function: Callable[[Any, Fields], object]) -> Callable[..., Any]:
    async def authenticate(request: Any, fields: Fields) -> object:
        return function(request, fields)

    return authenticate


ASYNC = {kind: _coroutine_function(function) for kind, function in SYNC.items()}
