"""RegionBook on the real Kemendagri lists (found through SIPOL_WILAYAH_DIR) and on tiny books."""

from __future__ import annotations

from pathlib import Path

import pytest

from sipol_migrate.errors import InputError
from sipol_migrate.model import KABKOTA, KECAMATAN, PROVINSI, PUSAT
from sipol_migrate.regions import RegionBook, load_region_csv


@pytest.fixture(scope="module")
def rows_2017(wilayah_dir: Path) -> list[dict]:
    return load_region_csv(wilayah_dir / "kemendagri_2017.csv")


@pytest.fixture(scope="module")
def book(wilayah_dir: Path, rows_2017) -> RegionBook:
    return RegionBook(rows_2017, load_region_csv(wilayah_dir / "kemendagri_2022.csv"))


# --- the real lists ---------------------------------------------------------------------------


def test_region_csv_rows(rows_2017):
    assert rows_2017[0] == {"kode": "11", "nama": "ACEH", "tingkat": 1, "induk": None}
    assert len(rows_2017) == 34 + 514 + 7201 + 83436


# The 20 Papua kab/kota that moved to the new provinces, by name (FINDINGS.md, LEGACY.md).
PAPUA_MOVED = {
    "91.01": "93.01", "91.16": "93.02", "91.17": "93.03", "91.18": "93.04",  # Papua Selatan
    "91.04": "94.01", "91.07": "94.02", "91.08": "94.03", "91.09": "94.04",  # Papua Tengah
    "91.25": "94.05", "91.26": "94.06", "91.27": "94.07", "91.28": "94.08",
    "91.02": "95.01", "91.12": "95.02", "91.13": "95.03", "91.14": "95.04",  # Papua Pegunungan
    "91.21": "95.05", "91.22": "95.06", "91.23": "95.07", "91.24": "95.08",
}  # fmt: skip


def test_papua_kabkota_recoded_by_name(book, rows_2017):
    assert {code: book.translate(code) for code in PAPUA_MOVED} == PAPUA_MOVED
    staying = [r["kode"] for r in rows_2017 if r["tingkat"] == 2 and r["kode"][:2] == "91"]
    staying = [code for code in staying if code not in PAPUA_MOVED]
    assert len(staying) == 9 and all(book.translate(code) == code for code in staying)


def test_kecamatan_and_kelurahan_follow_their_recoded_parent(book):
    assert book.translate("91.01.01") == "93.01.01"  # Merauke
    assert book.translate("91.01.01.1002") == "93.01.01.1002"  # Samkai


def test_retired_kecamatan_and_kelurahan(book):
    # Seredela (Yahukimo) is Seradala in 2022: a different name, so no unique same-name child.
    assert book.is_domicile_valid("91.13.44")
    assert book.translate("91.13.44") is None
    assert book.translate("91.13.44.2001") is None  # its parent is retired
    assert book.translate("91.01.02.2013") is None  # Efkab Makmur: no such village in 93.01.02


def test_renamed_places_keep_their_code(book):
    assert book.name_2017("11.01.04") == "Labuhan Haji"  # 'Labuhanhaji' in 2022
    assert book.translate("11.01.04") == "11.01.04"
    assert book.translate("91") == "91"  # 'P A P U A' → 'PAPUA'


def test_codes_present_in_2022_stay(book):
    for code in ("32.01", "32.01.01", "32.01.01.2001", "91.03"):
        assert book.translate(code) in (code, None)
    assert book.translate("32.01.01") == "32.01.01"


def test_unknown_codes_do_not_translate(book):
    for code in (None, "", "99.99.99", "3201", "32.01.01.9999x"):
        assert book.translate(code) is None


def test_domicile_validity_on_the_2017_basis(book):
    assert book.is_domicile_valid("32.01.01") and book.is_domicile_valid("11.01.01.2001")
    assert book.is_domicile_valid("91.01.01")  # 2017 code, recoded later: still a valid domicile
    assert not book.is_domicile_valid("93.01.01")  # 2022-only code: not in the 2017 reference
    assert not book.is_domicile_valid("32.01") and not book.is_domicile_valid("32")
    assert not book.is_domicile_valid(None) and not book.is_domicile_valid("320101")
    assert book.domicile("91.01.01") == (True, "93.01.01")
    assert book.domicile("99.99.99") == (False, None)


def test_kecamatan_in_either_year(book):
    assert book.kecamatan_exists_any("91.01.01")  # 2017 only
    assert book.kecamatan_exists_any("93.01.01")  # 2022 only
    assert book.kecamatan_exists_any("320101") and book.has_kecamatan_digits("320101")
    assert not book.kecamatan_exists_any("32.01.99") and not book.kecamatan_exists_any("32.01")


def test_unit_region_validity_by_level(book):
    assert book.is_unit_region_valid(PROVINSI, "32")
    assert book.is_unit_region_valid(KABKOTA, "32.01")
    assert book.is_unit_region_valid(KECAMATAN, "32.01.01")
    assert not book.is_unit_region_valid(KABKOTA, "32.01.01")
    assert not book.is_unit_region_valid(KABKOTA, "93.01")  # 2022-only
    assert not book.is_unit_region_valid(PUSAT, "32") and not book.is_unit_region_valid(None, "32")
    assert not book.is_unit_region_valid(KABKOTA, None)


def test_counts_of_the_2017_reference(book):
    assert len(book.provinces()) == 34 and book.provinces()[0] == "11"
    assert sum(book.kabkota_counts().values()) == 514 and book.kabkota_counts()["91"] == 29
    assert sum(book.kecamatan_counts().values()) == 7201
    assert book.population("32.01") is None  # the CSV lists carry no population


# --- tiny books: names, ambiguity, legacy rows ------------------------------------------------


def region(code, name, level, population=None):
    return {
        "kode": code,
        "nama": name,
        "tingkat": level,
        "induk": None,
        "jumlah_penduduk": population,
    }


def test_names_compare_case_insensitively_trimmed_collapsed():
    old = [
        region("10", "P", 1),
        region("10.01", "Kab.  Foo ", 2),
        region("10.01.01", "Bar  Baz", 3),
    ]
    new = [region("10", "P", 1), region("12.07", "KAB. FOO", 2), region("12.07.03", " bar baz", 3)]
    book = RegionBook(old, new)
    assert book.translate("10.01") == "12.07"
    assert book.translate("10.01.01") == "12.07.03"


def test_ambiguous_names_retire():
    old = [region("10.01", "KAB. FOO", 2), region("10.01.01", "Bar", 3)]
    new = [region("12.01", "KAB. FOO", 2), region("13.01", "Kab. Foo", 2)]
    assert RegionBook(old, new).translate("10.01") is None
    new = [region("10.02", "KAB. X", 2), region("10.02.01", "Bar", 3)]  # same name, other parent
    assert RegionBook(old, new).translate("10.01.01") is None
    new = [
        region("10.01", "KAB. FOO", 2),
        region("10.01.05", "Bar", 3),
        region("10.01.06", "BAR", 3),
    ]
    assert RegionBook(old, new).translate("10.01.01") is None


def test_legacy_rows_are_normalised_and_bad_ones_left_out():
    old = [
        region("320101", "Kec", "3"),
        region(" 32.01 ", "Kab", 2, 1_200_000),
        region("32.01.02", "Odd", 9),
        region(None, "Nothing", 3),
    ]
    book = RegionBook(old, [])
    assert book.level_2017("32.01.01") == 3 and book.population("32.01") == 1_200_000
    assert book.level_2017("32.01.02") is None and len(book) == 2
    assert book.populations() == {"32.01": 1_200_000}


# --- region file errors -----------------------------------------------------------------------


def write_csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "regions.csv"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    "text, words",
    [
        ("code,nama,tingkat,induk\n11,ACEH,1,\n", ["header"]),
        ("kode,nama,tingkat\n11,ACEH,1\n", ["header"]),
        ("kode,nama,tingkat,induk,x\n11,ACEH,1,,\n", ["header"]),
        ("", ["header"]),
        ("kode,nama,tingkat,induk\n", ["no regions"]),
        ("kode,nama,tingkat,induk\n11,ACEH,5,\n", ["line 2", "tingkat"]),
        ("kode,nama,tingkat,induk\n11,ACEH,x,\n", ["line 2", "tingkat"]),
        ("kode,nama,tingkat,induk\n11,ACEH,1,\n11,ACEH,1,\n", ["line 3", "repeated"]),
        ("kode,nama,tingkat,induk\n,ACEH,1,\n", ["blank kode"]),
        ("kode,nama,tingkat,induk\n11,ACEH,1\n", ["line 2", "4 fields"]),
    ],
)
def test_region_file_rejected(tmp_path, text, words):
    path = write_csv(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_region_csv(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    for word in words:
        assert word in message, message


def test_region_file_unreadable(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        load_region_csv(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="cannot read"):
        load_region_csv(write_csv(tmp_path, "kode,nama,tingkat,induk\n11,\xff\xfe,1,\n", "latin-1"))


def test_region_file_with_bom_and_quotes(tmp_path):
    path = write_csv(tmp_path, '\ufeffkode,nama,tingkat,induk\n11.01,"A, B",2,11\n')
    assert load_region_csv(path) == [{"kode": "11.01", "nama": "A, B", "tingkat": 2, "induk": "11"}]
