"""Shared by the framesim tests."""
import ctypes

import pytest


@pytest.fixture(autouse=True)
def return_freed_memory():
    """Hand the frames' freed memory back to the OS after each test.

    glibc keeps up to tens of MB of freed arrays resident; a later test that
    measures its own peak memory growth (test_picos_paths) would then see too
    little. Import this fixture into a test module to apply it there.
    """
    yield
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
