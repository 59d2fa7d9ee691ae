"""Management units (t_kepengurusan) and their officers (t_pengurus) for every party.

Every party gets a pusat unit, provinsi units for all but a few provinces, a kabkota unit for
every kab/kota that has domiciles (its "home" unit, where its members there register) and, per
province, as many other kab/kota units as its coverage plan says, and kecamatan units in its
home kab/kota as many as the kecamatan plan says. A few extra units per party exist for the
member plants: deleted kabkota units, kabkota units whose region is not a kab/kota, and units
of a level FINDINGS.md does not know.

The management problems are planted here too, each recorded on the unit or officer it changes
(`structure.py` turns them into truth lines by construction):
- coverage plans per (party, province) and (party, home kab/kota): `exact` (exactly the
  required ceil(75 %) / ceil(50 %)), `under` (one short), `full`, `random`; the short plans get a
  decoy that must not count (deleted, unknown level, or an invalid code), the exact ones a
  duplicate unit in a covered region (coverage counts distinct regions);
- missing provinces (no unit, a deleted one, an invalid code, an unknown level);
- the pusat board's women share per party: 29 of 100, 6 of 20 (exactly 30 %), 3 of 10 with an
  officer of unknown gender and deleted women, a random board, no active pusat unit at all;
- officer plans: only a "Wakil Ketua", no officers, no Bendahara, a deleted Ketua, the three
  roles in odd known spellings; officers with an invalid NIK or an unknown gender;
- offices: leases ending exactly on the required date, the day before, open-ended, zero dates;
- units and officers of orphan parties, officers of units that do not exist.
Members only rely on home units (clean, active, valid kab/kota) and on the purpose lists, which
the plants leave as the member plants expect them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from . import spellings as sp
from .dice import Dice
from .geography import KABKOTA, KECAMATAN, PROVINSI, Geography
from .parties import MAPPED, ORPHAN_PARTY_IDS, PARTIES, Party

UNIT_COLUMNS = ("id", "partai_id", "tingkat", "kode_wilayah", "no_sk", "tgl_sk", "alamat_kantor",
                "status_kantor", "kantor_berlaku_sampai", "is_deleted", "created_at", "updated_at")
OFFICER_COLUMNS = ("id", "kepengurusan_id", "jabatan", "nik", "nama", "jenis_kelamin", "no_hp",
                   "is_deleted")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
LEVEL_TINGKAT = {"provinsi": PROVINSI, "kabkota": KABKOTA, "kecamatan": KECAMATAN}

# Officer roles as FINDINGS.md lists their spellings (trimmed, upper-cased, spaces collapsed).
ROLE_OF = {"KETUA": "KETUA", "KETUA UMUM": "KETUA", "SEKRETARIS": "SEKRETARIS",
           "SEKRETARIS JENDERAL": "SEKRETARIS", "SEKJEN": "SEKRETARIS", "BENDAHARA": "BENDAHARA",
           "BENDAHARA UMUM": "BENDAHARA"}
ROLES_SPELLED = (" ketua umum ", "Sekjen", "SEKRETARIS  JENDERAL", "bendahara  umum", "KETUA")
# Not one of FINDINGS.md's level spellings.
LEVEL_DECOY = ("DPC", "DPW", "ranting", "DPRt")
OFFICE_PLANTS = (("Sewa", "2024-02-14"), ("sewa", "2024-02-13"), (" SEWA ", None),
                 ("Pinjam Pakai", "0000-00-00"), ("pinjam pakai", "2030-12-31"), ("kontrak", "2019-01-01"),
                 ("Milik Sendiri", None), (None, None), ("PINJAM  PAKAI", "2019-06-30"))
NIK_PLANTS = ("missing", "blank", "short", "scientific", "zero_serial", "letters")
COVERAGE_PLANS = ("exact", "under", "full", "random")
WOMEN_PLANS = ("29_of_100", "6_of_20", "3_of_10_unknown", "random", "no_pusat")
STAFF_PLANS = ("only_wakil", "no_officers", "no_bendahara", "deleted_ketua", "spelled")


@dataclass(slots=True)
class Officer:
    id: int
    unit_id: int
    role_raw: str
    female: bool
    gender_known: bool = True
    nik_plant: str = "valid"  # valid | one of NIK_PLANTS
    deleted: bool = False

    @property
    def role(self) -> str | None:
        return ROLE_OF.get(" ".join(self.role_raw.split()).upper())


@dataclass(slots=True)
class Unit:
    id: int
    party_id: int
    level: str  # pusat | provinsi | kabkota | kecamatan | unknown
    level_raw: str
    region: str | None  # the region it stands for (dotted), None for pusat or a broken code
    region_raw: str | None
    deleted: bool = False
    purpose: str = "regular"  # regular | home | deleted | bad_region | odd_level | decoy | orphan
    officers: int = 0
    staff: list[Officer] = field(default_factory=list)
    office: tuple[str | None, str | None] = ("milik sendiri", None)  # status_kantor, kantor_berlaku_sampai

    @property
    def code(self) -> str | None:
        """kode_wilayah as normalised (FINDINGS.md rule 6): trimmed, 6 or 10 digits dotted."""
        return normal_code(self.region_raw)


def normal_code(raw: str | None) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    if text.isdigit() and len(text) == 6:
        return f"{text[:2]}.{text[2:4]}.{text[4:]}"
    if text.isdigit() and len(text) == 10:
        return f"{text[:2]}.{text[2:4]}.{text[4:6]}.{text[6:]}"
    return text


@dataclass
class UnitBook:
    units: list[Unit] = field(default_factory=list)
    home: dict[tuple[int, str], int] = field(default_factory=dict)  # (party, kab/kota) → unit id
    by_purpose: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    wrong_level: dict[int, list[int]] = field(default_factory=dict)  # party → not-kabkota units
    stray_officers: list[Officer] = field(default_factory=list)  # officers of no existing unit

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
        return sum(len(u.staff) for u in self.units) + len(self.stray_officers)

    def all_officers(self):
        for unit in self.units:
            yield from unit.staff
        yield from self.stray_officers


def required(count: int, numerator: int, denominator: int) -> int:
    """ceil(count × numerator / denominator) in integers."""
    return -(-count * numerator // denominator)


class UnitBuilder:
    def __init__(self, geo: Geography, rng: Dice):
        self.geo, self.rng, self.book = geo, rng, UnitBook()
        self.kabkota_of: dict[str, list[str]] = {}
        for kab in geo.old.level_codes(KABKOTA):
            self.kabkota_of.setdefault(kab[:2], []).append(kab)
        self.kecamatan_of: dict[str, list[str]] = {}
        for kec in geo.old.level_codes(KECAMATAN):
            self.kecamatan_of.setdefault(kec[:5], []).append(kec)

    def build(self) -> UnitBook:
        for position, party in enumerate(PARTIES):
            self._party_units(party, position)
        self._orphans()
        self._number_officers()
        return self.book

    # -- units ---------------------------------------------------------------------------------
    def _unit(self, party_id: int, level: str, level_raw: str, region: str | None, region_raw: str | None,
              purpose: str = "regular", deleted: bool = False, staff: str = "default") -> Unit:
        unit = self.book.add(Unit(self.book.next_id, party_id, level, level_raw, region, region_raw,
                                  deleted, purpose))
        unit.office = self._office(level)
        size = {"pusat": (12, 20), "provinsi": (5, 9), "kabkota": (4, 7)}.get(level, (3, 5))
        self._staff(unit, staff, self.rng.between(*size))
        return unit

    def _party_units(self, party: Party, position: int) -> None:
        rng, old = self.rng, self.geo.old
        board = MAPPED.index(party) if party.mapped else WOMEN_PLANS.index("random")
        self._pusat(party, WOMEN_PLANS[board % len(WOMEN_PLANS)])
        provinces = old.level_codes(PROVINSI)
        missing = set(rng.sample(provinces, min(len(provinces), 1 + position % 3)))
        for province in provinces:
            if province in missing:
                self._missing_province(party, province)
            else:
                raw = province if rng.random() < 0.9 else f" {province} "
                self._unit(party.legacy_id, "provinsi", rng.pick(sp.LEVEL_PROVINSI), province, raw)
        homes = set(self.geo.domiciles.kabkota)
        for index, province in enumerate(provinces):
            kabs = self.kabkota_of.get(province, [])
            if kabs:
                self._kabkota_units(party, kabs, homes, COVERAGE_PLANS[(index + position) % 4])
        for index, kab in enumerate(k for k in old.level_codes(KABKOTA) if k in homes):
            kecs = self.kecamatan_of.get(kab, [])
            if kecs:
                self._kecamatan_units(party, kecs, COVERAGE_PLANS[(index + position + 1) % 4])
        self._special_units(party, sorted(homes))
        self._staff_plants(party)

    def _pusat(self, party: Party, plan: str) -> None:
        rng = self.rng
        if plan == "no_pusat":  # its only pusat unit is deleted: no active pusat board
            self._unit(party.legacy_id, "pusat", rng.pick(sp.LEVEL_PUSAT), None, None, deleted=True)
            return
        unit = self._unit(party.legacy_id, "pusat", rng.pick(sp.LEVEL_PUSAT), None, None, staff="none")
        if plan == "random":
            unit.office = ("sewa", "2023-12-31")  # an expired lease of the central office
            self._staff(unit, "default", rng.between(12, 20))
            return
        women, total = {"29_of_100": (29, 100), "6_of_20": (6, 20), "3_of_10_unknown": (3, 10)}[plan]
        roles = list(sp.ROLES_PUSAT) + [rng.pick(sp.ROLES_OTHER) for _ in range(total - 3)]
        females = set(rng.sample(range(total), women))
        for position, role in enumerate(roles):
            self._officer(unit, role, position in females)
        if plan == "3_of_10_unknown":
            men = [o for o in unit.staff if not o.female]
            men[-1].gender_known = False  # counts in the total, not as a woman
            for _ in range(2):
                self._officer(unit, rng.pick(sp.ROLES_OTHER), True).deleted = True

    def _missing_province(self, party: Party, province: str) -> None:
        rng = self.rng
        variant = rng.pick(("none", "deleted", "bad_code", "unknown_level"))
        if variant == "deleted":
            self._unit(party.legacy_id, "provinsi", rng.pick(sp.LEVEL_PROVINSI), province, province,
                       deleted=True)
        elif variant == "bad_code":  # a kab/kota-shaped code: no province
            self._unit(party.legacy_id, "provinsi", rng.pick(sp.LEVEL_PROVINSI), None, f"{province}.00",
                       "decoy")
        elif variant == "unknown_level":
            self._unit(party.legacy_id, "unknown", "DPW", province, province, "decoy")

    def _chosen(self, codes: list[str], must: set[str], plan: str, numerator: int, denominator: int,
                chance: float) -> list[str]:
        rng = self.rng
        kept = [c for c in codes if c in must]
        others = [c for c in codes if c not in must]
        if plan == "random":
            return kept + [c for c in others if rng.random() < chance]
        target = {"full": len(codes), "exact": required(len(codes), numerator, denominator),
                  "under": required(len(codes), numerator, denominator) - 1}[plan]
        extra = min(max(target - len(kept), 0), len(others))
        return kept + rng.sample(others, extra)

    def _kabkota_units(self, party: Party, kabs: list[str], homes: set[str], plan: str) -> None:
        rng = self.rng
        chosen = set(self._chosen(kabs, homes, plan, 3, 4, 0.85))
        for kab in kabs:
            if kab in chosen:
                raw = kab if rng.random() < 0.9 else f" {kab} "
                self._unit(party.legacy_id, "kabkota", self._kabkota_spelling(kab), kab, raw,
                           "home" if kab in homes else "regular")
        self._decoys(party, "kabkota", [k for k in kabs if k not in chosen], sorted(chosen - homes), plan)

    def _kecamatan_units(self, party: Party, kecs: list[str], plan: str) -> None:
        rng = self.rng
        chosen = set(self._chosen(kecs, set(), plan, 1, 2, 0.55))
        for kec in kecs:
            if kec in chosen:
                raw = kec if rng.random() < 0.85 else rng.pick((kec.replace(".", ""), f" {kec}"))
                self._unit(party.legacy_id, "kecamatan", rng.pick(sp.LEVEL_KECAMATAN), kec, raw)
        self._decoys(party, "kecamatan", [k for k in kecs if k not in chosen], sorted(chosen), plan)

    def _decoys(self, party: Party, level: str, uncovered: list[str], covered: list[str], plan: str) -> None:
        """A short plan gets a unit that must not count; an exact one a duplicate that adds nothing."""
        rng = self.rng
        spellings = sp.LEVEL_KABKOTA if level == "kabkota" else sp.LEVEL_KECAMATAN
        if plan == "under" and uncovered:
            code = rng.pick(uncovered)
            variant = rng.pick(("deleted", "unknown_level", "bad_code"))
            if variant == "deleted":
                self._unit(party.legacy_id, level, rng.pick(spellings), code, code, "decoy", deleted=True)
            elif variant == "unknown_level":
                self._unit(party.legacy_id, "unknown", rng.pick(LEVEL_DECOY), code, code, "decoy")
            else:  # kab/kota undotted (4 digits stay as typed), kecamatan with a kelurahan-shaped code
                raw = code.replace(".", "") if level == "kabkota" else f"{code}.9999"
                self._unit(party.legacy_id, level, rng.pick(spellings), None, raw, "decoy")
        if plan == "exact" and covered:
            code = rng.pick(covered)
            self._unit(party.legacy_id, level, rng.pick(spellings), code, code, "decoy")

    def _kabkota_spelling(self, kab: str) -> str:
        name = self.geo.kabkota_name(kab).upper()
        if self.rng.random() < 0.2:
            return self.rng.pick(sp.LEVEL_KOTA if name.startswith("KOTA") else sp.LEVEL_KABUPATEN)
        return self.rng.pick(sp.LEVEL_KABKOTA)

    def _special_units(self, party: Party, homes: list[str]) -> None:
        rng = self.rng
        for kab in rng.sample(homes, min(3, len(homes))):
            self._unit(party.legacy_id, "kabkota", rng.pick(sp.LEVEL_KABKOTA), kab, kab, "deleted", deleted=True)
        kecamatan = [c for c in self.geo.domiciles.kept if len(c) == 8]
        broken = [None, "", "99.99", f"{homes[0]}.99" if homes else "00.00",
                  rng.pick(kecamatan) if kecamatan else "00.00.00"]
        for raw in rng.sample(broken, 3):
            self._unit(party.legacy_id, "kabkota", rng.pick(sp.LEVEL_KABKOTA), None, raw, "bad_region")
        for level_raw in rng.sample(sp.LEVEL_UNKNOWN, 2):
            kab = rng.pick(homes) if homes else None
            self._unit(party.legacy_id, "unknown", level_raw, kab, kab, "odd_level")

    def _orphans(self) -> None:
        """Units of partai ids m_partai does not hold, and officers of units that do not exist."""
        rng, provinces = self.rng, self.geo.old.level_codes(PROVINSI)
        for party_id in ORPHAN_PARTY_IDS[1:]:
            province = rng.pick(provinces)
            self._unit(party_id, "provinsi", rng.pick(sp.LEVEL_PROVINSI), province, province, "orphan")
        ghost = len(self.book.units) + 7000
        for offset in range(3):
            self.book.stray_officers.append(
                Officer(0, ghost + offset, rng.pick(sp.ROLES_REGIONAL), rng.random() < 0.3))

    # -- officers and offices --------------------------------------------------------------------
    def _officer(self, unit: Unit, role: str, female: bool) -> Officer:
        officer = Officer(0, unit.id, role, female)  # numbered once every plant is done
        unit.staff.append(officer)
        unit.officers = len(unit.staff)
        return officer

    def _staff(self, unit: Unit, plan: str, size: int) -> None:
        """Officers of a unit: the three roles first, then others; a few planted problems."""
        if plan == "none":
            return
        rng = self.rng
        roles = sp.ROLES_PUSAT if unit.level == "pusat" else sp.ROLES_REGIONAL
        share = 0.38 if unit.level == "pusat" else 0.3
        for position in range(size):
            role = roles[position] if position < len(roles) else rng.pick(sp.ROLES_OTHER)
            officer = self._officer(unit, role, rng.random() < share)
            officer.deleted = rng.random() < 0.02
            if rng.random() < 0.03:
                officer.nik_plant = rng.pick(NIK_PLANTS)
            if rng.random() < 0.03:
                officer.gender_known = False

    def _staff_plants(self, party: Party) -> None:
        """One unit of the party per officer plan (an active unit of a known level)."""
        rng = self.rng
        candidates = [u for u in self.book.units if u.party_id == party.legacy_id and not u.deleted
                      and u.level not in ("pusat", "unknown") and u.purpose != "decoy"]
        for plan, unit in zip(STAFF_PLANS, rng.sample(candidates, min(len(STAFF_PLANS), len(candidates)))):
            if plan == "only_wakil":
                unit.staff = [Officer(0, unit.id, "Wakil Ketua", rng.random() < 0.3)]
            elif plan == "no_officers":
                unit.staff = []
            elif plan == "no_bendahara":
                for officer in unit.staff:
                    if officer.role == "BENDAHARA":
                        officer.role_raw = "Wakil Bendahara"
            elif plan == "deleted_ketua":
                for officer in unit.staff:
                    officer.deleted = officer.deleted or officer.role == "KETUA"
            else:
                for officer, role in zip(unit.staff, rng.sample(ROLES_SPELLED, 3)):
                    officer.role_raw = role
            unit.officers = len(unit.staff)

    def _number_officers(self) -> None:
        """Officer ids in unit order, consecutive (plants replaced some), then the stray ones."""
        for number, officer in enumerate(self.book.all_officers(), start=1):
            officer.id = number

    def _office(self, level: str) -> tuple[str | None, str | None]:
        rng = self.rng
        draw = rng.random()
        if level == "pusat" or draw < 0.45:
            return rng.pick(sp.OFFICE_OWNED), None
        if draw < 0.6:
            return rng.pick(OFFICE_PLANTS)
        end = (date(2018, 6, 1) + timedelta(days=rng.between(0, 365 * 8))).isoformat()
        if draw < 0.87:
            return rng.pick(sp.OFFICE_LEASED), end
        return rng.pick(sp.OFFICE_LENT), None if rng.random() < 0.3 else end
