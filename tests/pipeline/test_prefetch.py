"""prefetch: results in order, work done in another thread, errors raised at their item."""

from __future__ import annotations

import threading

import pytest

from attention_influence.pipeline.prefetch import prefetch


def test_prefetch_keeps_order_and_runs_in_a_thread():
    threads = set()

    def work(x: int) -> int:
        threads.add(threading.current_thread().name)
        return x * x

    assert list(prefetch(range(20), work, depth=3)) == [(x, x * x) for x in range(20)]
    assert threads == {"attninf-prefetch"}


def test_prefetch_raises_errors_of_work_and_of_the_iterator():
    def work(x: int) -> int:
        if x == 3:
            raise ValueError("bad item 3")
        return x

    seen = []
    with pytest.raises(ValueError, match="bad item 3"):
        for item, _ in prefetch(range(10), work):
            seen.append(item)
    assert seen == [0, 1, 2]

    def items():
        yield 1
        raise OSError("unreadable shard")

    with pytest.raises(OSError, match="unreadable shard"):
        list(prefetch(items(), str))


def test_prefetch_stops_its_thread_when_the_consumer_stops():
    produced = []
    stream = prefetch(iter(range(1000)), lambda x: produced.append(x) or x, depth=2)
    assert next(stream) == (0, 0)
    stream.close()
    assert not any(t.name == "attninf-prefetch" and t.is_alive() for t in threading.enumerate())
    assert len(produced) < 10  # it worked only a few items ahead
