"""Read the next batch while this one is mapped and written.

Staging a batch is: wait for MariaDB, map and check in Python, wait for PostgreSQL's COPY. The
database drivers release the GIL while they wait, so a reader thread that fetches batch k+1
during the work on batch k keeps the process busy instead of idle during the read (one batch
ahead at most: the reader starts on batch k+2 only once the consumer has taken k+1, so memory
stays bounded by two batches). Order, batches and checkpoints are unchanged: the consumer still
commits each batch with its checkpoint, in id order.
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
    slots: queue.Queue = queue.Queue()
    room = threading.Semaphore(depth)  # taken before an item is produced, given back when consumed
    stop = threading.Event()

    def wait_for_room() -> bool:
        while not stop.is_set():
            if room.acquire(timeout=0.2):
                return True
        return False

    def produce() -> None:
        iterator = iter(items)
        try:
            while wait_for_room():
                try:
                    item = next(iterator)
                except StopIteration:
                    slots.put(_DONE)
                    return
                slots.put(item)
        except BaseException as exc:  # handed to the consumer, raised there
            slots.put(_Failed(exc))

    thread = threading.Thread(target=produce, name="prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            room.release()
            yield item
    finally:
        stop.set()
        thread.join(timeout=30)
