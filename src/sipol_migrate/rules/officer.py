"""Row rules of management units and officers (FINDINGS.md, "Management findings").

Pure helpers over `UnitRecord` and `OfficerRecord`. The caller passes only active rows (not
skipped: a deleted officer or one of a deleted unit is SKIPPED_DELETED before any rule). Party-
and coverage-level findings (MGMT_PROVINCE_MISSING, MGMT_*_COVERAGE, MGMT_WOMEN_SHARE,
MEMBERSHIP_BELOW_MINIMUM) are set rules; `missing_roles` and `unit_counts` serve them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ..mappings import OFFICER_ROLES, Codes
from ..model import (
    KABKOTA,
    KEPENGURUSAN,
    PENGURUS,
    PROVINSI,
    PUSAT,
    Finding,
    OfficerRecord,
    UnitRecord,
)
from ..regions import RegionBook
from . import BMS, nik_problem

OFFICE_LEVELS = (PUSAT, PROVINSI, KABKOTA)  # levels that must show an office


def officer_findings(rec: OfficerRecord, regions: RegionBook) -> list[Finding]:
    """OFFICER_NIK_INVALID (missing, malformed or invalid structure) and OFFICER_GENDER_UNKNOWN."""
    out: list[Finding] = []
    if nik_problem(rec.nik, rec.nik_scientific, regions.has_kecamatan_digits):
        out.append(Finding(PENGURUS, rec.legacy_id, "OFFICER_NIK_INVALID", BMS, "nik"))
    if rec.gender is None:
        out.append(Finding(PENGURUS, rec.legacy_id, "OFFICER_GENDER_UNKNOWN", BMS, "jenis_kelamin"))
    return out


def unit_region_valid(unit: UnitRecord, regions: RegionBook) -> bool:
    """The unit's code is a region of its level in the 2017 reference (pusat: no region, True)."""
    if unit.level == PUSAT:
        return True
    return regions.is_unit_region_valid(unit.level, unit.region_2017)


def counts_for_coverage(unit: UnitRecord, regions: RegionBook) -> bool:
    """A unit of a known level other than pusat with a valid region: it counts for coverage."""
    return unit.level not in (None, PUSAT) and unit_region_valid(unit, regions)


def office_lease_expired(unit: UnitRecord, required_until: date, codes: Codes) -> bool:
    """pusat/provinsi/kabkota, office rented or lent, and its end missing or before the date."""
    if unit.level not in OFFICE_LEVELS:
        return False
    if unit.office_status not in codes.tables.office_lease_statuses:
        return False
    return unit.office_valid_until is None or unit.office_valid_until < required_until


def unit_findings(
    unit: UnitRecord, regions: RegionBook, required_until: date, codes: Codes
) -> list[Finding]:
    """UNIT_LEVEL_UNKNOWN (then nothing else), UNIT_REGION_INVALID, OFFICE_LEASE_EXPIRED."""
    lid = unit.legacy_id
    if unit.level is None:
        return [Finding(KEPENGURUSAN, lid, "UNIT_LEVEL_UNKNOWN", BMS, "tingkat")]
    out: list[Finding] = []
    if not unit_region_valid(unit, regions):
        detail = f"code={unit.region_2017 or ''}"
        out.append(Finding(KEPENGURUSAN, lid, "UNIT_REGION_INVALID", BMS, "kode_wilayah", detail))
    if office_lease_expired(unit, required_until, codes):
        out.append(Finding(KEPENGURUSAN, lid, "OFFICE_LEASE_EXPIRED", BMS, "kantor_berlaku_sampai"))
    return out


def missing_roles(roles: Iterable[str | None]) -> list[str]:
    """Of KETUA, SEKRETARIS, BENDAHARA (in that order), those no active officer holds."""
    held = set(roles)
    return [role for role in OFFICER_ROLES if role not in held]


def officer_missing_finding(unit: UnitRecord, roles: Iterable[str | None]) -> Finding | None:
    """MGMT_OFFICER_MISSING of an active unit of a known level, from its active officers' roles."""
    if unit.level is None:
        return None
    lacking = missing_roles(roles)
    if not lacking:
        return None
    detail = "missing=" + ",".join(lacking)
    return Finding(KEPENGURUSAN, unit.legacy_id, "MGMT_OFFICER_MISSING", BMS, None, detail)


def unit_counts(units: Iterable[UnitRecord], regions: RegionBook) -> dict[str, set[str]]:
    """Distinct regions with an active unit, per level, of the units that count for coverage."""
    found: dict[str, set[str]] = {}
    for unit in units:
        if counts_for_coverage(unit, regions):
            found.setdefault(unit.level, set()).add(unit.region_2017)  # type: ignore[arg-type]
    return found
