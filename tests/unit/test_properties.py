"""Property tests (hypothesis): normalisation never raises, and normalising twice equals once."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sipol_migrate.mappings import load_codes
from sipol_migrate.normalize import (
    DATE_FLOOR,
    MEMBER_COLUMNS,
    as_text,
    clean_text,
    map_member,
    normalize_gender,
    normalize_kta,
    normalize_marital,
    normalize_name,
    normalize_nik,
    normalize_officer_role,
    normalize_region_code,
    normalize_unit_level,
    parse_date,
    parse_datetime,
    repair_text,
)
from sipol_migrate.regions import RegionBook
from sipol_migrate.rules import check_nik
from sipol_migrate.rules.member import MemberRuleContext, member_findings, row_status

CODES = load_codes(Path(__file__).resolve().parents[2] / "mappings" / "codes.yaml")

# Text as the legacy database returns it: anything, weighted towards the troublesome ranges.
LATINISH = st.characters(codec="utf-8", max_codepoint=0x2FFF)
TEXT = st.one_of(
    st.text(), st.text(alphabet=LATINISH), st.text(alphabet="0123456789 .-'eE+,\u00a0\t")
)
VALUE = st.one_of(
    st.none(), TEXT, st.integers(), st.floats(allow_nan=True), st.binary(), st.booleans()
)


def mojibake(text: str) -> str:
    """What MySQL returns for `text` written as UTF-8 through a latin1 connection."""
    undefined = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
    return "".join(
        chr(b) if b in undefined else bytes([b]).decode("cp1252") for b in text.encode("utf-8")
    )


# --- text -------------------------------------------------------------------------------------


@given(TEXT)
def test_repair_text_is_idempotent(text):
    once = repair_text(text)
    assert repair_text(once) == once


@given(TEXT)
def test_repair_text_undoes_mysql_double_encoding(text):
    assert repair_text(mojibake(text)) == repair_text(text)


@given(st.text(alphabet=st.characters(max_codepoint=0x7F)))
def test_ascii_text_is_never_changed(text):
    assert repair_text(text) == text


@given(VALUE)
def test_clean_text_never_raises_and_is_idempotent(value):
    once = clean_text(value)
    assert once is None or (once and once == once.strip())
    assert clean_text(once) == once


@given(VALUE)
@example("\u2003\u00c3\u00a9")  # an em space (no latin1 byte) before mojibake
def test_names_never_raise_and_are_idempotent(value):
    name, _ = normalize_name(value)
    assert name is None or (name and " ".join(name.split()) == name)
    assert normalize_name(name) == (name, False)


@given(st.binary())
def test_bytes_always_read_as_text(raw):
    assert isinstance(as_text(raw), str)


# --- NIK --------------------------------------------------------------------------------------

DIGITS16 = st.text(alphabet="0123456789", min_size=16, max_size=16)


@given(VALUE)
@example(b"\xa0\xe0\xa1\x80")  # mojibake behind a stray NBSP: repaired once the space is gone
@example("'\u00c3.\u00a9")  # a dot inside a UTF-8 sequence
def test_nik_never_raises_and_is_idempotent(value):
    nik, scientific = normalize_nik(value)
    assert isinstance(scientific, bool)
    if nik is None:
        return
    assert not any(ch.isspace() or ch in ".-" for ch in nik)
    if not nik.startswith("'"):  # FINDINGS.md removes one leading apostrophe, no more
        assert normalize_nik(nik)[0] == nik


@given(
    DIGITS16, st.lists(st.sampled_from([" ", ".", "-", "\u00a0", "\t"]), max_size=16), st.booleans()
)
def test_nik_separators_never_change_the_digits(digits, separators, apostrophe):
    text = "".join(d + (separators[i] if i < len(separators) else "") for i, d in enumerate(digits))
    text = ("'" if apostrophe else "") + text
    assert normalize_nik(text) == (digits, False)


BOOK = RegionBook(
    [{"kode": "32.01.01", "nama": "A", "tingkat": 3}, {"kode": "32.01", "nama": "K", "tingkat": 2}],
    [{"kode": "32.01.01", "nama": "A", "tingkat": 3}],
)


@given(DIGITS16 | TEXT, st.booleans())
def test_nik_check_never_raises(nik, scientific):
    problem, birth = check_nik(nik, scientific, BOOK.has_kecamatan_digits)
    assert (problem is None) == (birth is not None)


# --- dates ------------------------------------------------------------------------------------


@given(st.one_of(VALUE, st.dates(), st.datetimes()))
def test_dates_never_raise_and_are_idempotent(value):
    found = parse_date(value)
    assert found is None or found > DATE_FLOOR
    assert parse_date(found) == found
    assert parse_datetime(value) is None or isinstance(parse_datetime(value), datetime)


@given(st.dates(min_value=date(1900, 1, 2), max_value=date(9999, 12, 31)), st.booleans())
def test_iso_dates_read_back(day, with_time):
    text = day.isoformat() + (" 10:11:12" if with_time else "")
    assert parse_date(text) == day
    assert parse_datetime(day.isoformat() + " 10:11:12") == datetime(
        day.year, day.month, day.day, 10, 11, 12
    )


@given(st.dates(max_value=date(1900, 1, 1)))
def test_placeholder_dates_are_missing(day):
    assert parse_date(day.isoformat()) is None


# --- codes ------------------------------------------------------------------------------------


@given(VALUE)
def test_region_code_never_raises_and_is_idempotent(value):
    code = normalize_region_code(value)
    assert normalize_region_code(code) == code


@given(
    st.text(alphabet="0123456789", min_size=6, max_size=6)
    | st.text(alphabet="0123456789", min_size=10, max_size=10)
)
def test_undotted_region_codes_get_their_dots(digits):
    code = normalize_region_code(digits)
    assert code.replace(".", "") == digits and code.count(".") == (2 if len(digits) == 6 else 3)


@given(VALUE)
def test_coded_values_never_raise(value):
    assert normalize_gender(value, CODES) in (None, "L", "P")
    assert normalize_marital(value, CODES) in (None, "BELUM_KAWIN", "KAWIN")
    assert normalize_unit_level(value, CODES) in (None, "pusat", "provinsi", "kabkota", "kecamatan")
    assert normalize_officer_role(value, CODES) in (None, "KETUA", "SEKRETARIS", "BENDAHARA")
    kta = normalize_kta(value, CODES)
    assert kta is None or normalize_kta(kta, CODES) == kta


# --- whole rows -------------------------------------------------------------------------------

ROWS = st.fixed_dictionaries(
    {"id": st.integers(1, 10**9), "partai_id": st.integers(1, 50)},
    optional={column: VALUE for column in MEMBER_COLUMNS if column not in ("id", "partai_id")},
)
CTX = MemberRuleContext(regions=BOOK, units={}, reference_date=date(2022, 8, 1), codes=CODES)


@settings(max_examples=300)
@given(ROWS)
def test_any_row_maps_and_gets_findings(raw):
    rec = map_member(raw, CODES)
    found = member_findings(rec, CTX)
    assert row_status(found) in ("MS", "BMS", "TMS")
    assert "UNIT_MISSING" in {f.code for f in found}  # no units in this context
