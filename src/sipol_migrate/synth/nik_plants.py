"""The NIK plants: a NIK missing, malformed, of invalid structure, or typed in odd but clean ways.

Registered in plants.PLANT_FUNCTIONS like the others (plants.py imports this module).
"""

from __future__ import annotations

from datetime import date, timedelta

from .members import ADULT_HIGH, MemberFactory, MemberRow
from .nik import INVALID_DATE_PATTERNS
from .plants import found, plant


# -- NIK ---------------------------------------------------------------------------------------

@plant
def nik_zero_serial(row: MemberRow, f: MemberFactory) -> str:
    birth = f.ctx.allocator.zero_serial_birth(date(1940, 1, 1), ADULT_HIGH)
    if birth is None:
        return nik_bad_region(row, f)
    row.birth, row.nik_serial = birth, "0000"
    found(row, "NIK_INVALID_STRUCTURE")
    return "serial_0000"


@plant
def nik_bad_region(row: MemberRow, f: MemberFactory) -> str:
    rng = f.ctx.rng
    row.nik_region6 = rng.pick(f.ctx.geo.domiciles.bad_nik_regions)
    variant = "region_not_a_kecamatan"
    if "birthdate" not in row.groups and rng.random() < 0.3:
        row.birth_raw = (row.birth - timedelta(days=rng.between(1, 300))).isoformat()
        variant += "+birthdate_differs"  # no BIRTHDATE_NIK_MISMATCH: the NIK is not valid
    elif "gender" not in row.groups and rng.random() < 0.3:
        row.nik_female = not row.female
        variant += "+gender_differs"  # no GENDER_NIK_MISMATCH either
    found(row, "NIK_INVALID_STRUCTURE")
    return variant


@plant
def nik_bad_date(row: MemberRow, f: MemberFactory) -> str:
    family = f.ctx.rng.pick(sorted(INVALID_DATE_PATTERNS))
    parts = f.ctx.allocator.invalid_date(family)
    if parts is None:
        return nik_bad_region(row, f)
    row.nik_date6, row.nik_serial = parts
    found(row, "NIK_INVALID_STRUCTURE")
    return family


@plant
def nik_region_new_only(row: MemberRow, f: MemberFactory) -> str:
    pool = f.ctx.geo.domiciles.new_only_kecamatan
    if not pool:
        return "unavailable"
    row.nik_region6 = f.ctx.rng.pick(pool).replace(".", "")
    return "kecamatan_only_in_2022"


@plant
def nik_missing(row: MemberRow, f: MemberFactory) -> str:
    row.nik_raw = f.ctx.rng.pick((None, "", "   ", "-", "'", " - ", ".", "\u00a0"))
    found(row, "NIK_MISSING")
    return "null" if row.nik_raw is None else "blank_after_normalisation"


@plant
def nik_scientific(row: MemberRow, f: MemberFactory) -> str:
    d = row.nik_digits()
    forms = {"dot": f"{d[0]}.{d[1:6]}E+15", "comma": f"{d[0]},{d[1:6]}E+15",
             "short_dot": f"{d[0]}.{d[1:5]}E+15", "short_comma": f"{d[0]},{d[1:4]}E+15"}
    variant = f.ctx.rng.pick(sorted(forms))
    row.nik_raw = forms[variant]
    found(row, "NIK_MALFORMED")
    return variant


@plant
def nik_15_digits(row: MemberRow, f: MemberFactory) -> str:
    d = row.nik_digits()
    row.nik_raw = d[:15] if f.ctx.rng.random() < 0.5 else d[:8] + d[9:]
    found(row, "NIK_MALFORMED")
    return "15_digits"


@plant
def nik_17_digits(row: MemberRow, f: MemberFactory) -> str:
    d, rng = row.nik_digits(), f.ctx.rng
    row.nik_raw = d + str(rng.between(0, 9)) if rng.random() < 0.5 else d[:12] + "0" + d[12:]
    found(row, "NIK_MALFORMED")
    return "17_digits"


@plant
def nik_letters(row: MemberRow, f: MemberFactory) -> str:
    d, rng = row.nik_digits(), f.ctx.rng
    position = rng.between(0, 15)
    variant = rng.pick(("letter", "letter", "letter", "superscript_two"))
    mark = "\u00b2" if variant == "superscript_two" else rng.pick("OIlSBo")
    row.nik_raw = d[:position] + mark + d[position + 1:]
    found(row, "NIK_MALFORMED")
    return variant


@plant
def nik_spaces(row: MemberRow, f: MemberFactory) -> str:
    row.nik_style = f.ctx.rng.pick(("spaces", "spaces", "outer_spaces", "tab", "nbsp"))
    return row.nik_style


@plant
def nik_dots(row: MemberRow, f: MemberFactory) -> str:
    row.nik_style = "dots"
    return "dots"


@plant
def nik_dashes(row: MemberRow, f: MemberFactory) -> str:
    row.nik_style = "dashes"
    return "dashes"


@plant
def nik_apostrophe(row: MemberRow, f: MemberFactory) -> str:
    row.nik_style = f.ctx.rng.pick(("apostrophe", "apostrophe", "apostrophe_spaces"))
    return row.nik_style
