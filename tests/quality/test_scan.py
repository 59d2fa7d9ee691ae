"""The source health scan counts exactly the problems planted in a small legacy database
(MariaDB with latin1 tables like the real one, and SQLite), and never writes."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from sipol_migrate.legacy import (
    m_partai, t_anggota, t_kepengurusan, t_pengurus, t_upload_kta, t_upload_ktp,
)
from sipol_migrate.scan import scan_command, scan_source, write_scan_json

pytestmark = pytest.mark.integration

OK_TS = "2018-01-01 00:00:00"

PARTIES = [{"id": 1, "nama_partai": "Partai Satu", "singkatan": "SATU"},
           {"id": 2, "nama_partai": "Partai Dua", "singkatan": "DUA"}]
UNITS = [  # id, partai_id, tingkat, tgl_sk, kantor_berlaku_sampai, is_deleted, updated_at
    (10, 1, "kabkota", "2017-05-01", "0000-00-00", 0, None),
    (11, 1, "KAB/KOTA ", "2017-00-10", None, 0, OK_TS),
    (12, 2, "dpc", "1900-01-01", None, 2, "0000-00-00 00:00:00"),
    (13, 9, "pusat", None, None, 1, None),
]
OFFICERS = [  # id, kepengurusan_id, nik, nama, is_deleted
    (1, 10, "3201011234560001", "Ketua Satu", 0),
    (2, 10, "3201 0112 3456 0002", "Maâ€™ruf", 0),
    (3, 99, None, "  ", 0),
    (4, 12, "3.20101E+15", "Bendahara", 1),
]
MEMBERS = [  # id, partai_id, kepengurusan_id, nik, nama, tgl_lahir, is_deleted, updated_at
    (1, 1, 10, "3201011234560001", "Siti", "1985-07-05", 0, "2018-01-01 10:00:00"),
    (2, 1, 10, "3201011234560001", "Budi", "0000-00-00", 0, None),
    (3, 1, 11, "3201 0112 3456 0001", "DÃ©sirÃ©e", "1985-00-12", 0, "0000-00-00 00:00:00"),
    (4, 1, None, "3.20101E+15", "", "1900-01-01", 0, OK_TS),
    (5, 1, 99, "320101123456001", "Agus", "1899-12-30", 0, OK_TS),
    (6, 1, 12, "32O1011234560006", "Dewi", None, 1, OK_TS),
    (7, 1, 10, "'3201011234560007", "Rina", "1990-01-01", 5, OK_TS),
    (8, 2, 12, None, "Tono", "1990-01-01", 0, OK_TS),
    (9, 9, 13, "   ", "Eko", "1990-01-01", 0, OK_TS),
    (10, 1, 10, "32/01/01", "Fajar", "1990-01-01", 0, OK_TS),
    (11, 1, 10, "3201011234560007", "Gita", "1990-01-01", 0, OK_TS),
]
UPLOADS_KTP = [(1, 1, "ktp/1.jpg", OK_TS), (2, 1, "ktp/1b.jpg", "0000-00-00 00:00:00"), (3, 999, "", None)]
UPLOADS_KTA = [(1, 2, "kta/2.jpg", OK_TS)]


def plant(engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "mysql":
            conn.exec_driver_sql("SET SESSION sql_mode = ''")  # the legacy app wrote zero dates
        conn.execute(m_partai.insert(), PARTIES)
        conn.execute(t_kepengurusan.insert(), [dict(zip(
            ("id", "partai_id", "tingkat", "tgl_sk", "kantor_berlaku_sampai", "is_deleted", "updated_at"), u),
            kode_wilayah="32.01") for u in UNITS])
        conn.execute(t_pengurus.insert(), [dict(zip(
            ("id", "kepengurusan_id", "nik", "nama", "is_deleted"), o), jabatan="Ketua") for o in OFFICERS])
        conn.execute(t_anggota.insert(), [dict(zip(
            ("id", "partai_id", "kepengurusan_id", "nik", "nama", "tgl_lahir", "is_deleted", "updated_at"), m))
            for m in MEMBERS])
        for table, rows in ((t_upload_ktp, UPLOADS_KTP), (t_upload_kta, UPLOADS_KTA)):
            conn.execute(table.insert(), [dict(zip(("id", "anggota_id", "path", "uploaded_at"), u)) for u in rows])


EXPECTED_MEMBERS = {
    "rows": 11, "deleted": 1, "is_deleted_out_of_range": 1, "party_orphan": 1, "party_unmapped": 1,
    "unit_empty": 1, "unit_missing": 1, "unit_other_party": 1,
    "tgl_lahir_null": 1, "tgl_lahir_zero": 1, "tgl_lahir_partial": 1, "tgl_lahir_placeholder": 2,
    "tgl_lahir_malformed": 0, "updated_at_missing": 2, "nama_blank": 1, "nama_mojibake": 1,
    "nik_clean": 3, "nik_separators": 2, "nik_scientific": 1, "nik_wrong_length": 1, "nik_letters": 1,
    "nik_other": 1, "nik_empty": 2, "nik_duplicate_rows": 3, "nik_duplicate_groups": 1,
}
EXPECTED_UNITS = {
    "rows": 4, "deleted": 1, "is_deleted_out_of_range": 1, "party_orphan": 1, "party_unmapped": 1,
    "tingkat_unknown": 1, "tgl_sk_null": 1, "tgl_sk_zero": 0, "tgl_sk_partial": 1,
    "tgl_sk_placeholder": 1, "tgl_sk_malformed": 0, "kantor_berlaku_sampai_null": 3,
    "kantor_berlaku_sampai_zero": 1, "kantor_berlaku_sampai_partial": 0,
    "kantor_berlaku_sampai_placeholder": 0, "kantor_berlaku_sampai_malformed": 0, "updated_at_missing": 3,
}
EXPECTED_OFFICERS = {
    "rows": 4, "deleted": 1, "is_deleted_out_of_range": 0, "unit_missing": 1, "nama_blank": 1,
    "nama_mojibake": 1, "nik_clean": 1, "nik_separators": 1, "nik_scientific": 1, "nik_wrong_length": 0,
    "nik_letters": 0, "nik_other": 0, "nik_empty": 1,
}


def checksum(engine) -> list:
    with engine.connect() as conn:
        return [conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                for t in (m_partai, t_anggota, t_kepengurusan, t_pengurus, t_upload_ktp, t_upload_kta)]


def check(scan: dict) -> None:
    tables = scan["tables"]
    assert tables["t_anggota"]["total"] == EXPECTED_MEMBERS
    assert tables["t_kepengurusan"]["total"] == EXPECTED_UNITS
    assert tables["t_pengurus"]["total"] == EXPECTED_OFFICERS
    assert tables["t_upload_ktp"]["total"] == {"rows": 3, "member_missing": 1, "uploaded_at_missing": 2,
                                               "path_blank": 1}
    assert tables["t_upload_kta"]["total"] == {"rows": 1, "member_missing": 0, "uploaded_at_missing": 0,
                                               "path_blank": 0}
    by_party = tables["t_anggota"]["by_party"]
    assert set(by_party) == {"1", "2", "9"}
    assert by_party["1"]["rows"] == 9 and by_party["1"]["nik_duplicate_rows"] == 3
    assert by_party["1"]["party_orphan"] == 0 and by_party["1"]["party_unmapped"] == 0
    assert (by_party["2"]["party_unmapped"], by_party["9"]["party_orphan"]) == (1, 1)
    assert by_party["1"]["unit_other_party"] == 1 and by_party["1"]["tgl_lahir_partial"] == 1
    officers = tables["t_pengurus"]["by_party"]
    assert (officers["1"]["rows"], officers["2"]["rows"], officers["none"]["rows"]) == (2, 1, 1)
    assert officers["none"]["unit_missing"] == 1
    assert scan["parties"]["1"] == {"code": "SATU_P", "singkatan": "SATU", "in_m_partai": True}
    assert scan["parties"]["9"]["in_m_partai"] is False
    json.dumps(scan)  # plain JSON types only


def test_scan_counts_planted_problems_in_mariadb(q_maria):
    plant(q_maria)
    before = checksum(q_maria)
    scan = scan_source(q_maria, {1: "SATU_P"})
    check(scan)
    assert checksum(q_maria) == before
    assert scan["dialect"] == "mysql"


def test_scan_counts_planted_problems_in_sqlite(q_sqlite_legacy):
    plant(q_sqlite_legacy)
    check(scan_source(q_sqlite_legacy, {1: "SATU_P"}))


def test_without_a_party_map_no_party_is_unmapped(q_sqlite_legacy):
    plant(q_sqlite_legacy)
    total = scan_source(q_sqlite_legacy)["tables"]["t_anggota"]["total"]
    assert total["party_unmapped"] == 0 and total["party_orphan"] == 1


def test_scan_connections_are_read_only(q_maria):
    from sipol_migrate.scan import _read_only

    with _read_only(q_maria) as conn:
        with pytest.raises(sa.exc.DBAPIError):
            conn.execute(m_partai.insert().values(id=50, nama_partai="x"))
    assert checksum(q_maria)[0] == 0


def test_write_scan_json(tmp_path, q_sqlite_legacy):
    plant(q_sqlite_legacy)
    path = tmp_path / "_kpu" / "scan.json"
    write_scan_json(scan_source(q_sqlite_legacy), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["tables"]["t_anggota"]["total"]["nik_duplicate_groups"] == 1


def _app():
    import typer

    app = typer.Typer()
    app.command("scan")(scan_command)
    app.command("noop")(lambda: None)  # more than one command: `scan` stays a subcommand
    return app


def test_scan_command_prints_and_writes_json(tmp_path, q_sqlite_legacy):
    plant(q_sqlite_legacy)
    out = tmp_path / "scan.json"
    result = CliRunner().invoke(_app(), ["scan", "--source", str(q_sqlite_legacy.url), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "t_anggota: 11 rows" in result.output and "nik_duplicate_rows" in result.output
    assert json.loads(out.read_text())["tables"]["t_anggota"]["total"]["rows"] == 11


@pytest.mark.parametrize("url", ["not a url", "mysql+pymysql://root:s3cret@127.0.0.1:1/none",
                                 "oracle://u:p@h/db"])
def test_scan_command_bad_url_is_one_line(url):
    result = CliRunner().invoke(_app(), ["scan", "--source", url])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("sipol-migrate: error:")
    assert "s3cret" not in result.output


def _variants(summary, prefix: str) -> int:
    return sum(n for key, n in summary.variants.items() if key.startswith(prefix + "/"))


@pytest.mark.parametrize("backend", ["sqlite", "mariadb"])
def test_scan_counts_equal_what_synth_planted(backend, tmp_path, request):
    """Classes whose rows synth plants one by one are counted exactly (duplicate plants copy
    NIKs and names onto further rows, so separators and mojibake are compared as lower bounds)."""
    from sipol_migrate.synth import synthesize

    engine = request.getfixturevalue("q_maria" if backend == "mariadb" else "q_sqlite_legacy")
    url = engine.url.render_as_string(hide_password=False)
    summary = synthesize(url, tmp_path / "truth.jsonl", members=2500, seed=11)
    scan = scan_source(engine)
    members = scan["tables"]["t_anggota"]["total"]
    for table in ("t_anggota", "t_kepengurusan", "t_pengurus", "t_upload_ktp", "t_upload_kta"):
        assert scan["tables"][table]["total"]["rows"] == summary.tables[table], table
    assert members["nik_scientific"] == summary.plants.get("nik_scientific", 0)
    assert members["nik_wrong_length"] == (summary.plants.get("nik_15_digits", 0)
                                           + summary.plants.get("nik_17_digits", 0))
    assert members["nik_letters"] + members["nik_other"] == summary.plants.get("nik_letters", 0)
    assert members["nik_empty"] == summary.plants.get("nik_missing", 0)
    assert members["tgl_lahir_zero"] == summary.variants.get("birthdate_missing/zero_date", 0)
    assert members["tgl_lahir_partial"] == (summary.variants.get("birthdate_missing/zero_day", 0)
                                            + summary.variants.get("birthdate_missing/zero_month", 0))
    assert members["tgl_lahir_placeholder"] == sum(summary.variants.get(f"birthdate_missing/{v}", 0) for v in (
        "before_1900", "excel_day_zero", "placeholder_1900"))
    assert members["tgl_lahir_null"] == summary.variants.get("birthdate_missing/null", 0)
    assert members["nama_blank"] == summary.plants.get("name_missing", 0)
    assert members["party_orphan"] == sum(n for code, n in summary.parties.items() if code.startswith("orphan:"))
    assert members["nama_mojibake"] >= summary.plants.get("name_double_encoded", 0)
    separators = sum(summary.plants.get(p, 0) for p in ("nik_apostrophe", "nik_dashes", "nik_dots", "nik_spaces"))
    assert members["nik_separators"] >= separators
    uploads = scan["tables"]["t_upload_ktp"]["total"]["member_missing"] + \
        scan["tables"]["t_upload_kta"]["total"]["member_missing"]
    assert uploads == summary.orphan_uploads
    assert members["nik_duplicate_groups"] >= 1
