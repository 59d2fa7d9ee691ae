"""A member row under construction: clean by default, then changed by plants, then rendered.

The row keeps the parts of its NIK (region, birth date, gender flag, serial) rather than the
string, so that plants can change one part and the raw value is assembled once at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .dice import Dice
from . import spellings as sp
from .geography import Geography
from .names import NameBook
from .nik import NikAllocator, date6
from .parties import Party
from .units import UnitBook

ANGGOTA_COLUMNS = ("id", "partai_id", "kepengurusan_id", "nik", "no_kk", "nama", "tempat_lahir",
                   "tgl_lahir", "jenis_kelamin", "status_kawin", "pekerjaan", "alamat", "kode_wilayah",
                   "no_kta", "is_deleted", "created_by", "created_at", "updated_at")
UPLOAD_COLUMNS = ("id", "anggota_id", "path", "ukuran", "uploaded_at")

REFERENCE_DATE = date(2022, 8, 1)
ADULT_LOW, ADULT_HIGH = date(1940, 1, 1), date(2004, 7, 31)
UNSET = object()  # "not overridden": the clean value is rendered


def member_id(index: int) -> int:
    """Row index → t_anggota.id. Every 1001st id is left out (a member removed long ago)."""
    return index + 1 + index // 1000


def gap_ids(last_index: int) -> range:
    """The ids member_id leaves out below the last member's id."""
    return range(1001, member_id(last_index), 1001)


@dataclass(slots=True)
class Context:
    """What building a member needs; one per synthesis run."""

    geo: Geography
    names: NameBook
    allocator: NikAllocator
    units: UnitBook
    rng: Dice
    old_rows: float


class MemberRow:
    __slots__ = ("index", "id", "party", "party_id", "unit_id", "female", "gender_raw", "birth",
                 "birth_raw", "nik_region6", "nik_female", "nik_serial", "nik_date6", "nik_fixed",
                 "nik_raw", "nik_style", "name", "birth_place", "marital_raw", "occupation", "address",
                 "domicile", "domicile_raw", "kta", "no_kk", "ktp_uploads", "kta_uploads",
                 "is_deleted", "created_by", "created_at", "created_day", "updated_at", "findings", "plants",
                 "groups")

    def __init__(self, index: int, party: Party | None, party_id: int):
        self.index, self.id, self.party, self.party_id = index, member_id(index), party, party_id
        self.birth_raw = self.nik_raw = UNSET
        self.nik_date6 = self.nik_fixed = None
        self.nik_style = "plain"
        self.ktp_uploads = self.kta_uploads = 1
        self.is_deleted = 0
        self.findings: list[tuple[str, str | None]] = []
        self.plants: list[str] = []
        self.groups: set[str] = set()

    @property
    def kab(self) -> str:
        return self.domicile[:5]

    def nik_digits(self) -> str:
        if self.nik_fixed:
            return self.nik_fixed
        return self.nik_region6 + (self.nik_date6 or date6(self.birth, self.nik_female)) + self.nik_serial

    def render_nik(self) -> str | None:
        if self.nik_raw is not UNSET:
            return self.nik_raw
        return format_nik(self.nik_digits(), self.nik_style)

    def values(self) -> tuple:
        birth = self.birth.isoformat() if self.birth_raw is UNSET else self.birth_raw
        return (self.id, self.party_id, self.unit_id, self.render_nik(), self.no_kk, self.name,
                self.birth_place, birth, self.gender_raw, self.marital_raw, self.occupation,
                self.address, self.domicile_raw, self.kta, self.is_deleted, self.created_by,
                self.created_at, self.updated_at)


def format_nik(digits: str, style: str) -> str:
    """A NIK as an operator typed it; every style normalises back to the same digits."""
    d = digits
    if style == "spaces":
        return f"{d[:4]} {d[4:8]} {d[8:12]} {d[12:]}"
    if style == "outer_spaces":
        return f" {d}  "
    if style == "tab":
        return f"{d[:6]}\t{d[6:]}"
    if style == "nbsp":
        return f"{d[:6]}\u00a0{d[6:12]}\u00a0{d[12:]}"
    if style == "dots":
        return f"{d[:2]}.{d[2:4]}.{d[4:6]}.{d[6:12]}.{d[12:]}"
    if style == "dashes":
        return f"{d[:6]}-{d[6:12]}-{d[12:]}"
    if style == "apostrophe":
        return "'" + d
    if style == "apostrophe_spaces":
        return "'" + f"{d[:4]} {d[4:8]} {d[8:12]} {d[12:]}"
    return d


class MemberFactory:
    """Builds clean member rows; plants (plants.py) change them afterwards."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.kept = ctx.geo.domiciles.kept
        self.kept_kecamatan = [code for code in self.kept if len(code) == 8]
        self.place_names = {kab: _place_name(ctx.geo.kabkota_name(kab))
                            for kab in ctx.geo.domiciles.kabkota}

    def clean(self, index: int, party: Party | None, party_id: int) -> MemberRow:
        ctx, rng = self.ctx, self.ctx.rng
        row = MemberRow(index, party, party_id)
        row.female = rng.random() < 0.46
        row.nik_female = row.female
        row.gender_raw = rng.pick(sp.GENDER_FEMALE if row.female else sp.GENDER_MALE)
        row.birth = ctx.allocator.random_birth_date(index, rng, ADULT_LOW, ADULT_HIGH)
        row.nik_serial = ctx.allocator.serial(index)
        self.set_domicile(row, rng.pick(self.kept))
        row.name = ctx.names.person_name(row.domicile[:2], row.female, rng)
        draw = rng.random()
        row.marital_raw = rng.pick(sp.MARITAL_EVER if draw < 0.6 else
                                     sp.MARITAL_NEVER if draw < 0.9 else sp.MARITAL_UNKNOWN)
        row.occupation = rng.pick(sp.OCCUPATIONS)
        row.address = ctx.names.address(rng)
        row.no_kk = row.nik_region6 + f"{rng.between(0, 9_999_999_999):010d}"
        code = party.code.lower() if party else "x"
        row.kta = f"{row.kab.replace('.', '')}.{party_id:02d}.{index + 1:07d}"
        row.created_by = f"op_{code}_{row.kab.replace('.', '')}"
        self._stamps(row, rng)
        return row

    def set_domicile(self, row: MemberRow, code: str) -> None:
        """Move the row's domicile; the NIK region, birth place and home unit follow it."""
        row.domicile, row.domicile_raw = code, code
        row.nik_region6 = code[:8].replace(".", "")
        row.birth_place = self.place_names.get(code[:5], "Jakarta")
        unit = self.ctx.units.home.get((row.party_id, code[:5]))
        row.unit_id = unit if unit is not None else self._foreign_unit(row)

    def _foreign_unit(self, row: MemberRow) -> int | None:
        """A member of no known party (orphan partai_id): some unit id, or none."""
        rng = self.ctx.rng
        return None if rng.random() < 0.3 else rng.between(1, len(self.ctx.units.units))

    def _stamps(self, row: MemberRow, rng: Dice) -> None:
        row.created_day = rng.between(0, 280)
        row.created_at = CLOCK.stamp(row.created_day, rng)
        draw, early = rng.random(), row.created_day < 140  # the first half of the entry period
        if early and draw < 2 * self.ctx.old_rows:  # older rows: updated_at never set, or zero
            row.updated_at = None if draw < self.ctx.old_rows * 1.2 else "0000-00-00 00:00:00"
        elif draw < 0.25:
            row.updated_at = row.created_at
        else:
            row.updated_at = CLOCK.stamp(row.created_day + rng.between(0, 120), rng)


class Clock:
    """Office-hours timestamps from day offsets after the registration opened (precomputed text)."""

    START = date(2017, 10, 2)

    def __init__(self, days: int = 500):
        self.days = [(self.START + timedelta(days=d)).isoformat() for d in range(days)]
        self.times = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(7 * 3600, 21 * 3600)]

    def stamp(self, day: int, rng: Dice) -> str:
        return f"{self.days[day]} {rng.pick(self.times)}"


CLOCK = Clock()


def _place_name(kabkota_name: str) -> str:
    name = kabkota_name
    for prefix in ("KAB. ", "KOTA ADM. ", "KOTA "):
        if name.upper().startswith(prefix):
            name = name[len(prefix):]
    return name.title()
