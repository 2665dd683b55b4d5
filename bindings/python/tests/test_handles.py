"""Handles: close, use after close, finalizers, many threads on one signer."""

from __future__ import annotations

import copy
import gc
import pickle
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


def test_handle_frees_once_after_calls_in_flight() -> None:
    freed: list[int] = []
    handle = Handle(1234, freed.append, "Thing")
    pointer = handle.acquire()  # a call in flight
    closers = [threading.Thread(target=handle.close) for _ in range(8)]
    for closer in closers:
        closer.start()
    time.sleep(0.1)
    assert freed == [], "freed while a call was in flight"
    with pytest.raises(ClosedError):
        handle.acquire()  # closing: no new calls
    handle.release()
    for closer in closers:
        closer.join(5)
        assert not closer.is_alive()
    assert freed == [pointer]
    handle.close()
    del handle
    gc.collect()
    assert freed == [1234], "freed exactly once"


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
    token = signer.sign("alice", "n", first_name="Ali\0ce"[:3], metadata={"plan": "pro"})
    results: list[layer_identity.Claims] = []

    def work() -> None:
        for _ in range(200):
            results.append(verifier.verify(token, nonce="n"))

    workers = [threading.Thread(target=work) for _ in range(8)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert len(results) == 1600
    assert all(claims == results[0] for claims in results)
    assert results[0].metadata == {"plan": "pro"}
