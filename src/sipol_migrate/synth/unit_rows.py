"""Rows of t_kepengurusan and t_pengurus from the units and officers `units.py` built and planted.

Only what no rule reads is drawn here (SK numbers, addresses, names, phones, time stamps); the
NIK of an officer is valid unless its planted `nik_plant` says how it is broken.
"""

from __future__ import annotations

from datetime import date, timedelta

from . import spellings as sp
from .dice import Dice
from .geography import KECAMATAN, Geography
from .names import NameBook
from .nik import NikAllocator
from .parties import BY_ID
from .units import ROMAN, UnitBook


def _stamp(rng: Dice, start: date, days: int) -> str:
    moment = start + timedelta(days=rng.between(0, days))
    return f"{moment.isoformat()} {rng.between(7, 20):02d}:{rng.between(0, 59):02d}:{rng.between(0, 59):02d}"


def unit_rows(book: UnitBook, names: NameBook, rng: Dice):
    for unit in book.units:
        status, until = unit.office
        party = BY_ID.get(unit.party_id)
        sk_date = date(2016, 1, 1) + timedelta(days=rng.between(0, 900))
        dpp = party.code if party else f"P{unit.party_id}"
        no_sk = (f"SKEP-{unit.id:04d}/DPP-{dpp}/{ROMAN[sk_date.month - 1]}/{sk_date.year}"
                 if rng.random() < 0.95 else None)
        created = _stamp(rng, date(2017, 9, 1), 200)
        updated = None if rng.random() < 0.1 else _stamp(rng, date(2018, 4, 1), 90)
        yield (unit.id, unit.party_id, unit.level_raw, unit.region_raw, no_sk,
               sk_date.isoformat() if no_sk else None, names.address(rng), status, until,
               int(unit.deleted), created, updated)


def _planted_nik(nik: str, plant: str) -> str | None:
    """An officer NIK that is missing, malformed or of invalid structure (FINDINGS.md NIK rules)."""
    return {"missing": None, "blank": "  ", "short": nik[:15], "scientific": f"{nik[0]}.{nik[1:6]}E+15",
            "zero_serial": nik[:12] + "0000", "letters": nik[:10] + "ABCDEF"}[plant]


def officer_rows(book: UnitBook, geo: Geography, names: NameBook, allocator: NikAllocator,
                 first_index: int, rng: Dice):
    """t_pengurus rows; officer NIKs use allocator indexes from first_index on."""
    index = first_index
    kecamatan = _kecamatan_by_area(geo)
    units = {unit.id: unit for unit in book.units}
    for officer in book.all_officers():
        unit = units.get(officer.unit_id)
        region = (unit.region if unit else None) or "31"
        nearby = kecamatan.get(region[:5]) or kecamatan.get(region[:2]) or kecamatan[""]
        birth = allocator.random_birth_date(index, rng, date(1950, 1, 1), date(1998, 12, 31))
        nik = allocator.ordinary(index, rng.pick(nearby).replace(".", ""), birth, officer.female)
        index += 1
        if officer.nik_plant != "valid":
            nik = _planted_nik(nik, officer.nik_plant)
        if officer.gender_known:
            gender = rng.pick(sp.GENDER_FEMALE if officer.female else sp.GENDER_MALE)
        else:
            gender = rng.pick(sp.GENDER_UNKNOWN)
        phone = f"08{rng.between(11, 99)}{rng.between(1000000, 99999999)}"
        yield (officer.id, officer.unit_id, officer.role_raw, nik,
               names.person_name(region[:2], officer.female, rng), gender, phone, int(officer.deleted))


def _kecamatan_by_area(geo: Geography) -> dict[str, list[str]]:
    """Kecamatan of the 2017 list by province, by kab/kota, and all of them (key "")."""
    areas: dict[str, list[str]] = {"": geo.old.level_codes(KECAMATAN)}
    for code in areas[""]:
        areas.setdefault(code[:2], []).append(code)
        areas.setdefault(code[:5], []).append(code)
    return areas
