"""Management units (t_kepengurusan) and their officers (t_pengurus) for every party.

Every party gets a pusat unit, provinsi units for most provinces, a kabkota unit for every
kab/kota that has domiciles (its "home" unit, where its members there register) and for most
others, and kecamatan units for about half the kecamatan with domiciles. A few extra units per
party exist for the member plants: deleted kabkota units, kabkota units whose region is not a
kab/kota, and units of a level FINDINGS.md does not know.

Problems of units and officers themselves are not planted yet; `Unit.purpose` and the plain
structure leave room for that (their truth would be written from the same records).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from . import spellings as sp
from .dice import Dice
from .geography import KABKOTA, KECAMATAN, PROVINSI, Geography
from .names import NameBook
from .nik import NikAllocator
from .parties import BY_ID, PARTIES, Party

UNIT_COLUMNS = ("id", "partai_id", "tingkat", "kode_wilayah", "no_sk", "tgl_sk", "alamat_kantor",
                "status_kantor", "kantor_berlaku_sampai", "is_deleted", "created_at", "updated_at")
OFFICER_COLUMNS = ("id", "kepengurusan_id", "jabatan", "nik", "nama", "jenis_kelamin", "no_hp",
                   "is_deleted")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


@dataclass(slots=True)
class Unit:
    id: int
    party_id: int
    level: str  # pusat | provinsi | kabkota | kecamatan | unknown
    level_raw: str
    region: str | None  # the region it stands for (dotted), None for pusat or a broken code
    region_raw: str | None
    deleted: bool = False
    purpose: str = "regular"  # regular | home | deleted | bad_region | odd_level
    officers: int = 0


@dataclass
class UnitBook:
    units: list[Unit] = field(default_factory=list)
    home: dict[tuple[int, str], int] = field(default_factory=dict)  # (party, kab/kota) → unit id
    by_purpose: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    wrong_level: dict[int, list[int]] = field(default_factory=dict)  # party → not-kabkota units

    def add(self, unit: Unit) -> Unit:
        self.units.append(unit)
        self.by_purpose.setdefault((unit.party_id, unit.purpose), []).append(unit.id)
        if unit.level != "kabkota" and not unit.deleted:
            self.wrong_level.setdefault(unit.party_id, []).append(unit.id)
        if unit.purpose == "home":
            self.home[(unit.party_id, unit.region)] = unit.id
        return unit

    @property
    def next_id(self) -> int:
        return len(self.units) + 1

    def missing_unit_id(self, rng: Dice) -> int:
        return len(self.units) + rng.between(100, 5000)

    @property
    def officer_count(self) -> int:
        return sum(u.officers for u in self.units)


class UnitBuilder:
    def __init__(self, geo: Geography, rng: Dice):
        self.geo, self.rng, self.book = geo, rng, UnitBook()

    def build(self) -> UnitBook:
        for party in PARTIES:
            self._party_units(party)
        return self.book

    def _unit(self, party: Party, level: str, level_raw: str, region: str | None,
              region_raw: str | None, purpose: str = "regular", deleted: bool = False) -> None:
        size = {"pusat": (12, 20), "provinsi": (5, 9), "kabkota": (4, 7)}.get(level, (3, 5))
        self.book.add(Unit(self.book.next_id, party.legacy_id, level, level_raw, region, region_raw,
                           deleted, purpose, self.rng.between(*size)))

    def _party_units(self, party: Party) -> None:
        rng, old = self.rng, self.geo.old
        self._unit(party, "pusat", rng.pick(sp.LEVEL_PUSAT), None, None)
        for province in old.level_codes(PROVINSI):
            if rng.random() < 0.93:
                self._unit(party, "provinsi", rng.pick(sp.LEVEL_PROVINSI), province, province)
        homes = set(self.geo.domiciles.kabkota)
        for kab in old.level_codes(KABKOTA):
            if kab in homes or rng.random() < 0.85:
                raw = kab if rng.random() < 0.9 else f" {kab} "
                self._unit(party, "kabkota", self._kabkota_spelling(kab), kab, raw,
                           "home" if kab in homes else "regular")
        for kec in old.level_codes(KECAMATAN):
            if kec[:5] in homes and rng.random() < 0.55:
                self._unit(party, "kecamatan", rng.pick(sp.LEVEL_KECAMATAN), kec, kec)
        self._special_units(party, sorted(homes))

    def _kabkota_spelling(self, kab: str) -> str:
        name = self.geo.kabkota_name(kab).upper()
        if self.rng.random() < 0.2:
            return self.rng.pick(sp.LEVEL_KOTA if name.startswith("KOTA") else sp.LEVEL_KABUPATEN)
        return self.rng.pick(sp.LEVEL_KABKOTA)

    def _special_units(self, party: Party, homes: list[str]) -> None:
        rng = self.rng
        for kab in rng.sample(homes, min(3, len(homes))):
            self._unit(party, "kabkota", rng.pick(sp.LEVEL_KABKOTA), kab, kab, "deleted", deleted=True)
        kecamatan = [c for c in self.geo.domiciles.kept if len(c) == 8]
        broken = [None, "", "99.99", f"{homes[0]}.99" if homes else "00.00",
                  rng.pick(kecamatan) if kecamatan else "00.00.00"]
        for raw in rng.sample(broken, 3):
            self._unit(party, "kabkota", rng.pick(sp.LEVEL_KABKOTA), None, raw, "bad_region")
        for level_raw in rng.sample(sp.LEVEL_UNKNOWN, 2):
            kab = rng.pick(homes) if homes else None
            self._unit(party, "unknown", level_raw, kab, kab, "odd_level")


# -- rows ------------------------------------------------------------------------------------

def _stamp(rng: Dice, start: date, days: int) -> str:
    moment = start + timedelta(days=rng.between(0, days))
    return f"{moment.isoformat()} {rng.between(7, 20):02d}:{rng.between(0, 59):02d}:{rng.between(0, 59):02d}"


def _office(rng: Dice, level: str) -> tuple[str, str | None]:
    draw = rng.random()
    if level == "pusat" or draw < 0.55:
        return rng.pick(sp.OFFICE_OWNED), None
    end = (date(2018, 6, 1) + timedelta(days=rng.between(0, 365 * 8))).isoformat()
    if draw < 0.85:
        return rng.pick(sp.OFFICE_LEASED), end
    return rng.pick(sp.OFFICE_LENT), None if rng.random() < 0.3 else end


def unit_rows(book: UnitBook, names: NameBook, rng: Dice):
    for unit in book.units:
        status, until = _office(rng, unit.level)
        party = BY_ID[unit.party_id]
        sk_date = date(2016, 1, 1) + timedelta(days=rng.between(0, 900))
        no_sk = (f"SKEP-{unit.id:04d}/DPP-{party.code}/{ROMAN[sk_date.month - 1]}/{sk_date.year}"
                 if rng.random() < 0.95 else None)
        created = _stamp(rng, date(2017, 9, 1), 200)
        updated = None if rng.random() < 0.1 else _stamp(rng, date(2018, 4, 1), 90)
        yield (unit.id, unit.party_id, unit.level_raw, unit.region_raw, no_sk,
               sk_date.isoformat() if no_sk else None, names.address(rng), status, until,
               int(unit.deleted), created, updated)


def officer_rows(book: UnitBook, geo: Geography, names: NameBook, allocator: NikAllocator,
                 first_index: int, rng: Dice):
    """t_pengurus rows; officer NIKs use allocator indexes from first_index on."""
    officer_id, index = 0, first_index
    kecamatan = _kecamatan_by_area(geo)
    for unit in book.units:
        roles = sp.ROLES_PUSAT if unit.level == "pusat" else sp.ROLES_REGIONAL
        region = unit.region or "31"
        nearby = kecamatan.get(region[:5]) or kecamatan.get(region[:2]) or kecamatan[""]
        women_share = 0.38 if unit.level == "pusat" else 0.3
        for position in range(unit.officers):
            officer_id += 1
            role = roles[position] if position < len(roles) else rng.pick(sp.ROLES_OTHER)
            female = rng.random() < women_share
            birth = allocator.random_birth_date(index, rng, date(1950, 1, 1), date(1998, 12, 31))
            nik = allocator.ordinary(index, rng.pick(nearby).replace(".", ""), birth, female)
            index += 1
            gender = rng.pick(sp.GENDER_FEMALE if female else sp.GENDER_MALE)
            phone = f"08{rng.between(11, 99)}{rng.between(1000000, 99999999)}"
            yield (officer_id, unit.id, role, nik, names.person_name(region[:2], female, rng),
                   gender, phone, int(rng.random() < 0.02))


def _kecamatan_by_area(geo: Geography) -> dict[str, list[str]]:
    """Kecamatan of the 2017 list by province, by kab/kota, and all of them (key "")."""
    areas: dict[str, list[str]] = {"": geo.old.level_codes(KECAMATAN)}
    for code in areas[""]:
        areas.setdefault(code[:2], []).append(code)
        areas.setdefault(code[:5], []).append(code)
    return areas
