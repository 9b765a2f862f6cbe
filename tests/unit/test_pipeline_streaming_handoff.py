"""ThreadHandoff.take: what it returns is the caller's alone (a sync stream's items are sent once).

Regression (found by `make soak`, issue #12): with nothing pending, `take()` returned the pending list
itself. The worker thread pulling a sync generator could append a frame to it between `take()` and
the sender's `if frames:`; the sender then sent that frame, and sent it again from the next `take()`:
a JSON Lines / SSE item duplicated (`0, 1, 2, 3, 4, 4, 5, ...`), about once a minute under load.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ferroapi._pipeline.streaming.handoff import ThreadHandoff


def no_wake(call: Callable[[], object]) -> None:
    pass


def test_an_empty_take_is_not_filled_by_a_later_put() -> None:
    handoff = ThreadHandoff(no_wake)
    taken = handoff.take()
    handoff.put(b"a\n")  # the worker thread, between take() and the sender's check
    assert taken == []
    assert handoff.take() == [b"a\n"]
    assert handoff.take() == []


def test_every_frame_is_taken_exactly_once_while_a_thread_puts() -> None:
    handoff = ThreadHandoff(no_wake, max_items=10**9, max_bytes=10**12)
    count = 50_000
    taken: list[bytes] = []

    def produce() -> None:
        for i in range(count):
            handoff.put(b"%d" % i)

    thread = threading.Thread(target=produce)
    thread.start()
    while thread.is_alive() or handoff.frames:
        frames = handoff.take()
        for _ in range(50):  # widen the window in which the thread may append to `frames`
            pass
        taken.extend(frames)
    thread.join()
    taken.extend(handoff.take())
    assert taken == [b"%d" % i for i in range(count)]
