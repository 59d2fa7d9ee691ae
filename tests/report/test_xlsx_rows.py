"""The data rows written as XML (xlsx_rows) equal what xlsxwriter writes cell by cell."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings, strategies as st

from sipol_migrate.report import xlsx as xlsx_mod
from sipol_migrate.report.xlsx import Book, Column, SheetStream

COLUMNS = [Column("ID", 12, "number"), Column("Teks", 30), Column("Lagi", 20), Column("Angka", 10, "number")]
AWKWARD = [
    [1, "Siti & Budi <ok>", "a\tb\nc", 2.5],
    [2, " leading space", "trailing space ", None],
    [3, "\x01control\x1f", "_x0041_ literal", 0],
    [4, "", None, -7],
    [None, "only text", "\ufffe\uffff", None],
    [None, None, None, None],  # an empty row: no <row> element
    [6, "Ĳsselmeer ñ 漢字 😀", "x" * 40_000, 1e20],  # cut at 32,767 UTF-16 units
    [7, "\u00a0nbsp\u00a0", "line\n", True],
    [8, 'quote " apostrophe \'', "\x0b", 10 ** 15 + 1],
]


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8")


def _write(path: Path, rows: list, cell_by_cell: bool, monkeypatch, chunk: int = 3) -> Path:
    """`rows` through a Book, `chunk` rows per write_rows; cell by cell as xlsxwriter does, or
    as XML (then every chunk must have been written so)."""
    plain = xlsx_mod.xlsx_rows.write_rows
    answers = []

    def write_rows(*args):
        answers.append(False if cell_by_cell else plain(*args))
        return answers[-1]

    with monkeypatch.context() as patch:
        patch.setattr(xlsx_mod.xlsx_rows, "write_rows", write_rows)
        patch.setattr(xlsx_mod, "_QUEUED_ROWS", chunk)  # several write_rows calls per sheet
        book = Book(path)
        sheet = SheetStream(book, "Data", COLUMNS)
        for values in rows:
            sheet.add(values)
        sheet.close()
        book.close()
    assert cell_by_cell or all(answers)
    return path


def test_rows_equal_xlsxwriters_own_cells_byte_for_byte(tmp_path, monkeypatch):
    fast = _write(tmp_path / "fast.xlsx", AWKWARD, False, monkeypatch)
    slow = _write(tmp_path / "slow.xlsx", AWKWARD, True, monkeypatch)
    assert _sheet_xml(fast) == _sheet_xml(slow)
    assert '<dimension ref="A1:D10"/>' in _sheet_xml(fast)
    read = [list(r) for r in openpyxl.load_workbook(fast, read_only=True)["Data"].iter_rows(values_only=True)]
    assert read[1] == [1, "Siti & Budi <ok>", "a\tb\nc", 2.5]
    assert read[2][1:3] == [" leading space", "trailing space "]
    assert "<t>_x0001_control_x001F_</t>" in _sheet_xml(fast)  # Excel shows the characters again
    assert "<t>_x005F_x0041_ literal</t>" in _sheet_xml(fast)  # and this as written
    assert len(read[7][2]) == 32_767


def test_text_that_looks_like_rich_text_is_kept_as_written(tmp_path, monkeypatch):
    # xlsxwriter passes "<r>…</r>" through unescaped (its rich-string form): a member's name
    # could then break the sheet. Written here, it is text like any other.
    path = _write(tmp_path / "rich.xlsx", [[1, "<r><t>Nama</t></r>", "<r>x", 1]], False, monkeypatch)
    read = list(openpyxl.load_workbook(path, read_only=True)["Data"].iter_rows(values_only=True))
    assert read[1] == (1, "<r><t>Nama</t></r>", "<r>x", 1)


def test_a_sheet_with_formatted_rows_is_written_cell_by_cell(tmp_path):
    book = Book(tmp_path / "formatted.xlsx")
    index = book.add_sheet("Data", COLUMNS)
    worksheet = book._sheets[index]
    worksheet.set_row(5, 30)  # a row height of its own: the plain rows do not apply
    assert not xlsx_mod.xlsx_rows.plain_rows_possible(worksheet)
    book.write_rows(index, 1, COLUMNS, [[n, f"baris {n}", None, n] for n in range(1, 9)])
    book.close()
    read = list(openpyxl.load_workbook(tmp_path / "formatted.xlsx")["Data"].iter_rows(values_only=True))
    assert [r[1] for r in read[1:]] == [f"baris {n}" for n in range(1, 9)]
    assert 'ht="30"' in _sheet_xml(tmp_path / "formatted.xlsx")


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_ROW = st.tuples(st.one_of(st.none(), st.integers(-10 ** 15, 10 ** 15)), st.one_of(st.none(), _TEXT),
                 st.one_of(st.none(), _TEXT), st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)))


@settings(max_examples=60, deadline=None)
@given(st.lists(_ROW, max_size=8))
def test_any_rows_equal_xlsxwriters_own_cells(tmp_path_factory, rows):
    rows = [list(r) for r in rows if not any(isinstance(v, str) and v.startswith("<r>") and v.endswith("</r>")
                                             for v in r)]
    folder = tmp_path_factory.mktemp("rows")
    with pytest.MonkeyPatch.context() as patch:
        fast = _write(folder / "fast.xlsx", rows, False, patch)
        slow = _write(folder / "slow.xlsx", rows, True, patch)
    assert _sheet_xml(fast) == _sheet_xml(slow)
