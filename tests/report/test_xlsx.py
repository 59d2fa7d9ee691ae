"""laporan.xlsx read back with openpyxl: sheets, headers, one row per record, splits, masking."""

from __future__ import annotations

import openpyxl
import pytest
import sqlalchemy as sa

from sipol_migrate.report.party import MEMBER_COLUMNS, STRUCTURE_COLUMNS

from report_state import A_NIKS, SHARED_NIK, write_all

pytestmark = pytest.mark.integration
ACTION_SHEETS = ["Perbaiki data (BMS)", "Ganti anggota (TMS)", "Ganda", "Kepengurusan", "Catatan"]
KPU_ONLY = "('SKIPPED_ORPHAN','SKIPPED_PARTY_UNMAPPED','SKIPPED_DELETED','CONFLICT_PARTY_EDITED')"


def _records(engine, run_id, party, outcome) -> set[int]:
    query = sa.text(f"SELECT DISTINCT legacy_id FROM finding WHERE run_id = :r AND party_code = :p "
                    f"AND entity = 'anggota' AND outcome = :o AND code NOT IN {KPU_ONLY}")
    with engine.connect() as conn:
        return {row[0] for row in conn.execute(query, {"r": run_id, "p": party, "o": outcome})}


def _structure_count(engine, run_id, party) -> int:
    query = sa.text("SELECT count(*) FROM finding WHERE run_id = :r AND party_code = :p "
                    "AND entity IN ('kepengurusan', 'pengurus', 'partai')")
    with engine.connect() as conn:
        return conn.execute(query, {"r": run_id, "p": party}).scalar()


def _rows(book, base: str) -> list[tuple]:
    """Data rows of a list, across its continuation sheets, with each sheet's header checked."""
    rows = []
    for name in book.sheetnames:
        if name == base or (name.startswith(base + " (") and name.endswith(")")):
            sheet = book[name]
            values = list(sheet.iter_rows(values_only=True))
            expected = MEMBER_COLUMNS if base != "Kepengurusan" else STRUCTURE_COLUMNS
            assert list(values[0]) == [c.title for c in expected], name
            assert sheet.freeze_panes == "A2"
            assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")
            rows.extend(values[1:])
    return rows


def test_sheets_headers_and_rows_equal_the_findings(state, tmp_path):
    write_all(state, tmp_path)
    book = openpyxl.load_workbook(tmp_path / "PXA" / "laporan.xlsx", read_only=False)
    assert book.sheetnames == ["Ringkasan", *ACTION_SHEETS]
    for sheet, outcome in (("Perbaiki data (BMS)", "BMS"), ("Ganti anggota (TMS)", "TMS"),
                           ("Ganda", "MERGED"), ("Catatan", "MS")):
        rows = _rows(book, sheet)
        assert sorted(r[0] for r in rows) == sorted(_records(state.engine, state.run_id, "PXA", outcome)), sheet
    assert len(_rows(book, "Kepengurusan")) == _structure_count(state.engine, state.run_id, "PXA")
    bms = {r[0]: r for r in _rows(book, "Perbaiki data (BMS)")}
    assert bms[1003][6] == "KTA_MISSING, NIK_MISSING"
    assert "Isi NIK 16 digit" in bms[1003][7] and "KTA" in bms[1003][7]
    assert bms[1004][1] == SHARED_NIK and bms[1004][3] == "KAB. BOGOR (32.01)"
    assert bms[1004][8] is None  # the cross-party finding names no one
    assert bms[1005][3] == "KOTA BANDUNG (32.73)"
    ganda = _rows(book, "Ganda")
    assert ganda[0][8] == "NIK_DUPLICATE_IN_PARTY: kept=1003"
    catatan = _rows(book, "Catatan")
    assert catatan[0][3] == "KAB. NABIRE (94.01)" and catatan[0][1] == A_NIKS[1002]
    structure = {r[3]: r for r in _rows(book, "Kepengurusan")}
    assert structure["MGMT_PROVINCE_MISSING"][2] == "Provinsi JAWA BARAT (32)"
    # NIKs stay text: no number formatting, no lost leading digits.
    assert all(isinstance(r[1], str) for r in _rows(book, "Perbaiki data (BMS)") if r[1])


def test_small_row_limit_continues_on_numbered_sheets(state, tmp_path):
    write_all(state, tmp_path, row_limit=3)  # header + 2 rows per sheet
    book = openpyxl.load_workbook(tmp_path / "PXA" / "laporan.xlsx")
    assert "Perbaiki data (BMS) (2)" in book.sheetnames
    assert book["Perbaiki data (BMS)"].max_row == 3 and book["Perbaiki data (BMS) (2)"].max_row == 2
    assert [r[0] for r in _rows(book, "Perbaiki data (BMS)")] == [1003, 1004, 1005]
    assert "Kepengurusan (2)" in book.sheetnames
    assert len(_rows(book, "Kepengurusan")) == 3
    order = book.sheetnames
    assert order.index("Perbaiki data (BMS) (2)") == order.index("Perbaiki data (BMS)") + 1


def test_mask_nik(state, tmp_path):
    write_all(state, tmp_path, mask_nik=True)
    book = openpyxl.load_workbook(tmp_path / "PXA" / "laporan.xlsx")
    niks = [r[1] for name in ("Perbaiki data (BMS)", "Ganti anggota (TMS)", "Ganda", "Catatan")
            for r in _rows(book, name) if r[1]]
    assert "320101******0001" in niks
    assert niks and all(n[6:12] == "******" for n in niks)
    for path in (tmp_path / "PXA").glob("laporan.*"):
        data = path.read_bytes()
        for nik in A_NIKS.values():
            assert nik.encode() not in data, path.name


def test_sqlite_target(tmp_path):
    from sipol_migrate.db import make_engine
    from report_state import build_state

    engine = make_engine(f"sqlite:///{tmp_path / 'target.sqlite'}")
    state = build_state(engine)
    write_all(state, tmp_path / "out")
    book = openpyxl.load_workbook(tmp_path / "out" / "PXA" / "laporan.xlsx")
    assert sorted(r[0] for r in _rows(book, "Perbaiki data (BMS)")) == [1003, 1004, 1005]
    assert (tmp_path / "out" / "_kpu" / "laporan.html").exists()
    engine.dispose()


def test_structure_places_from_unit_and_officer_tables(state, tmp_path):
    with state.engine.begin() as conn:  # the schema's own unit and officer tables
        conn.exec_driver_sql("INSERT INTO unit (legacy_id, party_code, level, region_code, legacy_region_code) "
                             "VALUES (501, 'PXA', 'kabkota', '32.01', '32.01')")
        conn.exec_driver_sql("INSERT INTO officer (legacy_id, unit_legacy_id, role, name) "
                             "VALUES (601, 501, 'SEKRETARIS', 'Rina')")
    write_all(state, tmp_path)
    book = openpyxl.load_workbook(tmp_path / "PXA" / "laporan.xlsx")
    places = {r[3]: r[2] for r in _rows(book, "Kepengurusan")}
    assert places["MGMT_OFFICER_MISSING"] == "DPC kab/kota KAB. BOGOR (32.01)"
    assert places["OFFICER_NIK_INVALID"] == "SEKRETARIS — Rina, DPC kab/kota KAB. BOGOR (32.01)"


def _contents(path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def test_workbooks_from_the_writer_process_equal_those_written_here(state, tmp_path):
    write_all(state, tmp_path / "here", row_limit=3)
    write_all(state, tmp_path / "worker", row_limit=3, xlsx_process=True)
    for folder in ("PXA", "_kpu"):
        here = _contents(tmp_path / "here" / folder / "laporan.xlsx")
        assert here == _contents(tmp_path / "worker" / folder / "laporan.xlsx"), folder
        assert len(here) > 3
