"""Read the next batch while this one is mapped and written.

Staging a batch is: wait for MariaDB, map and check in Python, wait for PostgreSQL's COPY. The
database drivers release the GIL while they wait, so a reader thread that fetches batch k+1
during the work on batch k keeps the process busy instead of idle during the read (one batch
ahead at most: memory stays bounded by two batches). Order, batches and checkpoints are
unchanged: the consumer still commits each batch with its checkpoint, in id order.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

_DONE = object()


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


def prefetched(items: Iterable, depth: int = 1) -> Iterator:
    """Yield what `items` yields, produced by a background thread up to `depth` items ahead."""
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value) -> bool:
        while not stop.is_set():
            try:
                slots.put(value, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))

    thread = threading.Thread(target=produce, name="prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()
        thread.join(timeout=30)
