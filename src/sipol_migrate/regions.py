"""The region references (FINDINGS.md, "Region references and their translation").

`RegionBook` holds the 2017 reference (the legacy `m_wilayah`, which may hold places the
official lists do not) and the 2022 list given to the run. It answers validity questions on the
2017 basis, translates 2017 codes to 2022 ones (lazily, cached), and gives the counts and
populations the set rules need. Hierarchy comes from the codes themselves: a region's parent is
its code without the last segment, its kab/kota its first five characters (`PP.KK`), as
FINDINGS.md defines them; the `induk` column is kept but not trusted over the code.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import InputError
from .model import KABKOTA, KECAMATAN, PROVINSI
from .normalize import as_int, clean_text, collapse, normalize_region_code

HEADER = ["kode", "nama", "tingkat", "induk"]
PROVINCE, REGENCY, DISTRICT, VILLAGE = (
    1,
    2,
    3,
    4,
)  # tingkat: provinsi, kab/kota, kecamatan, kel/desa
DOMICILE_MEMO_LIMIT = 200_000  # distinct member region codes remembered (valid ones ≤ ~91k)
UNIT_LEVEL_TINGKAT = {PROVINSI: PROVINCE, KABKOTA: REGENCY, KECAMATAN: DISTRICT}


def name_key(name: str | None) -> str:
    """Names compare case-insensitively, trimmed, inner white space collapsed."""
    return collapse(name or "").casefold()


def parent_code(code: str) -> str | None:
    """The code without its last segment ('32.01.01' → '32.01'); None for a province."""
    head, dot, _ = code.rpartition(".")
    return head if dot else None


def load_region_csv(path: Path | str) -> list[dict]:
    """A region list `kode,nama,tingkat,induk` (the 2022 reference) as row dicts.

    Raises InputError, one line naming the file, when it cannot be read, its header is not
    exactly `kode,nama,tingkat,induk`, a row is short, a `kode` is blank or repeated, or a
    `tingkat` is not 1-4.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return _read_region_rows(csv.reader(handle), path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"region file {path}: cannot read: {type(exc).__name__}") from None


def _read_region_rows(reader, path: Path) -> list[dict]:
    header = next(reader, None)
    if header != HEADER:
        raise InputError(f"region file {path}: header must be exactly {','.join(HEADER)}")
    rows: list[dict] = []
    seen: set[str] = set()
    for line, fields in enumerate(reader, start=2):
        if not fields:
            continue
        if len(fields) != len(HEADER):
            raise InputError(
                f"region file {path} line {line}: expected 4 fields, found {len(fields)}"
            )
        code, name, level, parent = (f.strip() for f in fields)
        if level not in ("1", "2", "3", "4"):
            raise InputError(f"region file {path} line {line}: tingkat {level[:10]!r} is not 1-4")
        if not code or code in seen:
            what = "blank kode" if not code else f"kode {code} repeated"
            raise InputError(f"region file {path} line {line}: {what}")
        seen.add(code)
        rows.append({"kode": code, "nama": name, "tingkat": int(level), "induk": parent or None})
    if not rows:
        raise InputError(f"region file {path}: holds no regions")
    return rows


class RegionBook:
    """The 2017 reference and the 2022 list: validity, translation, counts, populations."""

    def __init__(self, rows_2017: Iterable[Mapping], rows_2022: Iterable[Mapping]):
        self._level17: dict[str, int] = {}
        self._name17: dict[str, str] = {}
        self._population: dict[str, int | None] = {}
        for code, name, level, population in _regions(rows_2017):
            self._level17[code] = level
            self._name17[code] = name
            if level == REGENCY:
                self._population[code] = population
        self._level22: dict[str, int] = {}
        self._by_name22: dict[tuple[int, str], list[str]] = {}  # (tingkat, name) for 1, 2
        self._children22: dict[tuple[str | None, str], list[str]] = {}  # (parent, name) for 3, 4
        for code, name, level, _ in _regions(rows_2022):
            self._level22[code] = level
            if level <= REGENCY:
                self._by_name22.setdefault((level, name_key(name)), []).append(code)
            else:
                self._children22.setdefault((parent_code(code), name_key(name)), []).append(code)
        self._district_digits = {
            code.replace(".", "")
            for book in (self._level17, self._level22)
            for code, level in book.items()
            if level == DISTRICT
        }
        self._translations: dict[str, str | None] = {}
        self._domiciles: dict[str | None, tuple[bool, str | None]] = {}

    # --- validity on the 2017 basis -----------------------------------------------------------

    def level_2017(self, code: str | None) -> int | None:
        """The tingkat of a code in the 2017 reference, None when it is not there."""
        return self._level17.get(code) if code else None

    def is_domicile_valid(self, code: str | None) -> bool:
        """A kecamatan (tingkat 3) or kelurahan/desa (tingkat 4) of the 2017 reference."""
        level = self._level17.get(code) if code else None
        return level in (DISTRICT, VILLAGE)

    def is_unit_region_valid(self, level: str | None, code: str | None) -> bool:
        """A region of the unit's level in 2017 (provinsi: tingkat 1, kabkota 2, kecamatan 3)."""
        wanted = UNIT_LEVEL_TINGKAT.get(level) if level else None
        return wanted is not None and code is not None and self._level17.get(code) == wanted

    def kecamatan_exists_any(self, code: str) -> bool:
        """`PP.KK.CC` (or its six digits) is a kecamatan of the 2017 or the 2022 reference."""
        return code.replace(".", "") in self._district_digits

    def kecamatan_digits(self) -> frozenset[str]:
        """Every kecamatan of either reference as six digits (the NIK rule's digits 1-6)."""
        return frozenset(self._district_digits)

    def has_kecamatan_digits(self, digits: str) -> bool:
        """The hot-path form for NIK digits 1-6: no dots, no copy."""
        return digits in self._district_digits

    # --- translation to 2022 ------------------------------------------------------------------

    def translate(self, code: str | None) -> str | None:
        """The 2022 code of a 2017 code, None when the place is retired (FINDINGS.md)."""
        if not code:
            return None
        try:
            return self._translations[code]
        except KeyError:
            pass
        found = self._translate(code)
        self._translations[code] = found
        return found

    def _translate(self, code: str) -> str | None:
        if code in self._level22:
            return code  # present in 2022: stays, even renamed
        level = self._level17.get(code)
        if level is None:
            return None
        name = name_key(self._name17[code])
        if level <= REGENCY:  # provinces and kab/kota: the one 2022 place of that name
            matches = self._by_name22.get((level, name), [])
        else:  # the one same-name child of the translated parent
            parent = parent_code(code)
            new_parent = self.translate(parent) if parent else None
            matches = self._children22.get((new_parent, name), []) if new_parent else []
        return matches[0] if len(matches) == 1 else None

    def domicile(self, code: str | None) -> tuple[bool, str | None]:
        """(is_domicile_valid, translate) of a member's code in one cached look-up (hot path)."""
        try:
            return self._domiciles[code]  # type: ignore[index]
        except KeyError:
            valid = self.is_domicile_valid(code)
            found = (valid, self.translate(code) if valid else None)
            if len(self._domiciles) < DOMICILE_MEMO_LIMIT:
                self._domiciles[code] = found  # type: ignore[index]
            return found

    def domiciles(self) -> list[tuple[str, str | None]]:
        """Every valid domicile code with its translation (None: retired): `domicile` as a table."""
        return [(code, self.translate(code)) for code, level in self._level17.items()
                if level in (DISTRICT, VILLAGE)]

    def in_2022(self, code: str | None) -> bool:
        return code is not None and code in self._level22

    def legacy_code_of(self, code_2022: str | None) -> str | None:
        """The 2017 domicile code that translates to `code_2022` (for a code a party entered in
        the new Sipol); the code itself when it is a 2017 domicile or has no 2017 origin."""
        if code_2022 is None or self.is_domicile_valid(code_2022):
            return code_2022
        if not hasattr(self, "_reverse"):
            self._reverse: dict[str, str] = {}
            for code, level in self._level17.items():
                if level in (3, 4):
                    new = self.translate(code)
                    if new is not None and new != code:
                        self._reverse.setdefault(new, code)
        return self._reverse.get(code_2022, code_2022)

    # --- lists, counts and populations of the 2017 reference ----------------------------------

    def provinces(self) -> list[str]:
        """The province codes of the 2017 reference, sorted."""
        return sorted(c for c, level in self._level17.items() if level == PROVINCE)

    def kabkota_counts(self) -> dict[str, int]:
        """Number of kab/kota per province code (2017)."""
        return dict(Counter(c[:2] for c, level in self._level17.items() if level == REGENCY))

    def kecamatan_counts(self) -> dict[str, int]:
        """Number of kecamatan per kab/kota code (2017)."""
        return dict(Counter(c[:5] for c, level in self._level17.items() if level == DISTRICT))

    def kabkota_codes(self) -> list[str]:
        return sorted(c for c, level in self._level17.items() if level == REGENCY)

    def population(self, kabkota: str) -> int | None:
        """jumlah_penduduk of a kab/kota of the 2017 reference, None when missing."""
        return self._population.get(kabkota)

    def populations(self) -> dict[str, int | None]:
        return dict(self._population)

    def name_2017(self, code: str) -> str | None:
        return self._name17.get(code)

    def __len__(self) -> int:
        return len(self._level17)


def _regions(rows: Iterable[Mapping]):
    """(code, name, tingkat, population) of each usable row; unusable rows are left out."""
    for row in rows:
        code = normalize_region_code(row.get("kode"))
        level = as_int(row.get("tingkat"))
        if code is None or level not in (PROVINCE, REGENCY, DISTRICT, VILLAGE):
            continue
        yield code, clean_text(row.get("nama")) or "", level, as_int(row.get("jumlah_penduduk"))
