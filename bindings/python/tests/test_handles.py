"""Handles: close, use after close, finalizers, many threads on one signer."""

from __future__ import annotations

import copy
import gc
import os
import pickle
import sys
import threading
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import layer_identity
from layer_identity import ClosedError, Signer, Verifier
from layer_identity._handle import Handle

from .conftest import KEY_ID, PROVIDER_ID


def test_close_is_idempotent_and_use_after_close_raises(private_pem: bytes) -> None:
    signer = Signer(private_pem, PROVIDER_ID, KEY_ID)
    public = signer.public_key_pem
    verifier = Verifier(public, PROVIDER_ID, KEY_ID)
    token = signer.sign("alice", "n")
    for handle in (signer, verifier):
        assert repr(handle).endswith("r>")
        assert [handle.closed, handle.close(), handle.close(), handle.closed] == [
            False,
            None,
            None,
            True,
        ]
        assert "closed" in repr(handle)
    with pytest.raises(ClosedError, match="closed Signer"):
        signer.sign("alice", "n")
    with pytest.raises(ClosedError):
        _ = signer.public_key_pem
    with pytest.raises(ClosedError, match="closed Verifier"):
        verifier.verify(token)
    assert issubclass(ClosedError, ValueError)  # like an operation on a closed file


def test_context_managers(private_pem: bytes) -> None:
    with Signer(private_pem, PROVIDER_ID, KEY_ID) as signer:
        token = signer.sign("alice", "n")
        with Verifier(signer.public_key_pem, PROVIDER_ID, KEY_ID) as verifier:
            assert verifier.verify(token, nonce="n").user_id == "alice"
        assert verifier.closed
    assert signer.closed


def test_finalizer_frees_an_unclosed_handle(private_pem: bytes) -> None:
    signer = Signer(private_pem, PROVIDER_ID, KEY_ID)
    finalizer = signer._handle._finalizer
    assert finalizer.alive
    del signer
    gc.collect()
    assert not finalizer.alive  # layer_signer_free ran


def test_copies_are_the_same_handle_and_pickling_is_refused(signer: Signer) -> None:
    assert copy.copy(signer) is signer
    assert copy.deepcopy(signer) is signer
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(signer)


def test_close_never_blocks_and_the_last_call_frees() -> None:
    freed: list[int] = []
    handle = Handle(1234, freed.append, "Thing")
    first, second = handle.acquire(), handle.acquire()  # two calls in flight
    closers = [threading.Thread(target=handle.close) for _ in range(8)]
    for closer in closers:
        closer.start()
    for closer in closers:
        closer.join(5)
        assert not closer.is_alive(), "close() blocked"
    assert freed == [], "freed while calls were in flight"
    with pytest.raises(ClosedError):
        handle.acquire()  # closed: no new calls
    handle.release()
    assert freed == []
    handle.release()  # the last call in flight frees
    assert freed == [first] == [second]
    handle.close()
    del handle
    gc.collect()
    assert freed == [1234], "freed exactly once"


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_fork_while_other_threads_sign(private_pem: bytes) -> None:
    # The child has only the forking thread: the others' calls never return there, so its
    # handles start with no call in flight, and close() in the child frees at once.
    signer = Signer(private_pem, PROVIDER_ID, KEY_ID)
    stop = threading.Event()

    def sign_until_stopped() -> None:
        while not stop.is_set():
            signer.sign("alice", "n")

    workers = [threading.Thread(target=sign_until_stopped) for _ in range(2)]
    for worker in workers:
        worker.start()
    children = []
    try:
        for _ in range(10):
            while not signer._handle._calls:  # fork while a sign is in flight
                time.sleep(0)
            pid = os.fork()
            if pid == 0:  # the child
                try:
                    signer.close()
                    freed = not signer._handle._finalizer.alive
                    os._exit(0 if signer.closed and freed else 1)
                finally:
                    os._exit(2)
            children.append(pid)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    deadline = time.monotonic() + 60
    statuses: dict[int, int] = {}
    while len(statuses) < len(children):
        for pid in children:
            if pid not in statuses:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    statuses[pid] = os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            for pid in set(children) - set(statuses):
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            break
        time.sleep(0.01)
    assert list(statuses.values()) == [0] * 10, f"children hung or failed: {statuses}"
    signer.close()


def test_close_while_threads_sign(private_pem: bytes) -> None:
    signer = Signer(private_pem, PROVIDER_ID, KEY_ID)
    outcomes: list[str] = []
    started = threading.Barrier(5)

    def sign_until_closed() -> None:
        started.wait()
        count = 0
        while True:
            try:
                signer.sign("alice", f"n{count}")
            except ClosedError:
                outcomes.append(f"closed after {count}")
                return
            count += 1

    threads = [threading.Thread(target=sign_until_closed) for _ in range(4)]
    for thread in threads:
        thread.start()
    started.wait()
    time.sleep(0.2)
    signer.close()
    for thread in threads:
        thread.join(10)
    assert len(outcomes) == 4


def test_16_threads_200_tokens_on_one_signer(private_pem: bytes, public_pem: bytes) -> None:
    threads, per_thread = 16, 200
    tokens: dict[tuple[int, int], str] = {}
    lock = threading.Lock()
    failures: list[BaseException] = []
    with Signer(private_pem, PROVIDER_ID, KEY_ID) as signer:
        barrier = threading.Barrier(threads)

        def work(worker: int) -> None:
            try:
                barrier.wait()
                for index in range(per_thread):
                    token = signer.sign(f"user-{worker}", f"nonce-{worker}-{index}")
                    with lock:
                        tokens[worker, index] = token
            except BaseException as failure:  # reported below
                failures.append(failure)

        workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
    assert failures == []
    assert len(tokens) == threads * per_thread
    independent = serialization.load_pem_public_key(public_pem)
    assert isinstance(independent, rsa.RSAPublicKey)
    with Verifier(public_pem, PROVIDER_ID, KEY_ID) as verifier:
        for (worker, index), token in tokens.items():
            claims = verifier.verify(token, nonce=f"nonce-{worker}-{index}")
            assert claims.user_id == f"user-{worker}"
            # And independently, by PyJWT (cryptography's RSA).
            decoded = jwt.decode(token, independent, algorithms=["RS256"])
            assert decoded["nce"] == f"nonce-{worker}-{index}"
            assert decoded["exp"] - decoded["iat"] == 600


def test_verifier_shared_by_threads(signer: Signer, verifier: Verifier) -> None:
    # Each thread verifies its own tokens, whose claims differ in every text and length: a
    # buffer shared by two calls at once would show as another thread's claims.
    threads, rounds = 8, 100
    tokens = [
        signer.sign(
            f"user-{worker}" * (worker + 1),
            f"nonce-{worker}",
            first_name="Renée Zoë"[: worker % 6] or None,
            avatar_url=f"https://example.com/{worker}.png" if worker % 2 else None,
            metadata={"plan": "pro" * worker, f"k{worker}": "v"} if worker % 3 else None,
        )
        for worker in range(threads)
    ]
    expected = [verifier.verify(token, nonce=f"nonce-{n}") for n, token in enumerate(tokens)]
    assert expected[4].first_name == "René"
    assert expected[1].metadata == {"k1": "v", "plan": "pro"}
    assert len({claims.json for claims in expected}) == threads
    failures: list[str] = []
    barrier = threading.Barrier(threads)

    def work(worker: int) -> None:
        barrier.wait()
        for _ in range(rounds):
            with_nonce = verifier.verify(tokens[worker], nonce=f"nonce-{worker}")
            without = verifier.verify(tokens[worker])
            if not with_nonce == without == expected[worker]:
                failures.append(f"thread {worker}: {with_nonce} / {without}")

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert failures == []


def test_a_verify_that_runs_inside_verify_reads_its_own_claims(
    signer: Signer, verifier: Verifier
) -> None:
    """Python code can run on a thread in the middle of verify() (a signal handler, a
    profiler, a trace function): a verify() made there has claims of its own, and does not
    overwrite those the outer one is still reading. The profile function runs the inner
    verify() once the outer one's library call has returned, as it starts reading the
    claims."""
    outer_token = signer.sign("outer-user", "outer-nonce", first_name="Outer")
    inner_token = signer.sign("inner", "n", last_name="Inner", metadata={"k": "v"})
    inner: list[layer_identity.Claims] = []

    def profile(frame: object, event: str, function: object) -> None:
        if event == "c_call" and getattr(function, "__name__", "") == "unpack_from" and not inner:
            inner.append(verifier.verify(inner_token, nonce="n"))

    sys.setprofile(profile)
    try:
        outer = verifier.verify(outer_token, nonce="outer-nonce")
    finally:
        sys.setprofile(None)
    assert [claims.user_id for claims in inner] == ["inner"], "the inner verify ran"
    assert (outer.user_id, outer.nonce, outer.first_name, outer.last_name) == (
        "outer-user",
        "outer-nonce",
        "Outer",
        None,
    )
    assert outer.metadata == {}
    assert (inner[0].last_name, inner[0].metadata) == ("Inner", {"k": "v"})
    assert outer == verifier.verify(outer_token, nonce="outer-nonce")
