"""sign_async and verify_async: the same results as sign and verify, with the RSA work off the
event loop. Responsiveness is shown by counting events, never by timing them: a heartbeat task
ticks once per loop iteration, and every signature in flight must see it tick."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

import layer_identity
from layer_identity import Signer, Verifier


def test_the_same_results(signer: Signer, verifier: Verifier) -> None:
    async def run() -> tuple[str, layer_identity.Claims]:
        token = await signer.sign_async("alice", "n", issued_at=1_700_000_000, first_name="A")
        claims = await verifier.verify_async(token, nonce="n", now=1_700_000_001)
        return token, claims

    token, claims = asyncio.run(run())
    assert token == signer.sign("alice", "n", issued_at=1_700_000_000, first_name="A")
    assert (claims.user_id, claims.first_name) == ("alice", "A")


def test_the_same_errors(signer: Signer, verifier: Verifier) -> None:
    with pytest.raises(layer_identity.InvalidUtf8Error):
        asyncio.run(signer.sign_async("alice\udcc3\udca9", "n"))
    with pytest.raises(layer_identity.ExpiredError):
        asyncio.run(verifier.verify_async(signer.sign("a", "n", issued_at=1_700_000_000)))
    signer.close()
    with pytest.raises(layer_identity.ClosedError):
        asyncio.run(signer.sign_async("alice", "n"))


def ticks_seen_by_each(operation: Callable[[int], Awaitable[object]], count: int) -> list[int]:
    """Runs ``count`` operations at once beside a heartbeat that ticks once per loop
    iteration; returns how many ticks each operation saw between its start and its end."""

    async def run() -> list[int]:
        ticks = 0
        done = asyncio.Event()

        async def heartbeat() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0)

        async def measured(index: int) -> int:
            started = ticks
            await operation(index)
            return ticks - started

        beating = asyncio.create_task(heartbeat())
        await asyncio.sleep(0)  # the heartbeat is running
        seen = await asyncio.gather(*(measured(index) for index in range(count)))
        done.set()
        await beating
        return list(seen)

    return asyncio.run(run())


def test_the_loop_keeps_running_during_a_burst_of_async_signs(signer: Signer) -> None:
    seen = ticks_seen_by_each(lambda index: signer.sign_async("alice", f"nonce-{index}"), 32)
    assert all(ticks >= 1 for ticks in seen), seen


def test_signing_inline_would_hold_the_loop(signer: Signer) -> None:
    # The contrast that makes the test above meaningful: sign() called in a coroutine runs on
    # the loop's thread, and nothing else runs until it returns.
    async def inline(index: int) -> str:
        return signer.sign("alice", f"nonce-{index}")

    assert ticks_seen_by_each(inline, 32) == [0] * 32


def test_the_loop_keeps_running_during_async_verifies(signer: Signer, verifier: Verifier) -> None:
    token = signer.sign("alice", "n")
    seen = ticks_seen_by_each(lambda index: verifier.verify_async(token, nonce="n"), 32)
    assert all(ticks >= 1 for ticks in seen), seen
