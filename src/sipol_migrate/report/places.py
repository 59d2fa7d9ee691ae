"""Province and kab/kota names for the reports, from the target's `region` table (both years).

A member's place is its migrated 2022 code when that is a known place, else its 2017 code; the
kab/kota is the code's first five characters (`PP.KK`), the province its first two.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from ..schema import region

UNKNOWN = ""
UNKNOWN_NAME = "(wilayah tidak dikenal)"


@dataclass(frozen=True, slots=True)
class Place:
    kab: str  # PP.KK, or UNKNOWN
    kab_name: str
    prov: str  # PP, or UNKNOWN
    prov_name: str

    @property
    def label(self) -> str:
        return f"{self.kab_name} ({self.kab})" if self.kab else self.kab_name


class PlaceBook:
    def __init__(self, names: dict[tuple[int, str], str]):
        self._names = names
        self._cache: dict[tuple[str | None, str | None], Place] = {}

    @classmethod
    def load(cls, target: Engine) -> PlaceBook:
        query = select(region.c.year, region.c.code, region.c.name).where(region.c.level <= 2)
        with target.connect() as conn:
            return cls({(int(year), code): name for year, code, name in conn.execute(query)})

    def name(self, code: str) -> str | None:
        return self._names.get((2022, code)) or self._names.get((2017, code))

    def province_name(self, prov: str) -> str:
        return self.name(prov) or (UNKNOWN_NAME if not prov else prov)

    def place(self, code_2022: str | None, code_2017: str | None) -> Place:
        key = (code_2022, code_2017)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._resolve(code_2022, code_2017)
        return found

    def _resolve(self, code_2022: str | None, code_2017: str | None) -> Place:
        for year, code in ((2022, code_2022), (2017, code_2017)):
            kab = (code or "")[:5]
            name = self._names.get((year, kab)) if len(kab) == 5 else None
            if name:
                prov = kab[:2]
                prov_name = self._names.get((year, prov)) or self.province_name(prov)
                return Place(kab, name, prov, prov_name)
        return Place(UNKNOWN, UNKNOWN_NAME, UNKNOWN, UNKNOWN_NAME)
