"""Calls in a child process: every way of failing is one line, and the next call still works."""
import os
import time

import pytest

from isacsim import isolation
from isacsim.isolation import CallFailed, TimedOut, call_isolated


def _pid():
    return os.getpid()


def _exit(code):
    os._exit(code)


def _sleep(seconds):
    time.sleep(seconds)


def _shout():
    print("to stdout")
    os.write(1, b"to fd 1\n")
    return "done"


def test_calls_share_a_helper_until_it_dies_and_then_get_a_new_one():
    first, _ = call_isolated(_pid)
    assert first != os.getpid() and call_isolated(_pid)[0] == first  # one helper, kept
    with pytest.raises(CallFailed, match=r"^ended its process without an answer \(exited with code 7\)$"):
        call_isolated(_exit, 7)
    assert call_isolated(_pid)[0] not in (first, os.getpid())


def test_a_time_limit_stops_the_call_and_the_next_call_works():
    started = time.monotonic()
    with pytest.raises(TimedOut, match=r"^timed out after 0\.3 s$"):
        call_isolated(_sleep, 60, timeout=0.3)
    assert time.monotonic() - started < 10
    assert call_isolated(_sleep, 0, timeout=30)[0] is None


def test_a_class_the_helper_never_saw_and_a_call_that_cannot_be_pickled_still_run():
    call_isolated(_pid)  # the helper exists before the class below

    class Later:  # a local class: not picklable, so its call gets a child of its own
        def value(self):
            return 42

    assert call_isolated(lambda: Later().value())[0] == 42
    globals()["Fresh"] = type("Fresh", (), {"__module__": __name__, "value": lambda self: os.getpid()})
    try:
        assert call_isolated(Fresh().value)[0] != os.getpid()  # noqa: F821 - defined just above
    finally:
        del globals()["Fresh"]


def test_the_calls_stdout_goes_to_stderr(capfd):
    isolation._drop_helper()  # a helper forked now writes where capfd reads
    assert call_isolated(_shout)[0] == "done"
    captured = capfd.readouterr()
    assert "to stdout" not in captured.out and "to fd 1" not in captured.out
    assert "to fd 1" in captured.err


def test_a_helper_keeps_none_of_its_parents_descriptors():
    import select

    read_end, write_end = os.pipe()
    try:
        isolation._drop_helper()
        call_isolated(_pid)  # a helper forked while the pipe is open
        os.close(write_end)  # the parent's last copy: the reader sees the end unless the helper kept one
        ready, _, _ = select.select([read_end], [], [], 10)
        assert ready and os.read(read_end, 1) == b""
    finally:
        os.close(read_end)


class Versioned:
    def value(self):
        return "old"


def test_a_class_redefined_after_the_helper_was_forked_runs_its_new_code():
    global Versioned
    assert call_isolated(Versioned().value)[0] == "old"  # the helper now knows Versioned

    class Versioned:  # noqa: F811 - the same name, new code (a notebook cell run again)
        def value(self):
            return "new"

    assert call_isolated(Versioned().value)[0] == "new"
