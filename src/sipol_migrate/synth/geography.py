"""Region lists for the generator and its own translation of 2017 codes to 2022.

The generator needs to know, for every domicile it writes, whether the code is kept, re-coded
or retired in 2022 (FINDINGS.md, "Region references and their translation"). It computes that
here, independently of the pipeline's `sipol_migrate.regions`: the truth must not agree with a
wrong rule by sharing its code.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import PACKAGE_DATA
from .dice import Dice

SAMPLE_2017 = PACKAGE_DATA / "wilayah_sample_2017.csv"
SAMPLE_2022 = PACKAGE_DATA / "wilayah_sample_2022.csv"

PROVINSI, KABKOTA, KECAMATAN, KELURAHAN = 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class Region:
    code: str  # dotted: PP, PP.KK, PP.KK.CC, PP.KK.CC.DDDD
    name: str
    level: int  # tingkat 1..4
    parent: str | None


def name_key(name: str) -> str:
    """Names compare case-insensitively, trimmed, with inner white space collapsed."""
    return " ".join(name.split()).casefold()


class RegionList:
    """One Kemendagri list (`kode,nama,tingkat,induk`), in file order."""

    def __init__(self, regions: list[Region]):
        self.regions = regions
        self.by_code = {r.code: r for r in regions}
        self.children: dict[str, list[Region]] = defaultdict(list)
        for region in regions:
            if region.parent:
                self.children[region.parent].append(region)

    @classmethod
    def load(cls, path: Path) -> RegionList:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = [Region(r["kode"].strip(), r["nama"].strip(), int(r["tingkat"]),
                           r["induk"].strip() or None) for r in csv.DictReader(handle)]
        return cls(rows)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["kode", "nama", "tingkat", "induk"])
            for r in self.regions:
                writer.writerow([r.code, r.name, r.level, r.parent or ""])

    def level_codes(self, level: int) -> list[str]:
        return [r.code for r in self.regions if r.level == level]

    def __contains__(self, code: str) -> bool:
        return code in self.by_code


class Translator:
    """2017 code → 2022 code, or None when the place is retired (level by level from the top)."""

    def __init__(self, old: RegionList, new: RegionList):
        self.old, self.new = old, new
        self._memo: dict[str, str | None] = {}
        self._kabkota_by_name: dict[str, list[str]] = defaultdict(list)
        for region in new.regions:
            if region.level == KABKOTA:
                self._kabkota_by_name[name_key(region.name)].append(region.code)

    def translate(self, code: str) -> str | None:
        if code not in self._memo:
            self._memo[code] = self._translate(code)
        return self._memo[code]

    def _translate(self, code: str) -> str | None:
        if code in self.new:
            return code
        region = self.old.by_code[code]
        if region.level == PROVINSI:
            return None
        if region.level == KABKOTA:
            matches = self._kabkota_by_name.get(name_key(region.name), [])
            return matches[0] if len(matches) == 1 else None
        parent = self.translate(code.rsplit(".", 1)[0])
        if parent is None:
            return None
        wanted = name_key(region.name)
        matches = [c.code for c in self.new.children.get(parent, ()) if name_key(c.name) == wanted]
        return matches[0] if len(matches) == 1 else None


@dataclass
class Domiciles:
    """Domicile codes of the 2017 list by what their translation does, and helper pools."""

    kept: list[str] = field(default_factory=list)  # kecamatan/kelurahan kept as they are
    recoded: list[tuple[str, str]] = field(default_factory=list)  # (2017 code, 2022 code)
    retired: list[str] = field(default_factory=list)
    kabkota: list[str] = field(default_factory=list)  # kab/kota holding at least one domicile
    bad_nik_regions: list[str] = field(default_factory=list)  # 6 digits, a kecamatan in neither
    new_only_kecamatan: list[str] = field(default_factory=list)  # kecamatan only in 2022
    never_valid: list[str] = field(default_factory=list)  # raw codes that are no domicile


class Geography:
    """Both lists, the translation and the domicile pools the members are drawn from."""

    def __init__(self, old: RegionList, new: RegionList):
        self.old, self.new = old, new
        self.translator = Translator(old, new)
        self.domiciles = self._classify()

    @classmethod
    def load(cls, path_2017: Path | None, path_2022: Path | None) -> Geography:
        return cls(RegionList.load(path_2017 or SAMPLE_2017), RegionList.load(path_2022 or SAMPLE_2022))

    def _classify(self) -> Domiciles:
        pools = Domiciles()
        kabkota: dict[str, None] = {}
        for region in self.old.regions:
            if region.level not in (KECAMATAN, KELURAHAN):
                continue
            target = self.translator.translate(region.code)
            if target == region.code:
                pools.kept.append(region.code)
            elif target is None:
                pools.retired.append(region.code)
            else:
                pools.recoded.append((region.code, target))
            kabkota[region.code[:5]] = None
        pools.kabkota = list(kabkota)
        pools.bad_nik_regions = self._bad_nik_regions(pools.kabkota)
        pools.new_only_kecamatan = [c for c in self.new.level_codes(KECAMATAN) if c not in self.old]
        pools.never_valid = self._never_valid(pools.kabkota)
        return pools

    def _is_kecamatan(self, code: str) -> bool:
        return any(code in ref and ref.by_code[code].level == KECAMATAN for ref in (self.old, self.new))

    def _bad_nik_regions(self, kabkota: list[str]) -> list[str]:
        """Six-digit NIK regions (as PP.KK.CC) that are a kecamatan in neither list."""
        candidates = [f"{kab}.{cc}" for kab in kabkota for cc in ("00", "89", "98", "99")]
        candidates += ["99.01.01", "00.00.00", "10.01.01"]
        return [c.replace(".", "") for c in candidates if not self._is_kecamatan(c)]

    def _never_valid(self, kabkota: list[str]) -> list[str]:
        candidates = [f"{kab}.99" for kab in kabkota[:20]] + [f"{kab}.01.9999" for kab in kabkota[:20]]
        candidates += ["99.99.99", "00.00.00.0000", "32.99.01"]
        return [c for c in candidates if c not in self.old]

    def kecamatan_of(self, code: str) -> str:
        return code[:8]

    def kabkota_name(self, kab: str) -> str:
        region = self.old.by_code.get(kab)
        return region.name if region else kab

    def populations(self, rng: Dice) -> dict[str, int | None]:
        """Synthetic jumlah_penduduk per kab/kota; a few stay NULL (at least one)."""
        result: dict[str, int | None] = {}
        kabkota = self.old.level_codes(KABKOTA)
        for code in kabkota:
            region = self.old.by_code[code]
            papua = code.startswith("9")
            low, high = (15_000, 350_000) if papua else (90_000, 3_500_000)
            if region.name.upper().startswith("KOTA"):
                low, high = (low * 2, high)
            result[code] = None if rng.random() < 0.02 else rng.between(low, high)
        if kabkota and all(v is not None for v in result.values()):
            result[rng.pick(kabkota)] = None
        return result
