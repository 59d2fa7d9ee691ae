"""Row rules (FINDINGS.md "Member findings", and the row-level unit and officer findings).

A tiny hand-made region book keeps every case explicit; the real lists are in test_regions.py.
Each finding code has at least one case where it applies and one where it must not.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from sipol_migrate.mappings import load_codes
from sipol_migrate.model import (
    EVER_MARRIED,
    FEMALE,
    MALE,
    NEVER_MARRIED,
    MemberRecord,
    OfficerRecord,
)
from sipol_migrate.normalize import map_unit
from sipol_migrate.regions import RegionBook
from sipol_migrate.rules import nik_birth
from sipol_migrate.rules.member import (
    MemberRuleContext,
    age_on,
    is_barred_occupation,
    member_findings,
    nik_is_valid,
    row_status,
    translated_region,
)
from sipol_migrate.rules.officer import (
    counts_for_coverage,
    missing_roles,
    officer_findings,
    officer_missing_finding,
    unit_counts,
    unit_findings,
)

CODES = load_codes(Path(__file__).resolve().parents[2] / "mappings" / "codes.yaml")


def region(code, name, level):
    return {"kode": code, "nama": name, "tingkat": level, "induk": None}


BOOK = RegionBook(
    [
        region("32", "JAWA BARAT", 1), region("32.01", "KAB. BOGOR", 2),
        region("32.01.01", "Cibinong", 3), region("32.01.01.2001", "Pakansari", 4),
        region("32.02", "KAB. SUKABUMI", 2), region("32.02.01", "Pelabuhanratu", 3),
        region("91", "PAPUA", 1), region("91.01", "KAB. MERAUKE", 2),
        region("91.01.01", "Merauke", 3), region("91.01.02", "Gone", 3),
    ],
    [
        region("32", "JAWA BARAT", 1), region("32.01", "KAB. BOGOR", 2),
        region("32.01.01", "Cibinong", 3), region("32.01.01.2001", "Pakansari", 4),
        region("32.02", "KAB. SUKABUMI", 2), region("32.02.01", "Pelabuhanratu", 3),
        region("93", "PAPUA SELATAN", 1), region("93.01", "KAB. MERAUKE", 2),
        region("93.01.01", "Merauke", 3), region("35.01.01", "Only In 2022", 3),
    ],
)  # fmt: skip


def unit(legacy_id, tingkat, code, partai_id=3, deleted=0, **extra):
    raw = {
        "id": legacy_id,
        "partai_id": partai_id,
        "tingkat": tingkat,
        "kode_wilayah": code,
        "is_deleted": deleted,
        **extra,
    }
    return map_unit(raw, CODES)


UNITS = {
    u.legacy_id: u
    for u in [
        unit(10, "kabkota", "32.01"),
        unit(11, "kabkota", "32.01", deleted=1),
        unit(12, "kabkota", "32.01", partai_id=4),
        unit(13, "provinsi", "32"),
        unit(14, "ranting", "32.01"),
        unit(15, "kabkota", "32.99"),
        unit(16, "KAB/KOTA", "91.01"),
        unit(17, "kabkota", "93.01"),
    ]
}
CTX = MemberRuleContext(regions=BOOK, units=UNITS, reference_date=date(2022, 8, 1), codes=CODES)

GOOD = MemberRecord(
    legacy_id=1, partai_id=3, unit_legacy_id=10, nik="3201014502850001", nik_scientific=False,
    no_kk=None, name="Siti", name_repaired=False, birth_place=None, birth_date=date(1985, 2, 5),
    gender=FEMALE, marital=EVER_MARRIED, occupation="WIRASWASTA", address=None,
    region_2017="32.01.01.2001", kta_number="KTA-1", is_deleted=False,
)  # fmt: skip


def codes_of(**changes) -> list[str]:
    return [f.code for f in member_findings(replace(GOOD, **changes), CTX)]


def finding(code, **changes):
    found = [f for f in member_findings(replace(GOOD, **changes), CTX) if f.code == code]
    assert len(found) == 1, found
    return found[0]


def test_a_good_member_has_no_finding():
    assert member_findings(GOOD, CTX) == []
    assert row_status([]) == "MS" and nik_is_valid([])
    assert translated_region(GOOD, CTX) == "32.01.01.2001"


# --- NIK --------------------------------------------------------------------------------------


def test_nik_missing_and_nothing_else_about_the_nik():
    assert codes_of(nik=None) == ["NIK_MISSING"]
    f = finding("NIK_MISSING", nik=None)
    assert (f.entity, f.legacy_id, f.status, f.field, f.detail) == (
        "anggota",
        1,
        "BMS",
        "nik",
        None,
    )


@pytest.mark.parametrize(
    "nik, scientific",
    [
        ("320101450285001", False),
        ("32010145028500011", False),
        ("32010A4502850001", False),
        ("３２０１０１４５０２８５０００１", False),
        ("320101E+15", True),
        ("3201014502850001", True),
        ("'3201014502850001", False),
    ],
)
def test_nik_malformed(nik, scientific):
    assert codes_of(nik=nik, nik_scientific=scientific) == ["NIK_MALFORMED"]


@pytest.mark.parametrize(
    "nik",
    [
        "9999994502850001",  # digits 1-6: a kecamatan in neither year
        "3201010002850001",  # day 00
        "3201013202850001",  # day 32
        "3201014002850001",  # day 40
        "3201017202850001",  # day 72
        "3201010113850001",  # month 13
        "3201010100850001",  # month 00
        "3201013002850001",  # 30 February
        "3201012902010001",  # 29 February 1901 / 2001
        "3201013104850001",  # 31 April
        "3201017104850001",  # 31 April, a woman
        "3201014502850000",  # serial 0000
    ],
)
def test_nik_invalid_structure(nik):
    assert codes_of(nik=nik) == ["NIK_INVALID_STRUCTURE"]


@pytest.mark.parametrize(
    "nik",
    [
        "9101014502850001",  # kecamatan only in the 2017 reference
        "3501014502850001",  # kecamatan only in the 2022 reference
        "3201017101850001",  # day 71: a woman born on 31 January
        "3201016902000001",  # 29 February 2000 (women: 69)
        "3201012902000001",  # 29 February 2000: valid in 20YY though not in 1900
    ],
)
def test_nik_valid_structure(nik):
    assert "NIK_INVALID_STRUCTURE" not in codes_of(nik=nik)


def test_nik_birth_parts():
    assert nik_birth("450285") == (5, 2, 85, True)
    assert nik_birth("050285") == (5, 2, 85, False)
    assert (
        nik_birth("000285") is None and nik_birth("12345") is None and nik_birth("ab0285") is None
    )


# --- name, birth date, gender -----------------------------------------------------------------


def test_name_missing():
    assert codes_of(name=None) == ["NAME_MISSING"]
    assert finding("NAME_MISSING", name=None).field == "nama"


def test_name_encoding_repaired_is_info():
    f = finding("NAME_ENCODING_REPAIRED", name_repaired=True, name="Ma’ruf")
    assert (f.status, f.field) == ("INFO", "nama")
    assert row_status([f]) == "MS"
    assert "NAME_ENCODING_REPAIRED" not in codes_of(name="André")


def test_birthdate_missing():
    assert codes_of(birth_date=None) == ["BIRTHDATE_MISSING"]
    assert finding("BIRTHDATE_MISSING", birth_date=None).field == "tgl_lahir"


@pytest.mark.parametrize(
    "birth", [date(1985, 2, 6), date(1985, 3, 5), date(1986, 2, 5), date(1975, 2, 5)]
)
def test_birthdate_nik_mismatch(birth):
    f = finding("BIRTHDATE_NIK_MISMATCH", birth_date=birth)
    assert (f.status, f.field) == ("WARN", "tgl_lahir")


@pytest.mark.parametrize(
    "changes",
    [
        {"birth_date": date(1985, 2, 5)},  # NIK day 45 = 5 + 40 for a woman
        {"birth_date": date(1885, 2, 5)},  # only the two-digit year is compared
        {"birth_date": date(1986, 2, 5), "nik": "3201014502850000"},  # NIK not valid: no compare
        {"birth_date": None},
    ],
)
def test_no_birthdate_nik_mismatch(changes):
    assert "BIRTHDATE_NIK_MISMATCH" not in codes_of(**changes)


def test_gender_unknown():
    assert codes_of(gender=None) == ["GENDER_UNKNOWN"]
    assert finding("GENDER_UNKNOWN", gender=None).field == "jenis_kelamin"


def test_gender_nik_mismatch_either_way():
    assert finding("GENDER_NIK_MISMATCH", gender=MALE).status == "WARN"  # a man with day 45
    man = {"nik": "3201010502850001", "gender": FEMALE}  # a woman with day 05
    assert codes_of(**man) == ["GENDER_NIK_MISMATCH"]
    assert codes_of(nik="3201010502850001", gender=MALE) == []
    assert "GENDER_NIK_MISMATCH" not in codes_of(nik="3201010502850000", gender=MALE)  # invalid NIK
    assert codes_of(nik=None, gender=MALE) == ["NIK_MISSING"]


# --- UNDERAGE ---------------------------------------------------------------------------------


def young(birth: date, marital, gender=MALE) -> list[str]:
    nik = f"320101{birth:%d%m%y}0001"
    return codes_of(nik=nik, birth_date=birth, marital=marital, gender=gender)


@pytest.mark.parametrize(
    "birth, marital",
    [
        (date(2005, 8, 2), NEVER_MARRIED),  # turns 17 the day after the reference date
        (date(2010, 1, 1), None),  # unknown marital status: the age rule applies
        (date(2023, 1, 1), NEVER_MARRIED),  # born after the reference date
    ],
)
def test_underage(birth, marital):
    assert young(birth, marital) == ["UNDERAGE"]
    assert (
        row_status(member_findings(replace(GOOD, birth_date=birth, marital=marital), CTX)) == "TMS"
    )


@pytest.mark.parametrize(
    "birth, marital",
    [
        (date(2005, 8, 1), NEVER_MARRIED),  # 17 on the reference date
        (date(2006, 5, 1), EVER_MARRIED),  # married at 16: not underage
        (date(1990, 5, 1), None),
    ],
)
def test_not_underage(birth, marital):
    assert "UNDERAGE" not in young(birth, marital)


def test_no_underage_without_a_birth_date():
    assert "UNDERAGE" not in codes_of(birth_date=None, marital=None)


def test_age_on():
    assert age_on(date(2004, 2, 29), date(2021, 2, 28)) == 16
    assert age_on(date(2004, 2, 29), date(2021, 3, 1)) == 17
    assert age_on(date(2023, 1, 1), date(2022, 8, 1)) == -1


# --- BARRED_OCCUPATION ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "occupation",
    [
        "PNS",
        "pns/guru",
        "Anggota POLRI",
        "TNI-AD",
        "polisi",
        "ASN",
        "Pegawai  Negeri Sipil",
        "aparatur sipil negara",
        "Kepala Desa",
        "KADES",
        "Staf KPU",
        "bawaslu",
        "Panwaslu Kecamatan",
        "GURU (PNS)",
        "PNS_GURU",
    ],
)
def test_barred_occupation(occupation):
    f = finding("BARRED_OCCUPATION", occupation=occupation)
    assert (f.status, f.field) == ("TMS", "pekerjaan")


@pytest.mark.parametrize(
    "occupation",
    [
        "PENSIUNAN PNS",
        "Purn. TNI",
        "PURNAWIRAWAN POLRI",
        "mantan kepala desa",
        "Pensiunan/ASN",
        "KEPALA SEKOLAH",
        "DESA KEPALA",
        "KEPALA DESAKU",
        "POLRIWATI",
        "ASNAWI",
        "WIRASWASTA",
        "Pegawai Negeri",
        "TN I",
        None,
        "",
    ],
)
def test_not_barred_occupation(occupation):
    assert not is_barred_occupation(occupation, CODES)
    assert "BARRED_OCCUPATION" not in codes_of(occupation=occupation or None)


# --- KTA, regions, units ----------------------------------------------------------------------


def test_kta_missing():
    assert codes_of(kta_number=None) == ["KTA_MISSING"]
    assert finding("KTA_MISSING", kta_number=None).field == "no_kta"


@pytest.mark.parametrize(
    "code", [None, "32.01", "32", "99.99.99", "93.01.01", "320101", "32.01.01.9"]
)
def test_region_unknown(code):
    f = finding("REGION_UNKNOWN", region_2017=code)
    assert (f.status, f.field, f.detail) == ("BMS", "kode_wilayah", None)
    assert "DOMICILE_OUTSIDE_UNIT" not in codes_of(region_2017=code)
    assert translated_region(replace(GOOD, region_2017=code), CTX) == code


def test_region_recoded():
    rec = replace(GOOD, region_2017="91.01.01", unit_legacy_id=16)
    found = member_findings(rec, CTX)
    assert [(f.code, f.status, f.detail) for f in found] == [
        ("REGION_RECODED", "INFO", "from=91.01.01;to=93.01.01")
    ]
    assert translated_region(rec, CTX) == "93.01.01" and row_status(found) == "MS"


def test_region_retired():
    rec = replace(GOOD, region_2017="91.01.02", unit_legacy_id=16)
    found = member_findings(rec, CTX)
    assert [(f.code, f.status, f.detail) for f in found] == [
        ("REGION_RETIRED", "BMS", "from=91.01.02")
    ]
    assert translated_region(rec, CTX) == "91.01.02" and row_status(found) == "BMS"


@pytest.mark.parametrize("unit_id", [None, 0, 999, 11, 12, 13, 14])
def test_unit_missing(unit_id):
    f = finding("UNIT_MISSING", unit_legacy_id=unit_id)
    assert (f.status, f.field) == ("BMS", "kepengurusan_id")
    assert "DOMICILE_OUTSIDE_UNIT" not in codes_of(unit_legacy_id=unit_id, region_2017="32.02.01")


@pytest.mark.parametrize("unit_id", [10, 15, 16, 17])
def test_unit_present(unit_id):
    assert "UNIT_MISSING" not in codes_of(unit_legacy_id=unit_id)


def test_domicile_outside_unit():
    f = finding("DOMICILE_OUTSIDE_UNIT", region_2017="32.02.01")
    assert (f.status, f.field) == ("BMS", "kode_wilayah")


@pytest.mark.parametrize(
    "code, unit_id",
    [
        ("32.01.01", 10),  # same kab/kota
        ("32.01.01.2001", 10),
        ("32.02.01", 15),  # the unit's region is not valid: no comparison
        ("32.02.01", 17),  # a 2022 code is not valid on the 2017 basis
        ("91.01.01", 16),  # both on the 2017 basis, though the domicile is recoded
        ("99.99.99", 10),  # domicile not valid
    ],
)
def test_not_domicile_outside_unit(code, unit_id):
    assert "DOMICILE_OUTSIDE_UNIT" not in codes_of(region_2017=code, unit_legacy_id=unit_id)


def test_all_findings_are_listed_and_status_is_the_worst():
    rec = replace(
        GOOD,
        nik=None,
        name=None,
        kta_number=None,
        occupation="PNS",
        region_2017=None,
        unit_legacy_id=None,
    )
    found = member_findings(rec, CTX)
    assert [f.code for f in found] == [
        "NIK_MISSING",
        "NAME_MISSING",
        "BARRED_OCCUPATION",
        "KTA_MISSING",
        "REGION_UNKNOWN",
        "UNIT_MISSING",
    ]
    assert row_status(found) == "TMS" and not nik_is_valid(found)


# --- units and officers (rules/officer.py) ----------------------------------------------------

OFFICER = OfficerRecord(
    legacy_id=5, unit_legacy_id=10, role="KETUA", role_raw="Ketua", nik="3201014502850001",
    nik_scientific=False, name="Siti", name_repaired=False, gender=FEMALE, phone=None,
    is_deleted=False,
)  # fmt: skip


@pytest.mark.parametrize(
    "changes, codes",
    [
        ({}, []),
        ({"nik": None}, ["OFFICER_NIK_INVALID"]),
        ({"nik": "3201014502850000"}, ["OFFICER_NIK_INVALID"]),
        ({"nik": "3201014502850001", "nik_scientific": True}, ["OFFICER_NIK_INVALID"]),
        ({"gender": None}, ["OFFICER_GENDER_UNKNOWN"]),
        ({"gender": MALE}, []),  # no gender/NIK mismatch rule for officers
    ],
)
def test_officer_findings(changes, codes):
    found = officer_findings(replace(OFFICER, **changes), BOOK)
    assert [f.code for f in found] == codes
    assert all(f.entity == "pengurus" and f.status == "BMS" and f.legacy_id == 5 for f in found)


LEASE_UNTIL = date(2024, 2, 14)


@pytest.mark.parametrize(
    "tingkat, code, extra, codes",
    [
        ("kabkota", "32.01", {}, []),
        ("Ranting", "32.01", {"status_kantor": "sewa"}, ["UNIT_LEVEL_UNKNOWN"]),
        ("kabkota", "32.01.01", {}, ["UNIT_REGION_INVALID"]),
        ("kecamatan", "32.01", {}, ["UNIT_REGION_INVALID"]),
        ("provinsi", None, {}, ["UNIT_REGION_INVALID"]),
        ("pusat", None, {}, []),
        (
            "pusat",
            None,
            {"status_kantor": " Sewa ", "kantor_berlaku_sampai": None},
            ["OFFICE_LEASE_EXPIRED"],
        ),
        (
            "kabkota",
            "32.01",
            {"status_kantor": "pinjam pakai", "kantor_berlaku_sampai": "2024-02-13"},
            ["OFFICE_LEASE_EXPIRED"],
        ),
        (
            "kabkota",
            "32.01",
            {"status_kantor": "sewa", "kantor_berlaku_sampai": "0000-00-00"},
            ["OFFICE_LEASE_EXPIRED"],
        ),
        ("kabkota", "32.01", {"status_kantor": "sewa", "kantor_berlaku_sampai": "2024-02-14"}, []),
        ("kabkota", "32.01", {"status_kantor": "milik sendiri"}, []),
        ("kabkota", "32.01", {"status_kantor": "pinjam  pakai"}, []),  # not collapsed: other status
        ("kecamatan", "32.01.01", {"status_kantor": "sewa"}, []),  # no office rule for kecamatan
        (
            "kabkota",
            "32.01.01",
            {"status_kantor": "sewa"},
            ["UNIT_REGION_INVALID", "OFFICE_LEASE_EXPIRED"],
        ),
    ],
)
def test_unit_findings(tingkat, code, extra, codes):
    found = unit_findings(unit(8, tingkat, code, **extra), BOOK, LEASE_UNTIL, CODES)
    assert [f.code for f in found] == codes
    assert all(f.entity == "kepengurusan" and f.status == "BMS" for f in found)


def test_unit_region_invalid_detail():
    f = unit_findings(unit(8, "kabkota", "3201 01"), BOOK, LEASE_UNTIL, CODES)[0]
    assert (f.code, f.detail, f.field) == ("UNIT_REGION_INVALID", "code=3201 01", "kode_wilayah")
    f = unit_findings(unit(8, "kabkota", "320101"), BOOK, LEASE_UNTIL, CODES)[0]
    assert f.detail == "code=32.01.01"
    f = unit_findings(unit(8, "kabkota", None), BOOK, LEASE_UNTIL, CODES)[0]
    assert f.detail == "code="


def test_missing_roles_and_officer_missing_finding():
    assert missing_roles(["KETUA", None, "BENDAHARA"]) == ["SEKRETARIS"]
    f = officer_missing_finding(UNITS[10], ["SEKRETARIS", None])
    assert (f.code, f.detail, f.entity) == (
        "MGMT_OFFICER_MISSING",
        "missing=KETUA,BENDAHARA",
        "kepengurusan",
    )
    assert officer_missing_finding(UNITS[10], ["KETUA", "SEKRETARIS", "BENDAHARA"]) is None
    assert officer_missing_finding(UNITS[14], []) is None  # unknown level: no other unit finding


def test_coverage_helpers():
    assert counts_for_coverage(UNITS[10], BOOK) and counts_for_coverage(UNITS[13], BOOK)
    assert not counts_for_coverage(UNITS[15], BOOK) and not counts_for_coverage(UNITS[14], BOOK)
    assert not counts_for_coverage(unit(8, "pusat", None), BOOK)
    assert unit_counts(UNITS.values(), BOOK) == {"kabkota": {"32.01", "91.01"}, "provinsi": {"32"}}
