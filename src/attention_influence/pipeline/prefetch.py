"""Work ahead of the model: a background thread runs a CPU step (tokenization) on the next items
while the model scores the current one."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")
_DONE = object()


def prefetch(items: Iterable[T], work: Callable[[T], U], depth: int = 2) -> Iterator[tuple[T, U]]:
    """Yield (item, work(item)) in order, with `work` running up to `depth` items ahead in a thread.

    An exception raised by the iterator or by `work` is raised here, at the item where it happened.
    (Fast tokenizers release the GIL, so tokenization really runs beside the model.)"""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value) -> bool:
        while not stop.is_set():
            try:
                ready.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, work(item), None)):
                    return
        except BaseException as err:  # noqa: BLE001 - handed to the consumer
            put((None, None, err))
            return
        put(_DONE)

    thread = threading.Thread(target=produce, name="attninf-prefetch", daemon=True)
    thread.start()
    try:
        while (entry := ready.get()) is not _DONE:
            item, result, err = entry
            if err is not None:
                raise err
            yield item, result
    finally:
        stop.set()
        thread.join()
