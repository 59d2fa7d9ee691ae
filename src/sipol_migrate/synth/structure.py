"""The truth of units, officers and parties (entities kepengurusan, pengurus, partai).

Computed from what `units.py` built and planted and from the members the stream wrote (their
outcomes and domiciles are known by construction), over the generator's own records and its own
reading of the 2017 list, never by running the pipeline's rules. One line per t_kepengurusan
row, per t_pengurus row and per m_partai row, in the format of the member lines
(docs/ARCHITECTURE.md "Truth files"): `outcome` null, `findings` [code, status, detail].

`plant_populations` sets jumlah_penduduk of a few home kab/kota once the members are known:
exactly 1,000 × a party's MS members there (the minimum met exactly), one more (one short), a
missing population (1,000 required) and 1,000,001 inhabitants (1,001 required).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date

from .dice import Dice
from .geography import KABKOTA, KECAMATAN, PROVINSI, Geography
from .parties import BY_ID, MAPPED, PARTIES
from .units import LEVEL_TINGKAT, Officer, Unit, UnitBook, required

REQUIRED_UNTIL = date(2024, 2, 14)  # FINDINGS.md default office-required-until
OFFICE_LEVELS = ("pusat", "provinsi", "kabkota")
LEASES = ("sewa", "pinjam pakai")
ROLES = ("KETUA", "SEKRETARIS", "BENDAHARA")
DATE_FLOOR = date(1900, 1, 1)


def lease_end(raw: str | None) -> date | None:
    """kantor_berlaku_sampai as a date; None when missing (NULL, zero parts, on or before 1900)."""
    try:
        year, month, day = (int(part) for part in (raw or "").strip().split("-"))
        end = date(year, month, day)
    except ValueError:
        return None
    return end if end > DATE_FLOOR else None


def lease_expired(unit: Unit) -> bool:
    status, until = unit.office
    if unit.level not in OFFICE_LEVELS or (status or "").strip().lower() not in LEASES:  # no inner collapse
        return False
    end = lease_end(until)
    return end is None or end < REQUIRED_UNTIL


def party_code(party_id: int | None) -> str | None:
    party = BY_ID.get(party_id) if party_id is not None else None
    return party.code if party is not None and party.mapped else None


def skip_code(party_id: int | None, deleted: bool) -> str | None:
    if party_id not in BY_ID:
        return "SKIPPED_ORPHAN"
    if not BY_ID[party_id].mapped:
        return "SKIPPED_PARTY_UNMAPPED"
    return "SKIPPED_DELETED" if deleted else None


def plant_populations(populations: dict[str, int | None], homes: list[str], domiciled: Counter,
                      rng: Dice) -> dict[str, int | None]:
    """Populations with the membership-minimum boundaries planted on home kab/kota."""
    result = dict(populations)
    chosen = rng.sample(homes, min(4, len(homes)))
    for plan, kab in zip(("exact", "under", "missing", "million"), chosen):
        ms = max(domiciled.get((p.code, kab, "MS"), 0) for p in MAPPED)
        result[kab] = {"exact": 1000 * ms, "under": 1000 * ms + 1, "missing": None, "million": 1_000_001}[plan]
    return result


class StructureTruth:
    def __init__(self, book: UnitBook, geo: Geography, populations: dict[str, int | None], domiciled: Counter):
        self.book, self.geo, self.populations, self.domiciled = book, geo, populations, domiciled
        self.units = {unit.id: unit for unit in book.units}
        self.counting = [u for u in book.units if self.active(u) and u.level in LEVEL_TINGKAT and self.valid(u)]
        self.region_count: Counter = Counter()
        for region in geo.old.regions:
            if region.level in (KABKOTA, KECAMATAN):
                self.region_count[(region.level, region.code[:2 if region.level == KABKOTA else 5])] += 1
        self.tally: Counter = Counter()

    # -- facts --------------------------------------------------------------------------------------
    def active(self, unit: Unit) -> bool:
        return skip_code(unit.party_id, unit.deleted) is None

    def valid(self, unit: Unit) -> bool:
        if unit.level == "pusat":
            return True
        region = self.geo.old.by_code.get(unit.code or "")
        return unit.level in LEVEL_TINGKAT and region is not None and region.level == LEVEL_TINGKAT[unit.level]

    def covered(self, party_id: int, level: str, prefix: str) -> int:
        return len({u.code for u in self.counting
                    if u.party_id == party_id and u.level == level and u.code.startswith(prefix)})

    @staticmethod
    def active_staff(unit: Unit) -> list[Officer]:
        return [o for o in unit.staff if not o.deleted]

    # -- findings -----------------------------------------------------------------------------------
    def unit_findings(self, unit: Unit) -> list[tuple]:
        skip = skip_code(unit.party_id, unit.deleted)
        if skip:
            return [(skip, "SKIPPED", None)]
        if unit.level == "unknown":
            return [("UNIT_LEVEL_UNKNOWN", "BMS", None)]
        found = []
        valid = self.valid(unit)
        if not valid:
            found.append(("UNIT_REGION_INVALID", "BMS", f"code={unit.code or ''}"))
        if lease_expired(unit):
            found.append(("OFFICE_LEASE_EXPIRED", "BMS", None))
        held = {o.role for o in self.active_staff(unit)}
        lacking = [role for role in ROLES if role not in held]
        if lacking:
            found.append(("MGMT_OFFICER_MISSING", "BMS", "missing=" + ",".join(lacking)))
        if unit.level == "kabkota" and valid:
            found += self.kabkota_findings(unit)
        return found

    def kabkota_findings(self, unit: Unit) -> list[tuple]:
        found, code = [], party_code(unit.party_id)
        kecamatan = self.region_count[(KECAMATAN, unit.code)]
        units, needed = self.covered(unit.party_id, "kecamatan", unit.code + "."), required(kecamatan, 1, 2)
        if units < needed:
            found.append(("MGMT_KECAMATAN_COVERAGE", "BMS", f"units={units};kecamatan={kecamatan};required={needed}"))
        ms = self.domiciled.get((code, unit.code, "MS"), 0)
        bms = self.domiciled.get((code, unit.code, "BMS"), 0)
        population = self.populations.get(unit.code)
        needed = 1000 if population is None else required(population, 1, 1000)
        if ms < needed:
            found.append(("MEMBERSHIP_BELOW_MINIMUM", "BMS", f"ms={ms};bms={bms};required={needed}"))
        return found

    def officer_findings(self, officer: Officer) -> tuple[str | None, list[tuple]]:
        unit = self.units.get(officer.unit_id)
        if unit is None or unit.party_id not in BY_ID:
            return None, [("SKIPPED_ORPHAN", "SKIPPED", None)]
        code = party_code(unit.party_id)
        skip = skip_code(unit.party_id, unit.deleted or officer.deleted)
        if skip:
            return code, [(skip, "SKIPPED", None)]
        found = []
        if officer.nik_plant != "valid":
            found.append(("OFFICER_NIK_INVALID", "BMS", None))
        if not officer.gender_known:
            found.append(("OFFICER_GENDER_UNKNOWN", "BMS", None))
        return code, found

    def party_findings(self, party_id: int) -> list[tuple]:
        found = []
        for province in self.geo.old.level_codes(PROVINSI):
            if not self.covered(party_id, "provinsi", province):
                found.append(("MGMT_PROVINCE_MISSING", "BMS", f"province={province}"))
            kabkota = self.region_count[(KABKOTA, province)]
            units, needed = self.covered(party_id, "kabkota", province + "."), required(kabkota, 3, 4)
            if units < needed:
                found.append(("MGMT_KABKOTA_COVERAGE", "BMS",
                              f"province={province};units={units};kabkota={kabkota};required={needed}"))
        board = [o for u in self.book.units if u.party_id == party_id and u.level == "pusat" and self.active(u)
                 for o in self.active_staff(u)]
        women = sum(o.female and o.gender_known for o in board)
        if not board or women * 10 < len(board) * 3:
            found.append(("MGMT_WOMEN_SHARE", "BMS", f"women={women};officers={len(board)}"))
        return found

    # -- lines --------------------------------------------------------------------------------------
    def _line(self, entity: str, legacy_id: int, party: str | None, findings: list[tuple]) -> str:
        self.tally.update(code for code, _s, _d in findings)
        ordered = sorted(findings, key=lambda f: (f[0], f[2] or ""))
        return json.dumps({"entity": entity, "legacy_id": legacy_id, "party": party, "outcome": None,
                           "findings": [list(f) for f in ordered]})

    def lines(self) -> Iterator[str]:
        for unit in self.book.units:
            yield self._line("kepengurusan", unit.id, party_code(unit.party_id), self.unit_findings(unit))
        for officer in self.book.all_officers():
            code, found = self.officer_findings(officer)
            yield self._line("pengurus", officer.id, code, found)
        for party in PARTIES:
            found = self.party_findings(party.legacy_id) if party.mapped else []
            yield self._line("partai", party.legacy_id, party_code(party.legacy_id), found)
