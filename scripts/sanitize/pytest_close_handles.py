"""A pytest plugin for scripts/sanitize.sh: at the end of the session, closes every handle of
the wrapper that is still open, so that LeakSanitizer's report at exit shows only what was lost.

Why: the wrapper's handles hold the library's pointers as Python ints, which store their value
in 30-bit digits, so LeakSanitizer cannot see a live handle's pointer and would call the
signer a module of the test apps keeps at exit "directly leaked". (The wrapper deliberately does
not free at interpreter exit: weakref.finalize(...).atexit = False.) Closing what is still
open turns those into frees; a native object the wrapper lost track of (a string never passed
to layer_string_free, claims never freed) stays a leak, and is reported.
"""

from __future__ import annotations

import gc

import pytest


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    from layer_identity import _handle

    gc.collect()  # handles in unreachable cycles: their finalizers free them
    for handle in list(_handle._LIVE):
        handle.close()
