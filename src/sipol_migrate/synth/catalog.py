"""What the generator can plant, how often, and which finding codes a plant implies.

A *plant* is one known problem (or one harmless oddity, a "negative") put on an otherwise clean
member row. Each plant claims the *groups* of fields it touches; plants on one row never share a
group, so their expected findings simply add up. Rates are fractions of member rows whose main
plant it is; a further `extra_problems` share of rows gets one or two more compatible plants.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

# Member finding codes and their own status (FINDINGS.md).
STATUS = {
    "NIK_MISSING": "BMS", "NIK_MALFORMED": "BMS", "NIK_INVALID_STRUCTURE": "BMS",
    "NIK_DUPLICATE_IN_PARTY": "MERGED", "NIK_DUPLICATE_ACROSS_PARTIES": "BMS",
    "NAME_MISSING": "BMS", "NAME_ENCODING_REPAIRED": "INFO",
    "BIRTHDATE_MISSING": "BMS", "BIRTHDATE_NIK_MISMATCH": "WARN",
    "GENDER_UNKNOWN": "BMS", "GENDER_NIK_MISMATCH": "WARN",
    "UNDERAGE": "TMS", "BARRED_OCCUPATION": "TMS", "KTA_MISSING": "BMS",
    "DOC_KTP_MISSING": "BMS", "DOC_KTA_MISSING": "BMS",
    "REGION_UNKNOWN": "BMS", "REGION_RECODED": "INFO", "REGION_RETIRED": "BMS",
    "UNIT_MISSING": "BMS", "DOMICILE_OUTSIDE_UNIT": "BMS",
    "SKIPPED_ORPHAN": "SKIPPED", "SKIPPED_PARTY_UNMAPPED": "SKIPPED", "SKIPPED_DELETED": "SKIPPED",
}
MEMBER_CODES = tuple(STATUS)
OUTCOME_ORDER = ("SKIPPED", "MERGED", "TMS", "BMS", "MS")


def outcome_of(codes: list[str]) -> str:
    """The outcome a row's findings decide: SKIPPED, MERGED, TMS, BMS, then MS."""
    statuses = {STATUS[code] for code in codes}
    for outcome in OUTCOME_ORDER[:-1]:
        if outcome in statuses:
            return outcome
    return "MS"


@dataclass(frozen=True, slots=True)
class Plant:
    name: str
    groups: frozenset[str]
    kind: str = "single"  # single | skip | cluster
    codes: tuple[str, ...] = ()  # the codes it plants (documentation and summary); () = negative


def _p(name: str, groups: str, *codes: str, kind: str = "single") -> Plant:
    return Plant(name, frozenset(groups.split()), kind, codes)


# In application order: domicile and unit first (they move the NIK's region), birth date before
# the NIK, the raw NIK format last.
PLANTS: tuple[Plant, ...] = (
    _p("region_undotted", "region"),
    _p("region_padded", "region"),
    _p("region_unknown", "region", "REGION_UNKNOWN"),
    _p("region_recoded", "region", "REGION_RECODED"),
    _p("region_retired", "region", "REGION_RETIRED"),
    _p("domicile_outside_unit", "unit region", "DOMICILE_OUTSIDE_UNIT"),
    _p("unit_missing", "unit", "UNIT_MISSING"),
    _p("unit_region_invalid", "unit"),
    _p("underage", "birthdate marital", "UNDERAGE"),
    _p("married_minor", "birthdate marital"),
    _p("age_exactly_17", "birthdate"),
    _p("leap_day_2000", "birthdate"),
    _p("birthdate_missing", "birthdate", "BIRTHDATE_MISSING"),
    _p("birthdate_nik_mismatch", "nik birthdate", "BIRTHDATE_NIK_MISMATCH"),
    _p("gender_nik_mismatch", "nik gender", "GENDER_NIK_MISMATCH"),
    _p("gender_unknown", "gender", "GENDER_UNKNOWN"),
    _p("nik_zero_serial", "nik birthdate", "NIK_INVALID_STRUCTURE"),
    _p("nik_bad_region", "nik", "NIK_INVALID_STRUCTURE"),
    _p("nik_bad_date", "nik", "NIK_INVALID_STRUCTURE"),
    _p("nik_region_new_only", "nik"),
    _p("nik_missing", "nik nik_format", "NIK_MISSING"),
    _p("nik_scientific", "nik nik_format", "NIK_MALFORMED"),
    _p("nik_15_digits", "nik nik_format", "NIK_MALFORMED"),
    _p("nik_17_digits", "nik nik_format", "NIK_MALFORMED"),
    _p("nik_letters", "nik nik_format", "NIK_MALFORMED"),
    _p("nik_spaces", "nik_format"),
    _p("nik_dots", "nik_format"),
    _p("nik_dashes", "nik_format"),
    _p("nik_apostrophe", "nik_format"),
    _p("name_missing", "name", "NAME_MISSING"),
    _p("name_double_encoded", "name", "NAME_ENCODING_REPAIRED"),
    _p("name_latin1", "name"),
    _p("name_messy_spaces", "name"),
    _p("address_double_encoded", "address"),
    _p("barred_occupation", "occupation", "BARRED_OCCUPATION"),
    _p("occupation_lookalike", "occupation"),
    _p("kta_missing", "kta", "KTA_MISSING"),
    _p("no_ktp_upload", "doc_ktp", "DOC_KTP_MISSING"),
    _p("no_kta_upload", "doc_kta", "DOC_KTA_MISSING"),
    _p("multiple_uploads", "doc_ktp doc_kta"),
    _p("deleted", "skip", "SKIPPED_DELETED", kind="skip"),
    _p("orphan_party", "skip", "SKIPPED_ORPHAN", kind="skip"),
    _p("unmapped_party", "skip", "SKIPPED_PARTY_UNMAPPED", kind="skip"),
    _p("dup_in_party", "cluster", "NIK_DUPLICATE_IN_PARTY", kind="cluster"),
    _p("dup_across_parties", "cluster", "NIK_DUPLICATE_ACROSS_PARTIES", kind="cluster"),
    _p("dup_invalid_nik", "cluster", "NIK_INVALID_STRUCTURE", kind="cluster"),
)
PLANT_BY_NAME = {plant.name: plant for plant in PLANTS}
PLANT_ORDER = {plant.name: position for position, plant in enumerate(PLANTS)}


@dataclass(frozen=True)
class PlantRates:
    """Share of member rows whose main plant each one is (the rest are clean rows)."""

    region_undotted: float = 0.02
    region_padded: float = 0.01
    region_unknown: float = 0.015
    region_recoded: float = 0.02
    region_retired: float = 0.008
    domicile_outside_unit: float = 0.012
    unit_missing: float = 0.02
    unit_region_invalid: float = 0.005
    underage: float = 0.01
    married_minor: float = 0.005
    age_exactly_17: float = 0.003
    leap_day_2000: float = 0.002
    birthdate_missing: float = 0.015
    birthdate_nik_mismatch: float = 0.012
    gender_nik_mismatch: float = 0.012
    gender_unknown: float = 0.012
    nik_zero_serial: float = 0.005
    nik_bad_region: float = 0.008
    nik_bad_date: float = 0.012
    nik_region_new_only: float = 0.004
    nik_missing: float = 0.01
    nik_scientific: float = 0.01
    nik_15_digits: float = 0.006
    nik_17_digits: float = 0.004
    nik_letters: float = 0.006
    nik_spaces: float = 0.02
    nik_dots: float = 0.012
    nik_dashes: float = 0.01
    nik_apostrophe: float = 0.015
    name_missing: float = 0.008
    name_double_encoded: float = 0.012
    name_latin1: float = 0.005
    name_messy_spaces: float = 0.01
    address_double_encoded: float = 0.005
    barred_occupation: float = 0.012
    occupation_lookalike: float = 0.01
    kta_missing: float = 0.015
    no_ktp_upload: float = 0.015
    no_kta_upload: float = 0.015
    multiple_uploads: float = 0.02
    deleted: float = 0.02
    orphan_party: float = 0.006
    unmapped_party: float = 0.025
    dup_in_party: float = 0.012
    dup_across_parties: float = 0.008
    dup_invalid_nik: float = 0.002
    # Not main plants:
    extra_problems: float = 0.06  # rows that get 1-2 further compatible plants
    orphan_uploads: float = 0.003  # per member row: an upload pointing at no member
    old_rows: float = 0.08  # rows whose updated_at is NULL or '0000-00-00 00:00:00'

    def main_rates(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in PLANT_BY_NAME}

    def validate(self) -> None:
        rates = self.main_rates()
        if any(rate < 0 for rate in rates.values()) or sum(rates.values()) > 0.95:
            raise ValueError("plant rates must be >= 0 and add up to at most 0.95")
        for extra in (self.extra_problems, self.orphan_uploads, self.old_rows):
            if not 0 <= extra <= 1:
                raise ValueError("extra_problems, orphan_uploads and old_rows are shares in [0, 1]")

    @classmethod
    def none(cls) -> PlantRates:
        """No planted problem at all: every row clean (for tests of the clean path)."""
        zero = {f.name: 0.0 for f in fields(cls)}
        return cls(**zero)
