"""Pure parts of the reports: masking, the code catalogue, JSON embedding, sheet splitting."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import openpyxl
import pytest

from sipol_migrate.report.catalogue import load_catalogue
from sipol_migrate.report.places import PlaceBook
from sipol_migrate.report.privacy import mask_nik, party_detail
from sipol_migrate.report.render import embed_json
from sipol_migrate.report.svg import number
from sipol_migrate.report.pdf import _write_pdf
from sipol_migrate.report.xlsx import Column, SheetStream, in_writer, sheet_title, workbook, writer_process

FINDINGS_MD = Path(__file__).resolve().parents[3] / "shared" / "spec" / "FINDINGS.md"


def test_mask_nik():
    assert mask_nik("3201010101800001") == "320101******0001"
    assert mask_nik("32010101018000") == "320101****8000"
    assert mask_nik("3.20101E+15") == "3.2010*E+15"
    assert mask_nik("12345") == "*****"
    assert mask_nik(None) == "" and mask_nik("") == ""


def test_cross_party_detail_is_never_shown():
    assert party_detail("NIK_DUPLICATE_ACROSS_PARTIES", "others=PKB:12") == ""
    assert party_detail("REGION_RECODED", "from=91.05.01;to=94.01.01") == "from=91.05.01;to=94.01.01"
    assert party_detail("KTA_MISSING", None) == ""


def test_catalogue_explains_every_code_of_the_spec():
    if not FINDINGS_MD.exists():
        pytest.skip(f"{FINDINGS_MD} not present")
    spec = FINDINGS_MD.read_text(encoding="utf-8")
    codes = set(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", spec)) - {"PARTY_UNMAPPED"} | {"UNDERAGE"}
    catalogue = load_catalogue()
    assert codes <= set(catalogue.entries), codes - set(catalogue.entries)
    for line in spec.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) >= 3 and cells[0] in codes:
            status = next((c for c in cells[1:3] if c in ("BMS", "TMS", "WARN", "INFO")), None)
            if status:
                assert catalogue.get(cells[0]).status == status, cells[0]
    for entry in catalogue.entries.values():
        assert entry.judul and entry.arti and entry.tindakan, entry.code


def test_actions_are_distinct_and_skip_info():
    catalogue = load_catalogue()
    text = catalogue.actions(["KTA_MISSING", "REGION_RECODED", "KTA_MISSING", "NIK_MISSING"])
    assert text.count("KTA") == 1 and "NIK" in text and "Tidak perlu" not in text
    assert catalogue.actions(["REGION_RECODED"]) == "Tidak perlu tindakan."
    assert catalogue.get("SOMETHING_NEW").judul == "SOMETHING_NEW"


def test_embedded_json_cannot_close_its_script_block():
    text = str(embed_json({"name": "</script><script>alert(1)</script>", "x": "a\u2028b&"}))
    assert "</" not in text and "<" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script>", "x": "a\u2028b&"}


def test_indonesian_numbers():
    assert number(1234567) == "1.234.567" and number(0) == "0" and number(None) == "—"


def test_places_prefer_2022_then_2017():
    book = PlaceBook({(2022, "94"): "PAPUA TENGAH", (2022, "94.01"): "KAB. NABIRE",
                      (2017, "91"): "PAPUA", (2017, "91.05"): "KAB. NABIRE"})
    assert book.place("94.01.01", "91.05.01").label == "KAB. NABIRE (94.01)"
    assert book.place(None, "91.05.01").prov_name == "PAPUA"
    assert book.place("xx", None).kab == "" and book.place(None, None).prov == ""


@pytest.mark.parametrize("in_worker", [False, True], ids=["here", "writer-process"])
def test_sheet_stream_splits_and_names(tmp_path, in_worker):
    assert sheet_title("Perbaiki data (BMS)", 2) == "Perbaiki data (BMS) (2)"
    assert len(sheet_title("x" * 40, 12)) == 31
    path = tmp_path / "t.xlsx"
    with writer_process() if in_worker else contextlib.nullcontext():
        with workbook(path) as book:
            stream = SheetStream(book, "Daftar", [Column("ID", 10, "number"), Column("NIK", 20)], row_limit=4)
            for i in range(10):
                stream.add([i, f"{i:016d}"])
            stream.close()
        assert stream.sheets == ["Daftar", "Daftar (2)", "Daftar (3)", "Daftar (4)"]
    book = openpyxl.load_workbook(path)
    got = [r for name in book.sheetnames for r in list(book[name].iter_rows(values_only=True))[1:]]
    assert got == [(i, f"{i:016d}") for i in range(10)]
    assert book["Daftar (4)"].auto_filter.ref == "A1:B2"
    assert not list(tmp_path.glob("*.tmp"))
    with pytest.raises(ValueError):
        SheetStream(None, "x", [], row_limit=1)


def test_writer_process_writes_books_in_order_and_reports_a_failure(tmp_path):
    """Many rows across several books: all written; a book that cannot be written raises its
    OSError when the writer is left, leaves no file behind, and does not stop the others."""
    columns = [Column("ID", 10, "number"), Column("Nama", 20)]
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    with pytest.raises(OSError):
        with writer_process():
            for name in ("a", "b"):
                with workbook(tmp_path / name / "laporan.xlsx") as book:
                    stream = SheetStream(book, "Daftar", columns)
                    for i in range(5_000):
                        stream.add([i, f"nama {name} {i}"])
                    stream.close()
            with workbook(blocked / "laporan.xlsx") as book:
                SheetStream(book, "Daftar", columns).close()
            with workbook(tmp_path / "c" / "laporan.xlsx") as book:
                book.write_blocks("Ringkasan", ["judul"], [("", columns, [[1, "satu"]])])
    for name in ("a", "b"):
        rows = list(openpyxl.load_workbook(tmp_path / name / "laporan.xlsx")["Daftar"].iter_rows(values_only=True))
        assert rows[1:] == [(i, f"nama {name} {i}") for i in range(5_000)], name
    summary = openpyxl.load_workbook(tmp_path / "c" / "laporan.xlsx")["Ringkasan"]
    assert (1, "satu") in list(summary.iter_rows(values_only=True))
    assert not (blocked / "laporan.xlsx").exists()
    assert not list(tmp_path.rglob("*.tmp"))


def test_pdfs_are_laid_out_by_the_writer_process_and_a_failure_is_raised_on_leaving(tmp_path):
    """The PDF jobs run there, each whole or not at all; one that cannot be written (a file
    where its folder should be) does not stop the next, and its OSError is raised at the end."""
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    with pytest.raises(OSError), writer_process():
        in_writer(_write_pdf, "<h1>Ringkasan A</h1>", tmp_path / "a" / "ringkasan.pdf")
        in_writer(_write_pdf, "<p>tidak dapat ditulis</p>", blocked / "ringkasan.pdf")
        in_writer(_write_pdf, "<h1>Ringkasan C</h1>", tmp_path / "c" / "ringkasan.pdf")
    for name in ("a", "c"):
        assert (tmp_path / name / "ringkasan.pdf").read_bytes().startswith(b"%PDF-")
    assert not list(tmp_path.rglob("*.tmp"))


def test_workbook_left_by_an_error_is_not_written(tmp_path):
    with pytest.raises(RuntimeError), writer_process():
        with workbook(tmp_path / "x.xlsx") as book:
            book.add_sheet("Daftar", [Column("ID", 10)])
            raise RuntimeError("stopped while reading the rows")
    assert not list(tmp_path.iterdir())


def test_a_writer_process_that_dies_fails_the_reports_without_hanging(tmp_path):
    from sipol_migrate.report import xlsx

    columns = [Column("ID", 10, "number"), Column("Nama", 20)]
    with pytest.raises(RuntimeError, match="XLSX writer process stopped"), writer_process():
        with workbook(tmp_path / "a.xlsx") as book:
            stream = SheetStream(book, "Daftar", columns)
            xlsx._writer._process.kill()  # as the kernel's OOM killer would
            for i in range(300_000):  # more than the pipe and the queue hold
                stream.add([i, f"nama {i}"])
            stream.close()
    assert not (tmp_path / "a.xlsx").exists()
