"""Plain records shared by every layer: what a member, a unit, an officer and a finding are.

They carry normalised values only; the raw legacy strings stay in the extract layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# Entities of a finding, as FINDINGS.md names them.
ANGGOTA = "anggota"
PENGURUS = "pengurus"
KEPENGURUSAN = "kepengurusan"
PARTAI = "partai"

# Outcomes of a legacy member row, in precedence order (first wins).
OUTCOMES = ("SKIPPED", "MERGED", "TMS", "BMS", "MS")
MIGRATED_OUTCOMES = ("MS", "BMS")
FINDING_STATUSES = ("BMS", "TMS", "WARN", "INFO", "MERGED", "SKIPPED")

# Gender and marital status after normalisation.
MALE, FEMALE = "L", "P"
NEVER_MARRIED, EVER_MARRIED = "BELUM_KAWIN", "KAWIN"

# Unit levels after normalisation.
PUSAT, PROVINSI, KABKOTA, KECAMATAN = "pusat", "provinsi", "kabkota", "kecamatan"
UNIT_LEVELS = (PUSAT, PROVINSI, KABKOTA, KECAMATAN)


@dataclass(slots=True, frozen=True)
class Finding:
    entity: str
    legacy_id: int
    code: str
    status: str
    field: str | None = None
    detail: str | None = None


@dataclass(slots=True)
class MemberRecord:
    """A member row after normalisation (FINDINGS.md, 'Normalisation'), before the rules."""

    legacy_id: int
    partai_id: int
    unit_legacy_id: int | None
    nik: str | None  # separators and leading apostrophe removed; None when empty
    nik_scientific: bool  # the raw value was in scientific notation (digits lost)
    no_kk: str | None
    name: str | None  # repaired, trimmed, inner white space collapsed; None when blank
    name_repaired: bool  # the double-encoded UTF-8 repair changed the name
    birth_place: str | None
    birth_date: date | None  # None when missing (zero dates, placeholders)
    gender: str | None  # MALE / FEMALE / None (unknown)
    marital: str | None  # NEVER_MARRIED / EVER_MARRIED / None (unknown)
    occupation: str | None
    address: str | None
    region_2017: str | None  # normalised, dotted, as the legacy row had it
    kta_number: str | None  # None when missing
    is_deleted: bool
    created_by: str | None = None
    updated_at: datetime | None = None


@dataclass(slots=True)
class UnitRecord:
    """A management unit (t_kepengurusan) after normalisation."""

    legacy_id: int
    partai_id: int
    level: str | None  # one of UNIT_LEVELS, None when the spelling is unknown
    level_raw: str | None
    region_2017: str | None
    no_sk: str | None
    sk_date: date | None
    office_address: str | None
    office_status: str | None  # trimmed, lower-cased
    office_valid_until: date | None
    is_deleted: bool
    updated_at: datetime | None = None


@dataclass(slots=True)
class OfficerRecord:
    legacy_id: int
    unit_legacy_id: int
    role: str | None  # KETUA / SEKRETARIS / BENDAHARA / None (other roles)
    role_raw: str | None
    nik: str | None
    nik_scientific: bool
    name: str | None
    name_repaired: bool
    gender: str | None
    phone: str | None
    is_deleted: bool


@dataclass(slots=True)
class RunCounts:
    """Per-party ledger of one entity: read = sum of the outcome counts."""

    read: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
