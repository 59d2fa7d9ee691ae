"""A seeded random generator with cheaper draws than random.Random's choice and randint.

`random.Random.choice`/`randint` reject-sample with getrandbits and cost about 1-2 µs each; at
twenty draws per member row that dominated generation. `pick` and `between` scale one
`random()` call instead (uniform to within 2**-53, which synthetic data does not notice).
Everything stays determined by the seed.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class Dice(random.Random):
    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    def between(self, low: int, high: int) -> int:
        """An integer in [low, high], both included."""
        return low + int(self.random() * (high - low + 1))

    def weighted(self, items: Sequence[T], cumulative: Sequence[float]) -> T:
        """An item drawn by weight, given the running sums of the weights."""
        return items[bisect.bisect_right(cumulative, self.random() * cumulative[-1])]
