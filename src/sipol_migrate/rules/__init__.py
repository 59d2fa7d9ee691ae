"""Row rules: pure functions over normalised records returning findings (FINDINGS.md).

This package holds what members and officers share: the finding catalogue of the row rules
(code → status), the NIK checks ("rules as for members") and how findings make a row's status.
Set rules (duplicates, documents, coverage, minimums) run in SQL elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Finding

BMS, TMS, WARN, INFO = "BMS", "TMS", "WARN", "INFO"

NIK_MISSING = "NIK_MISSING"
NIK_MALFORMED = "NIK_MALFORMED"
NIK_INVALID_STRUCTURE = "NIK_INVALID_STRUCTURE"
NIK_CODES = frozenset({NIK_MISSING, NIK_MALFORMED, NIK_INVALID_STRUCTURE})

# Status of every row-level finding code (member, unit and officer rules of this package).
STATUS_OF = {
    NIK_MISSING: BMS,
    NIK_MALFORMED: BMS,
    NIK_INVALID_STRUCTURE: BMS,
    "NAME_MISSING": BMS,
    "NAME_ENCODING_REPAIRED": INFO,
    "BIRTHDATE_MISSING": BMS,
    "BIRTHDATE_NIK_MISMATCH": WARN,
    "GENDER_UNKNOWN": BMS,
    "GENDER_NIK_MISMATCH": WARN,
    "UNDERAGE": TMS,
    "BARRED_OCCUPATION": TMS,
    "KTA_MISSING": BMS,
    "REGION_UNKNOWN": BMS,
    "REGION_RECODED": INFO,
    "REGION_RETIRED": BMS,
    "UNIT_MISSING": BMS,
    "DOMICILE_OUTSIDE_UNIT": BMS,
    "UNIT_LEVEL_UNKNOWN": BMS,
    "UNIT_REGION_INVALID": BMS,
    "OFFICE_LEASE_EXPIRED": BMS,
    "MGMT_OFFICER_MISSING": BMS,
    "OFFICER_NIK_INVALID": BMS,
    "OFFICER_GENDER_UNKNOWN": BMS,
}

_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


_BIRTH_MEMO: dict[str, tuple[int, int, int, bool] | None] = {}
_BIRTH_MEMO_LIMIT = 150_000  # real NIKs hold ~75k distinct DDMMYY


def nik_birth(digits: str) -> tuple[int, int, int, bool] | None:
    """NIK digits 7-12 (`DDMMYY`) as (day, month, YY, woman), None when no calendar date.

    Day 41-71 means a woman (subtract 40); day 00, 32-40 and above 71 are invalid. YY may be
    19YY or 20YY: a date is valid when it is valid in either century, which matters only for
    29 February (YY = 00 is valid through 2000).
    """
    try:
        return _BIRTH_MEMO[digits]
    except KeyError:
        found = _nik_birth(digits)
        if len(_BIRTH_MEMO) < _BIRTH_MEMO_LIMIT:
            _BIRTH_MEMO[digits] = found
        return found
    except TypeError:  # not a string
        return None


def _nik_birth(digits: str) -> tuple[int, int, int, bool] | None:
    if len(digits) != 6 or not (digits.isdigit() and digits.isascii()):
        return None
    day, month, yy = int(digits[:2]), int(digits[2:4]), int(digits[4:])
    woman = 41 <= day <= 71
    if woman:
        day -= 40
    if not (1 <= day <= 31 and 1 <= month <= 12) or day > _MONTH_DAYS[month]:
        return None
    if month == 2 and day == 29 and yy % 4 != 0:
        return None
    return day, month, yy, woman


def check_nik(nik: str | None, scientific: bool, has_kecamatan) -> tuple[str | None, tuple | None]:
    """(the NIK finding code or None when valid, (day, month, YY, woman) of a valid NIK).

    `has_kecamatan(digits6)` tells whether digits 1-6 are a kecamatan of the 2017 or the 2022
    reference (RegionBook.has_kecamatan_digits).
    """
    if nik is None:
        return NIK_MISSING, None
    if scientific or len(nik) != 16 or not (nik.isdigit() and nik.isascii()):
        return NIK_MALFORMED, None
    birth = nik_birth(nik[6:12])
    if birth is None or nik[12:] == "0000" or not has_kecamatan(nik[:6]):
        return NIK_INVALID_STRUCTURE, None
    return None, birth


def nik_problem(nik: str | None, scientific: bool, has_kecamatan) -> str | None:
    """The NIK finding code of a normalised NIK, None when the NIK is valid (see check_nik)."""
    return check_nik(nik, scientific, has_kecamatan)[0]


def nik_is_valid(findings: Iterable[Finding]) -> bool:
    """A NIK is valid when its row has none of NIK_MISSING, NIK_MALFORMED, NIK_INVALID_STRUCTURE."""
    return not any(f.code in NIK_CODES for f in findings)


def row_status(findings: Iterable[Finding]) -> str:
    """'TMS' when any finding is TMS, else 'BMS' when any is BMS, else 'MS'."""
    statuses = {f.status for f in findings}
    if TMS in statuses:
        return TMS
    return BMS if BMS in statuses else "MS"
