"""The plants: each changes a clean member row in one way and records the findings it implies.

A plant function takes the row and the factory, changes the row, appends the expected
`(code, detail)` pairs to `row.findings` and returns the variant it chose (for the summary).
The expected codes follow from what was planted, never from re-running a rule on the result.
The NIK plants live in nik_plants.py and register here too.
"""

from __future__ import annotations

from datetime import date, timedelta

from . import spellings as sp
from .members import ADULT_HIGH, MemberFactory, MemberRow
from .parties import PARTIES

PLANT_FUNCTIONS: dict = {}  # plant name → function(row, factory) -> variant


def plant(function):
    PLANT_FUNCTIONS[function.__name__] = function
    return function


def found(row: MemberRow, code: str, detail: str | None = None) -> None:
    row.findings.append((code, detail))


# -- domicile ----------------------------------------------------------------------------------

@plant
def region_undotted(row: MemberRow, f: MemberFactory) -> str:
    row.domicile_raw = row.domicile.replace(".", "")
    return "ten_digits" if len(row.domicile) == 13 else "six_digits"


@plant
def region_padded(row: MemberRow, f: MemberFactory) -> str:
    pads = ((" ", ""), ("", " "), ("  ", "  "), ("", "\u00a0"), ("\t", ""))
    left, right = f.ctx.rng.pick(pads)
    if len(row.domicile) + len(left + right) > 13:  # kode_wilayah is VARCHAR(13)
        f.set_domicile(row, f.ctx.rng.pick(f.kept_kecamatan))
    row.domicile_raw = left + row.domicile + right
    return "padded"


@plant
def region_unknown(row: MemberRow, f: MemberFactory) -> str:
    rng, pools = f.ctx.rng, f.ctx.geo.domiciles
    variants = {"blank": lambda: rng.pick((None, "", "   ")),
                "never_valid": lambda: rng.pick(pools.never_valid),
                "kabkota_level": lambda: rng.pick((row.kab, row.kab.replace(".", ""))),
                "province_level": lambda: row.domicile[:2],
                "garbage": lambda: rng.pick(("-", "0", "JAKARTA", "32.73.01.x"))}
    if pools.new_only_kecamatan:
        variants["only_in_2022"] = lambda: rng.pick(pools.new_only_kecamatan)
    variant = rng.pick(sorted(variants))
    row.domicile_raw = variants[variant]()
    found(row, "REGION_UNKNOWN")
    return variant


@plant
def region_recoded(row: MemberRow, f: MemberFactory) -> str:
    old, new = f.ctx.rng.pick(f.ctx.geo.domiciles.recoded)
    f.set_domicile(row, old)
    undotted = f.ctx.rng.random() < 0.2
    if undotted:
        row.domicile_raw = old.replace(".", "")
    found(row, "REGION_RECODED", f"from={old};to={new}")
    return "undotted" if undotted else ("kelurahan" if len(old) > 8 else "kecamatan")


@plant
def region_retired(row: MemberRow, f: MemberFactory) -> str:
    old = f.ctx.rng.pick(f.ctx.geo.domiciles.retired)
    f.set_domicile(row, old)
    found(row, "REGION_RETIRED", f"from={old}")
    return "kelurahan" if len(old) > 8 else "kecamatan"


@plant
def domicile_outside_unit(row: MemberRow, f: MemberFactory) -> str:
    rng, pools = f.ctx.rng, f.ctx.geo.domiciles
    variant = rng.pick(("kept", "kept", "recoded", "retired"))
    if variant == "recoded" and pools.recoded:
        region_recoded(row, f)
    elif variant == "retired" and pools.retired:
        region_retired(row, f)
    else:
        variant = "kept"
    others = [kab for kab in pools.kabkota if kab != row.kab and (row.party_id, kab) in f.ctx.units.home]
    if not others:
        return "impossible"
    row.unit_id = f.ctx.units.home[(row.party_id, rng.pick(others))]
    found(row, "DOMICILE_OUTSIDE_UNIT")
    return variant


# -- unit ------------------------------------------------------------------------------------

@plant
def unit_missing(row: MemberRow, f: MemberFactory) -> str:
    rng, units = f.ctx.rng, f.ctx.units
    variant = rng.pick(("null", "nonexistent", "deleted", "other_party", "wrong_level"))
    if variant == "null":
        row.unit_id = None
    elif variant == "nonexistent":
        row.unit_id = units.missing_unit_id(rng)
    elif variant == "deleted":
        row.unit_id = rng.pick(units.by_purpose[(row.party_id, "deleted")])
    elif variant == "other_party":
        others = [p.legacy_id for p in PARTIES if p.legacy_id != row.party_id
                  and (p.legacy_id, row.kab) in units.home]
        row.unit_id = units.home[(rng.pick(others), row.kab)]
    else:
        row.unit_id = rng.pick(units.wrong_level[row.party_id])
    found(row, "UNIT_MISSING")
    return variant


@plant
def unit_region_invalid(row: MemberRow, f: MemberFactory) -> str:
    row.unit_id = f.ctx.rng.pick(f.ctx.units.by_purpose[(row.party_id, "bad_region")])
    return "kabkota_unit_without_valid_region"


# -- birth date and marital status -------------------------------------------------------------

def _birth_in(row: MemberRow, f: MemberFactory, low: date, high: date) -> bool:
    birth = f.ctx.allocator.random_birth_date(row.index, f.ctx.rng, low, high)
    if birth is not None:
        row.birth = birth
    return birth is not None


def _pinned_birth(row: MemberRow, f: MemberFactory, family: str, birth: date) -> bool:
    serial = f.ctx.allocator.pinned_serial(family)
    if serial is not None:
        row.birth, row.nik_serial = birth, serial
    return serial is not None


@plant
def underage(row: MemberRow, f: MemberFactory) -> str:
    rng = f.ctx.rng
    variant = rng.pick(("teen", "teen", "child", "born_after_reference", "day_before_17", "born_on_reference"))
    if variant == "day_before_17" and not _pinned_birth(row, f, variant, date(2005, 8, 2)):
        variant = "teen"
    if variant == "born_on_reference" and not _pinned_birth(row, f, variant, date(2022, 8, 1)):
        variant = "teen"
    if variant == "child" and not _birth_in(row, f, date(2009, 1, 1), date(2022, 7, 31)):
        variant = "teen"
    if variant == "born_after_reference" and not _birth_in(row, f, date(2022, 8, 2), date(2025, 12, 31)):
        variant = "teen"
    if variant == "teen":
        _birth_in(row, f, date(2005, 8, 2), date(2008, 12, 31))
    row.marital_raw = rng.pick(sp.MARITAL_NEVER if rng.random() < 0.7 else sp.MARITAL_UNKNOWN)
    found(row, "UNDERAGE")
    return variant


@plant
def married_minor(row: MemberRow, f: MemberFactory) -> str:
    _birth_in(row, f, date(2005, 8, 2), date(2008, 12, 31))
    row.marital_raw = f.ctx.rng.pick(sp.MARITAL_EVER)
    return "ever_married_under_17"


@plant
def age_exactly_17(row: MemberRow, f: MemberFactory) -> str:
    return "born_2005_08_01" if _pinned_birth(row, f, "age_exactly_17", date(2005, 8, 1)) else "unavailable"


@plant
def leap_day_2000(row: MemberRow, f: MemberFactory) -> str:
    return "born_2000_02_29" if _pinned_birth(row, f, "leap_day_2000", date(2000, 2, 29)) else "unavailable"


@plant
def birthdate_missing(row: MemberRow, f: MemberFactory) -> str:
    rng, year = f.ctx.rng, row.birth.year
    variants = {"null": None, "zero_date": "0000-00-00", "zero_month": f"{year}-00-{row.birth.day:02d}",
                "zero_day": f"{year}-{row.birth.month:02d}-00", "placeholder_1900": "1900-01-01",
                "excel_day_zero": "1899-12-30", "before_1900": "1887-06-15"}
    variant = rng.pick(sorted(variants))
    row.birth_raw = variants[variant]
    found(row, "BIRTHDATE_MISSING")
    return variant


@plant
def birthdate_nik_mismatch(row: MemberRow, f: MemberFactory) -> str:
    rng, birth = f.ctx.rng, row.birth
    variant = rng.pick(("shifted", "day_month_swapped", "other_year"))
    if variant == "day_month_swapped" and birth.day <= 12 and birth.day != birth.month:
        other = birth.replace(day=birth.month, month=birth.day)
    elif variant == "other_year":
        other = birth.replace(year=birth.year - rng.between(1, 5), day=min(birth.day, 28))
    else:
        variant, other = "shifted", birth + timedelta(days=rng.pick((-1, 1)) * rng.between(1, 200))
    if other > ADULT_HIGH:
        other = birth - (other - birth)
    row.birth_raw = other.isoformat()
    found(row, "BIRTHDATE_NIK_MISMATCH")
    return variant


# -- gender ------------------------------------------------------------------------------------

@plant
def gender_nik_mismatch(row: MemberRow, f: MemberFactory) -> str:
    row.nik_female = not row.female
    found(row, "GENDER_NIK_MISMATCH")
    return "woman_with_man_nik" if row.female else "man_with_woman_nik"


@plant
def gender_unknown(row: MemberRow, f: MemberFactory) -> str:
    row.gender_raw = f.ctx.rng.pick(sp.GENDER_UNKNOWN)
    found(row, "GENDER_UNKNOWN")
    return "unknown_spelling"


# -- name, address, occupation, KTA, uploads ----------------------------------------------------

@plant
def name_missing(row: MemberRow, f: MemberFactory) -> str:
    row.name = f.ctx.rng.pick((None, "", "   ", "\u00a0", " \t "))
    found(row, "NAME_MISSING")
    return "null" if row.name is None else "blank"


@plant
def name_double_encoded(row: MemberRow, f: MemberFactory) -> str:
    _real, row.name = f.ctx.names.double_encoded_name(row.domicile[:2], row.female, f.ctx.rng)
    found(row, "NAME_ENCODING_REPAIRED")
    return "utf8_through_latin1"


@plant
def name_latin1(row: MemberRow, f: MemberFactory) -> str:
    row.name = f.ctx.names.latin1_name(row.domicile[:2], row.female, f.ctx.rng)
    return "correct_latin1"


@plant
def name_messy_spaces(row: MemberRow, f: MemberFactory) -> str:
    variant = f.ctx.rng.pick(("outer", "inner", "upper", "lower"))
    row.name = {"outer": f"  {row.name} ", "inner": row.name.replace(" ", "   "),
                "upper": row.name.upper(), "lower": row.name.lower()}[variant]
    return variant


@plant
def address_double_encoded(row: MemberRow, f: MemberFactory) -> str:
    row.address = f.ctx.names.double_encoded_address(f.ctx.rng)
    return "utf8_through_latin1"


@plant
def barred_occupation(row: MemberRow, f: MemberFactory) -> str:
    row.occupation = f.ctx.rng.pick(sp.OCCUPATIONS_BARRED)
    found(row, "BARRED_OCCUPATION")
    return "barred"


@plant
def occupation_lookalike(row: MemberRow, f: MemberFactory) -> str:
    row.occupation = f.ctx.rng.pick(sp.OCCUPATIONS_LOOKALIKE)
    return "not_barred"


@plant
def kta_missing(row: MemberRow, f: MemberFactory) -> str:
    row.kta = f.ctx.rng.pick(sp.KTA_MISSING)
    found(row, "KTA_MISSING")
    return "null" if row.kta is None else "placeholder"


@plant
def no_ktp_upload(row: MemberRow, f: MemberFactory) -> str:
    row.ktp_uploads = 0
    found(row, "DOC_KTP_MISSING")
    return "none"


@plant
def no_kta_upload(row: MemberRow, f: MemberFactory) -> str:
    row.kta_uploads = 0
    found(row, "DOC_KTA_MISSING")
    return "none"


@plant
def multiple_uploads(row: MemberRow, f: MemberFactory) -> str:
    rng = f.ctx.rng
    row.ktp_uploads, row.kta_uploads = rng.between(1, 3), rng.between(2, 3)
    if rng.random() < 0.5:
        row.ktp_uploads, row.kta_uploads = row.kta_uploads, row.ktp_uploads
    return "several"


from . import nik_plants  # noqa: E402,F401  (registers the NIK plants; imports this module's registry)
