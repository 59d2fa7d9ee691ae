"""NIKs that are unique by construction, without remembering the ones already given.

A NIK is `RRRRRR DDMMYY SSSS`: the kecamatan of registration, the birth date (day + 40 for a
woman) and a serial. Uniqueness comes from how (date, serial) is derived from a row index:

- ordinary NIKs (serial 0001-8999): index i gives serial `i % 8999 + 1` and the birth date must
  satisfy `days since EPOCH ≡ i // 8999 (mod M)`, where M exceeds every `i // 8999`. Two indexes
  with the same serial then differ in `i // 8999`, hence in their date; every date lies within
  100 years of EPOCH, so DDMMYY (with the +40 of a woman) differs too. The region does not matter.
- special NIKs (serial 9000-9999) belong to a named family with its own counter c: serial
  `9000 + c % 1000`, and the family gives each block of 1000 its own DDMMYY pattern. Families
  use disjoint DDMMYY sets (pinned valid dates, or invalid patterns of distinct shapes).
- serial 0000 (an invalid structure) gets a different birth date per counter value.
"""

from __future__ import annotations

from datetime import date, timedelta

from .dice import Dice

EPOCH = date(1930, 1, 1)  # every generated birth date lies in [EPOCH, EPOCH + 100 years)
LAST_DAY = date(2029, 12, 31)
ORDINARY_SERIALS = 8999
SPECIAL_BLOCK = 1000


def date6(day: date, female: bool) -> str:
    return f"{day.day + (40 if female else 0):02d}{day.month:02d}{day.year % 100:02d}"


def _invalid_patterns() -> dict[str, list[str]]:
    """DDMMYY patterns that are no calendar date, one list per family (disjoint shapes)."""
    months = [f"{m:02d}" for m in range(1, 13)]
    years = [f"{y:02d}" for y in (61, 67, 72, 75, 78, 83, 86, 90, 94, 99)]
    return {
        "day00": ["00" + m + y for y in years for m in months],
        "day32_40": [f"{d}" + m + y for y in years for d in (32, 35, 38, 40) for m in months],
        "day_over_71": [f"{d}" + m + y for y in years for d in (72, 80, 88, 99) for m in months],
        "month00": [f"{d:02d}00" + y for y in years for d in (5, 12, 17, 28, 45, 60)],
        "month13": [f"{d:02d}{m}" + y for y in years for d in (3, 14, 22, 47) for m in (13, 14, 21, 99)],
        "not_in_month": [d + m + y for y in years for d, m in (("30", "02"), ("31", "04"), ("31", "06"),
                                                                ("31", "09"), ("31", "11"), ("70", "02"),
                                                                ("71", "04"), ("71", "11"))],
        "feb29_common_year": ["2902" + y for y in ("61", "67", "75", "83", "94", "99")]
        + ["6902" + y for y in ("61", "67", "75", "83", "94", "99")],
    }


INVALID_DATE_PATTERNS = _invalid_patterns()


class NikAllocator:
    """Hands out NIK parts for row indexes 0..capacity-1 (members first, then officers)."""

    def __init__(self, capacity: int):
        self.modulus = max(1, -(-capacity // ORDINARY_SERIALS))
        self.capacity = capacity
        self._counters: dict[str, int] = {}

    # -- ordinary NIKs ------------------------------------------------------------------------
    def birth_date(self, index: int, target: date, low: date, high: date) -> date | None:
        """The date nearest `target` in [low, high] that index may use, or None if none fits."""
        if index >= self.capacity:
            raise IndexError("NIK index beyond the allocator's capacity")
        residue = index // ORDINARY_SERIALS
        low_day, high_day = (max(low, EPOCH) - EPOCH).days, (min(high, LAST_DAY) - EPOCH).days
        wanted = min(max((target - EPOCH).days, low_day), high_day)
        day = wanted - ((wanted - residue) % self.modulus)
        if day < low_day:
            day += self.modulus
        return EPOCH + timedelta(days=day) if day <= high_day else None

    def random_birth_date(self, index: int, rng: Dice, low: date, high: date) -> date | None:
        span = (high - low).days
        return self.birth_date(index, low + timedelta(days=rng.between(0, span)), low, high)

    @staticmethod
    def serial(index: int) -> str:
        return f"{index % ORDINARY_SERIALS + 1:04d}"

    def ordinary(self, index: int, region6: str, birth: date, female: bool) -> str:
        assert (birth - EPOCH).days % self.modulus == (index // ORDINARY_SERIALS) % self.modulus
        return region6 + date6(birth, female) + self.serial(index)

    # -- special families ----------------------------------------------------------------------
    def _next(self, family: str, cap: int) -> int | None:
        count = self._counters.get(family, 0)
        if count >= cap:
            return None
        self._counters[family] = count + 1
        return count

    def pinned_serial(self, family: str) -> str | None:
        """The serial of a valid NIK for a fixed birth date (boundary cases); 1000 per family."""
        count = self._next("pinned:" + family, SPECIAL_BLOCK)
        return None if count is None else f"{9000 + count:04d}"

    def invalid_date(self, family: str) -> tuple[str, str] | None:
        """(DDMMYY that is no date, serial) of one family of INVALID_DATE_PATTERNS."""
        patterns = INVALID_DATE_PATTERNS[family]
        count = self._next("invalid:" + family, SPECIAL_BLOCK * len(patterns))
        if count is None:
            return None
        return patterns[count // SPECIAL_BLOCK], f"{9000 + count % SPECIAL_BLOCK:04d}"

    def zero_serial_birth(self, low: date, high: date) -> date | None:
        """The birth date of the next NIK with serial 0000 (one date per such NIK)."""
        count = self._next("zero_serial", (high - low).days + 1)
        return None if count is None else low + timedelta(days=count)
