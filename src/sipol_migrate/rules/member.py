"""Row rules of a member (FINDINGS.md, "Member findings"): pure, over a MemberRecord.

`member_findings` returns every row-level finding of a kept member row. It does not decide
SKIPPED (the pipeline does, before the rules) and leaves the set rules (DOC_*, NIK_DUPLICATE_*)
to SQL. Each finding names the legacy column concerned in `field`; `detail` is filled only
where FINDINGS.md fixes its format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..mappings import Codes, occupation_words
from ..model import ANGGOTA, EVER_MARRIED, FEMALE, KABKOTA, Finding, MemberRecord, UnitRecord
from ..normalize import MEMO_LIMIT
from ..regions import RegionBook
from . import BMS, INFO, TMS, WARN, check_nik, nik_is_valid, row_status

__all__ = [
    "MINIMUM_AGE",
    "MemberRuleContext",
    "age_on",
    "barred_remembered",
    "is_barred_occupation",
    "member_findings",
    "member_unit",
    "nik_is_valid",
    "row_status",
    "translated_region",
]

MINIMUM_AGE = 17


@dataclass(slots=True)
class MemberRuleContext:
    """What the member rules read besides the record itself."""

    regions: RegionBook
    units: dict[int, UnitRecord]  # every unit of the source, by t_kepengurusan.id
    reference_date: date
    codes: Codes
    _barred: dict[str, bool] = field(default_factory=dict, repr=False)

    def is_barred(self, occupation: str) -> bool:
        return barred_remembered(self._barred, occupation, self.codes)


def barred_remembered(memo: dict[str, bool], occupation: str, codes: Codes) -> bool:
    """is_barred_occupation, remembered in `memo` per distinct occupation (they repeat a lot)."""
    hit = memo.get(occupation)
    if hit is None:
        hit = is_barred_occupation(occupation, codes)
        if len(memo) < MEMO_LIMIT:
            memo[occupation] = hit
    return hit


def is_barred_occupation(occupation: str | None, codes: Codes) -> bool:
    """A barred word or phrase (as consecutive whole words) and no exemption word."""
    if not occupation:
        return False
    words = occupation_words(occupation)
    tables = codes.tables
    present = set(words)
    if present & tables.exempt_words:
        return False
    if present & tables.barred_words:
        return True
    padded = " " + " ".join(words) + " "
    return any(phrase in padded for phrase in tables.barred_phrases)


def age_on(birth: date, day: date) -> int:
    """Age in full years on `day` (negative when born after it)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def member_findings(rec: MemberRecord, ctx: MemberRuleContext) -> list[Finding]:
    """Every row-level finding of a member, in FINDINGS.md's order."""
    out: list[Finding] = []
    lid = rec.legacy_id
    problem, from_nik = check_nik(rec.nik, rec.nik_scientific, ctx.regions.has_kecamatan_digits)
    if problem:
        out.append(Finding(ANGGOTA, lid, problem, BMS, "nik"))
    if rec.name is None:
        out.append(Finding(ANGGOTA, lid, "NAME_MISSING", BMS, "nama"))
    if rec.name_repaired:
        out.append(Finding(ANGGOTA, lid, "NAME_ENCODING_REPAIRED", INFO, "nama"))
    _person_findings(rec, ctx, from_nik, out)
    if rec.occupation and ctx.is_barred(rec.occupation):
        out.append(Finding(ANGGOTA, lid, "BARRED_OCCUPATION", TMS, "pekerjaan"))
    if rec.kta_number is None:
        out.append(Finding(ANGGOTA, lid, "KTA_MISSING", BMS, "no_kta"))
    _region_findings(rec, ctx, out)
    return out


def _person_findings(rec: MemberRecord, ctx: MemberRuleContext, from_nik, out: list) -> None:
    """Birth date, gender and age; `from_nik` is (day, month, YY, woman) of a valid NIK."""
    lid, birth = rec.legacy_id, rec.birth_date
    if birth is None:
        out.append(Finding(ANGGOTA, lid, "BIRTHDATE_MISSING", BMS, "tgl_lahir"))
    elif from_nik is not None and (birth.day, birth.month, birth.year % 100) != from_nik[:3]:
        out.append(Finding(ANGGOTA, lid, "BIRTHDATE_NIK_MISMATCH", WARN, "tgl_lahir"))
    if rec.gender is None:
        out.append(Finding(ANGGOTA, lid, "GENDER_UNKNOWN", BMS, "jenis_kelamin"))
    elif from_nik is not None and (rec.gender == FEMALE) != from_nik[3]:
        out.append(Finding(ANGGOTA, lid, "GENDER_NIK_MISMATCH", WARN, "jenis_kelamin"))
    if (
        birth is not None
        and rec.marital != EVER_MARRIED
        and age_on(birth, ctx.reference_date) < MINIMUM_AGE
    ):
        out.append(Finding(ANGGOTA, lid, "UNDERAGE", TMS, "tgl_lahir"))


def _region_findings(rec: MemberRecord, ctx: MemberRuleContext, out: list) -> None:
    """REGION_*, UNIT_MISSING and DOMICILE_OUTSIDE_UNIT."""
    lid, code, regions = rec.legacy_id, rec.region_2017, ctx.regions
    valid, new = regions.domicile(code)
    if not valid:
        out.append(Finding(ANGGOTA, lid, "REGION_UNKNOWN", BMS, "kode_wilayah"))
    elif new is None:
        out.append(Finding(ANGGOTA, lid, "REGION_RETIRED", BMS, "kode_wilayah", f"from={code}"))
    elif new != code:
        detail = f"from={code};to={new}"
        out.append(Finding(ANGGOTA, lid, "REGION_RECODED", INFO, "kode_wilayah", detail))
    unit = member_unit(rec, ctx)
    if unit is None:
        out.append(Finding(ANGGOTA, lid, "UNIT_MISSING", BMS, "kepengurusan_id"))
    elif (
        valid
        and regions.is_unit_region_valid(KABKOTA, unit.region_2017)
        and code[:5] != unit.region_2017[:5]  # type: ignore[index]
    ):
        out.append(Finding(ANGGOTA, lid, "DOMICILE_OUTSIDE_UNIT", BMS, "kode_wilayah"))


def member_unit(rec: MemberRecord, ctx: MemberRuleContext) -> UnitRecord | None:
    """The member's unit when it counts, None for UNIT_MISSING.

    UNIT_MISSING: no kepengurusan_id, no such unit, the unit is skipped (deleted; orphan and
    unmapped-party units are of another party than a migrated member's), of another party, or
    not a kab/kota unit.
    """
    unit = ctx.units.get(rec.unit_legacy_id) if rec.unit_legacy_id is not None else None
    if unit is None or unit.is_deleted or unit.partai_id != rec.partai_id or unit.level != KABKOTA:
        return None
    return unit


def translated_region(rec: MemberRecord, ctx: MemberRuleContext) -> str | None:
    """The region code a member is migrated under.

    A valid domicile goes under its 2022 translation. A retired or unknown one keeps its
    normalised legacy code, so the party sees what it had and a later reconcile re-checks it
    the same way (the REGION_RETIRED / REGION_UNKNOWN finding says it must be corrected).
    """
    valid, new = ctx.regions.domicile(rec.region_2017)
    return new if valid and new else rec.region_2017
