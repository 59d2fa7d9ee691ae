"""Streaming XLSX (xlsxwriter, constant_memory): sheets that continue past Excel's row limit.

In constant_memory mode every row is flushed to a temporary file as soon as the next row starts,
so memory stays flat however many rows a party has. A sheet's layout (widths, frozen header) is
set before its first row; its auto-filter, which Excel stores after the rows, once it is full.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

EXCEL_MAX_ROWS = 1_048_576  # header included
SHEET_NAME_MAX = 31


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: float
    kind: str = "text"  # text | number


@contextmanager
def workbook(path: Path):
    """An xlsxwriter workbook in constant_memory mode, renamed into place only when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False,
                                          "strings_to_formulas": False, "strings_to_urls": False})
    book.formats_cache = {
        "header": book.add_format({"bold": True, "bg_color": "#1F4E79", "font_color": "#FFFFFF",
                                   "text_wrap": True, "valign": "top", "border": 1}),
        "title": book.add_format({"bold": True, "font_size": 14}),
        "bold": book.add_format({"bold": True}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "int": book.add_format({"num_format": "#,##0"}),
        "id": book.add_format({"num_format": "0"}),
    }
    try:
        yield book
        book.close()
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def sheet_title(base: str, part: int) -> str:
    suffix = "" if part == 1 else f" ({part})"
    return base[:SHEET_NAME_MAX - len(suffix)] + suffix


class SheetStream:
    """Rows of one list; continues on 'Title (2)', 'Title (3)', … when a sheet is full."""

    def __init__(self, book, title: str, columns: list[Column], row_limit: int = EXCEL_MAX_ROWS):
        if row_limit < 2:
            raise ValueError("row_limit must leave room for the header and one row")
        self.book, self.title, self.columns, self.row_limit = book, title, columns, row_limit
        self.sheets: list[str] = []
        self.rows = 0  # data rows written in total
        self._sheet = None
        self._row = 0
        self._open()

    def _open(self) -> None:
        self._close_sheet()
        name = sheet_title(self.title, len(self.sheets) + 1)
        sheet = self.book.add_worksheet(name)
        for index, column in enumerate(self.columns):
            sheet.set_column(index, index, column.width)
        sheet.freeze_panes(1, 0)
        header = self.book.formats_cache["header"]
        for index, column in enumerate(self.columns):
            sheet.write_string(0, index, column.title, header)
        self.sheets.append(name)
        self._sheet, self._row = sheet, 0

    def _close_sheet(self) -> None:
        if self._sheet is not None:
            self._sheet.autofilter(0, 0, self._row, len(self.columns) - 1)

    def add(self, values) -> None:
        if self._row + 1 >= self.row_limit:
            self._open()
        self._row += 1
        self.rows += 1
        for index, (column, value) in enumerate(zip(self.columns, values)):
            if value is None or value == "":
                continue
            if column.kind == "number":
                self._sheet.write_number(self._row, index, value, self.book.formats_cache["id"])
            else:
                self._sheet.write_string(self._row, index, str(value))

    def close(self) -> None:
        self._close_sheet()
        self._sheet = None


def _write_cells(sheet, book, row: int, columns: list[Column], values) -> None:
    for index, (column, value) in enumerate(zip(columns, values)):
        if value is None or value == "":
            continue
        if column.kind == "number":
            sheet.write_number(row, index, value, book.formats_cache["int"])
        else:
            sheet.write_string(row, index, str(value))


def write_blocks(book, title: str, notes: list[str], blocks: list[tuple[str, list[Column], list]]) -> None:
    """A small sheet written at once: note lines, then tables (heading, columns, rows) one below
    the other. The widths are the widest of the blocks; the last table gets the auto-filter."""
    sheet = book.add_worksheet(title[:SHEET_NAME_MAX])
    widths: dict[int, float] = {}
    for _, columns, _ in blocks:
        for index, column in enumerate(columns):
            widths[index] = max(widths.get(index, 0), column.width)
    for index, width in widths.items():
        sheet.set_column(index, index, width)
    row = 0
    for number, note in enumerate(notes):
        sheet.write_string(row, 0, note, book.formats_cache["title" if number == 0 else "wrap"])
        row += 1
    for heading, columns, rows in blocks:
        row += 1
        if heading:
            sheet.write_string(row, 0, heading, book.formats_cache["bold"])
            row += 1
        first = row
        for index, column in enumerate(columns):
            sheet.write_string(row, index, column.title, book.formats_cache["header"])
        for values in rows:
            row += 1
            _write_cells(sheet, book, row, columns, values)
        row += 1
    if blocks:
        sheet.autofilter(first, 0, max(row - 1, first), len(blocks[-1][1]) - 1)
