"""FINDINGS.md "Normalisation", rule by rule: a positive and a negative case for each."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from sipol_migrate.mappings import load_codes
from sipol_migrate.model import EVER_MARRIED, FEMALE, MALE, NEVER_MARRIED
from sipol_migrate.normalize import (
    as_flag,
    as_int,
    as_text,
    clean_text,
    map_member,
    map_officer,
    map_unit,
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
    trim,
)

CODES = load_codes(Path(__file__).resolve().parents[2] / "mappings" / "codes.yaml")


def mojibake(text: str) -> str:
    """What MySQL returns for `text` written as UTF-8 through a latin1 connection."""
    raw = text.encode("utf-8")
    undefined = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
    return "".join(chr(b) if b in undefined else bytes([b]).decode("cp1252") for b in raw)


# --- 1. text repair ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "broken, typed",
    [
        ("Maâ€™ruf", "Ma’ruf"),  # curly quote stays curly
        ("DÃ©sirÃ©e", "Désirée"),
        ("Ã\x81lvaro", "Álvaro"),  # 0x81: a byte cp1252 leaves undefined, MySQL gives U+0081
        ("â€œHaloâ€\x9d", "“Halo”"),  # 0x9D likewise
        ("Ã\x83Â©", "é"),  # encoded twice: repaired twice
        ("mâ\x80\x99a", "m’a"),  # C1 characters (a plain latin-1 decode) are accepted too
    ],
)
def test_repair_text_undoes_double_encoding(broken, typed):
    assert repair_text(broken) == typed


@pytest.mark.parametrize(
    "word", ["Ma’ruf", "Désirée", "Nguyễn Thị", "Ðorđe", "Ögé", "Jürgen–Müller"]
)
def test_repair_text_inverts_mysql(word):
    assert repair_text(mojibake(word)) == word


@pytest.mark.parametrize(
    "text",
    [
        "André",  # correct latin1: a lone é is no UTF-8
        "Ma’ruf",  # correct cp1252 curly quote
        "Ã  la",  # a real space after Ã: not what MySQL makes of 'à' (that is Ã + NBSP)
        "Budi Santoso",
        "李小龍",  # no latin1 character at all
        "",
    ],
)
def test_repair_text_leaves_real_text_alone(text):
    assert repair_text(text) == text


def test_as_text_of_bytes_and_numbers():
    assert as_text("Maâ€™ruf".encode("cp1252")) == "Ma’ruf"  # the stored bytes are UTF-8
    assert as_text(b"Andr\xe9") == "André"  # latin1 bytes
    assert as_text(b"\x81") == "\x81"
    assert as_text(12) == "12" and as_text(None) is None and as_text(True) == "1"


# --- 2. trim ----------------------------------------------------------------------------------


def test_trim_removes_all_white_space_at_both_ends():
    assert trim("\u00a0\t Budi \u2007\u202f\n") == "Budi"
    assert trim("  ") == "" and trim(None) == ""
    assert clean_text(" \u00a0 ") is None
    assert clean_text(" Jl.  Merdeka ") == "Jl.  Merdeka"  # inner space kept outside names


# --- 3. NIK -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "3201014502850001",
        "3201 0145 0285 0001",
        "32.01.01.450285.0001",
        "3201-0145-0285-0001",
        "'3201014502850001",
        " '3201014502850001\u00a0",
        "\t3201014502850001\n",
        3201014502850001,
    ],
)
def test_nik_separators_and_apostrophe_removed(raw):
    assert normalize_nik(raw) == ("3201014502850001", False)


@pytest.mark.parametrize(
    "raw", ["3.20101E+15", "3,20101E+15", "3.20101e+15", "'3.20101E+15", " 3,2E15 "]
)
def test_nik_scientific_notation_is_flagged(raw):
    assert normalize_nik(raw)[1] is True


@pytest.mark.parametrize("raw", ["3201014502850001", "320101450285000", "32010145028500E1X", "ABC"])
def test_nik_ordinary_values_are_not_scientific(raw):
    assert normalize_nik(raw)[1] is False


@pytest.mark.parametrize("raw", [None, "", "  ", "'", " - . ", "\u00a0"])
def test_nik_empty(raw):
    assert normalize_nik(raw)[0] is None


def test_nik_only_one_apostrophe_removed():
    assert normalize_nik("''3201014502850001")[0] == "'3201014502850001"


def test_nik_letters_and_short_values_kept_for_the_rules():
    assert normalize_nik("32010A4502850001")[0] == "32010A4502850001"
    assert normalize_nik("320101450285001")[0] == "320101450285001"


# --- 4, 5. gender and marital status ----------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["L", " l ", "Laki-laki", "LAKI LAKI", "laki2", "Pria", "1", 1, "m", "LK"]
)
def test_gender_male(raw):
    assert normalize_gender(raw, CODES) == MALE


@pytest.mark.parametrize("raw", ["P", "Perempuan", " wanita\u00a0", "2", "F", "W", "pr"])
def test_gender_female(raw):
    assert normalize_gender(raw, CODES) == FEMALE


@pytest.mark.parametrize(
    "raw", [None, "", "-", "X", "LAKI  LAKI", "LAKI_LAKI", "0", "3", "PEREMPUAN?"]
)
def test_gender_unknown(raw):
    assert normalize_gender(raw, CODES) is None


@pytest.mark.parametrize("raw", ["belum kawin", "BELUM  MENIKAH", "b", "BK", "Tidak Kawin"])
def test_marital_never(raw):
    assert normalize_marital(raw, CODES) == NEVER_MARRIED


@pytest.mark.parametrize(
    "raw", ["Kawin", "k", "SUDAH  MENIKAH", "cerai hidup", "CM", "Janda", "duda"]
)
def test_marital_ever(raw):
    assert normalize_marital(raw, CODES) == EVER_MARRIED


@pytest.mark.parametrize("raw", [None, "", "-", "KWN", "BELUMKAWIN", "MENIKAH?"])
def test_marital_unknown(raw):
    assert normalize_marital(raw, CODES) is None


# --- 6. region code ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, code",
    [
        ("320101", "32.01.01"),
        (" 3201012001 ", "32.01.01.2001"),
        ("32.01.01", "32.01.01"),
        ("32.01.01.2001", "32.01.01.2001"),
        (320101, "32.01.01"),
        ("3201", "3201"),  # other forms are left as typed (trimmed): the rules call them unknown
        ("32010", "32010"),
        ("32.0101", "32.0101"),
        ("", None),
        (None, None),
    ],
)
def test_region_code(raw, code):
    assert normalize_region_code(raw) == code


# --- 7. names ---------------------------------------------------------------------------------


def test_name_trimmed_and_collapsed_is_not_repaired():
    assert normalize_name("  Budi \t  Santoso\u00a0") == ("Budi Santoso", False)


def test_name_repaired_is_flagged():
    assert normalize_name(" Maâ€™ruf  Amin ") == ("Ma’ruf Amin", True)


def test_name_mojibake_behind_a_stray_space_is_repaired():
    assert normalize_name("DÃ©sirÃ©e\u00a0") == ("Désirée", True)


@pytest.mark.parametrize("raw", ["André", "Ma’ruf", "Ã la"])
def test_name_without_mojibake_is_not_repaired(raw):
    assert normalize_name(raw) == (raw, False)


@pytest.mark.parametrize("raw", [None, "", "   ", "\u00a0"])
def test_name_blank(raw):
    assert normalize_name(raw) == (None, False)


# --- 8. dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1985-02-03", date(1985, 2, 3)),
        ("1985-02-03 10:11:12", date(1985, 2, 3)),
        (date(1985, 2, 3), date(1985, 2, 3)),
        (datetime(1985, 2, 3, 4, 5), date(1985, 2, 3)),
        ("1900-01-02", date(1900, 1, 2)),
        ("2000-02-29", date(2000, 2, 29)),
    ],
)
def test_date_known(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "0000-00-00",
        "1985-00-12",
        "1985-02-00",
        "1900-01-01",
        "1899-12-30",
        "1800-05-05",
        date(1900, 1, 1),
        "1985-02-30",
        "1900-02-29",
        "1985-13-01",
        "abc",
        "85-02-03x",
        "1985/02/03",
    ],
)
def test_date_missing(raw):
    assert parse_date(raw) is None


def test_datetime():
    assert parse_datetime("2018-03-01 10:00:00") == datetime(2018, 3, 1, 10)
    assert parse_datetime(" 2018-03-01 10:00:00.5 ") == datetime(2018, 3, 1, 10, 0, 0, 500000)
    assert parse_datetime(date(2018, 3, 1)) == datetime(2018, 3, 1)
    for raw in (None, "", "0000-00-00 00:00:00", "2018-00-01 00:00:00", "2018-03-01 25:00:00", "x"):
        assert parse_datetime(raw) is None


# --- 9. KTA -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", [None, "", "  ", "-", "0", "000", "0-0.0", " 0 0 ", "---", "\u00a0.\u00a0"]
)
def test_kta_missing(raw):
    assert normalize_kta(raw, CODES) is None


@pytest.mark.parametrize(
    "raw, kta", [(" KTA-0001 ", "KTA-0001"), ("10", "10"), ("0.1", "0.1"), ("A", "A")]
)
def test_kta_present(raw, kta):
    assert normalize_kta(raw, CODES) == kta


# --- levels and roles -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, level",
    [
        ("pusat", "pusat"),
        ("Provinsi", "provinsi"),
        ("PROPINSI", "provinsi"),
        ("KAB/KOTA", "kabkota"),
        (" kabupaten / kota ", "kabkota"),
        ("Kab.-Kota", "kabkota"),
        ("kota", "kabkota"),
        ("kabupaten", "kabkota"),
        ("Kecamatan ", "kecamatan"),
        ("kelurahan", None),
        ("kab", None),
        ("", None),
        (None, None),
        ("kab_kota", None),
    ],
)
def test_unit_level(raw, level):
    assert normalize_unit_level(raw, CODES) == level


@pytest.mark.parametrize(
    "raw, role",
    [
        ("Ketua", "KETUA"),
        (" ketua  umum ", "KETUA"),
        ("Sekjen", "SEKRETARIS"),
        ("SEKRETARIS JENDERAL", "SEKRETARIS"),
        ("bendahara umum", "BENDAHARA"),
        ("Wakil Ketua", None),
        ("KETUA DPD", None),
        ("Bendahara-Umum", None),
        (None, None),
    ],
)
def test_officer_role(raw, role):
    assert normalize_officer_role(raw, CODES) == role


def test_small_helpers():
    assert as_int("12") == 12 and as_int(12) == 12 and as_int(None) is None and as_int("x") is None
    # Leading zeros do not count; a number longer than any BIGINT id is no id (Python would also
    # refuse to convert more than 4,300 digits).
    assert as_int("0" * 5000 + "7") == 7 and as_int(str(2**63 - 1)) == 2**63 - 1
    assert as_int(str(2**63)) is None and as_int("1" * 5000) is None
    assert as_flag(1) and as_flag("1") and not as_flag(0) and not as_flag(None) and not as_flag("x")


# --- records ----------------------------------------------------------------------------------


def test_map_member():
    raw = {
        "id": 7, "partai_id": 3, "kepengurusan_id": 11, "nik": "'3201 0145 0285 0001",
        "no_kk": "3201.0101.0101.0001", "nama": " Maâ€™ruf  Amin ", "tempat_lahir": " Bandung ",
        "tgl_lahir": "1985-02-05", "jenis_kelamin": "Perempuan", "status_kawin": "kawin",
        "pekerjaan": " Wiraswasta ", "alamat": "Jl. Merdeka", "kode_wilayah": "3201012001",
        "no_kta": "--", "is_deleted": 0, "created_by": "op1", "updated_at": "0000-00-00 00:00:00",
    }  # fmt: skip
    rec = map_member(raw, CODES)
    assert (rec.legacy_id, rec.partai_id, rec.unit_legacy_id) == (7, 3, 11)
    assert (rec.nik, rec.nik_scientific, rec.no_kk) == (
        "3201014502850001",
        False,
        "3201010101010001",
    )
    assert (rec.name, rec.name_repaired, rec.birth_place) == ("Ma’ruf Amin", True, "Bandung")
    assert (rec.birth_date, rec.gender, rec.marital) == (date(1985, 2, 5), FEMALE, EVER_MARRIED)
    assert (rec.occupation, rec.region_2017, rec.kta_number) == (
        "Wiraswasta",
        "32.01.01.2001",
        None,
    )
    assert (rec.is_deleted, rec.updated_at) == (False, None)


def test_map_member_of_an_empty_row_never_raises():
    rec = map_member({"id": 1, "partai_id": 2}, CODES)
    assert rec.nik is None and rec.name is None and rec.birth_date is None and rec.gender is None


def test_map_unit():
    raw = {
        "id": 5,
        "partai_id": 3,
        "tingkat": " KAB/KOTA ",
        "kode_wilayah": "3201",
        "status_kantor": " Sewa ",
        "kantor_berlaku_sampai": "0000-00-00",
        "is_deleted": "0",
    }
    unit = map_unit(raw, CODES)
    assert (unit.level, unit.level_raw, unit.region_2017) == ("kabkota", "KAB/KOTA", "3201")
    assert (unit.office_status, unit.office_valid_until, unit.is_deleted) == ("sewa", None, False)


def test_map_officer():
    raw = {
        "id": 9,
        "kepengurusan_id": 5,
        "jabatan": "Ketua Umum",
        "nik": "3.20101E+15",
        "nama": "Siti",
        "jenis_kelamin": "W",
        "no_hp": " 0812 ",
        "is_deleted": 1,
    }
    officer = map_officer(raw, CODES)
    assert (officer.role, officer.role_raw, officer.nik_scientific) == ("KETUA", "Ketua Umum", True)
    assert (officer.gender, officer.phone, officer.is_deleted) == (FEMALE, "0812", True)
