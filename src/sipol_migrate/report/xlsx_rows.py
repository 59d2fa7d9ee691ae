"""Data rows of a constant_memory sheet, written as XML straight into xlsxwriter's row file.

xlsxwriter writes a row cell by cell through several calls each (checks, a cell tuple, the
attribute list, the escaping), about 75 µs per 9-cell row on this machine's cores: the writer
process spent a minute on the 625,000 rows of a 2 M run's party workbooks while the run's own
process waited for it. Here a cell is one f-string (17-23 µs per row with the sheet stream
around it), and the XML is the one xlsxwriter 3.3 (pinned) writes for the same cells:
`<row r="N">`, numbers as `<c r="A2" s="F"><v>…</v></c>`, text as inline strings with its
escaping and its 32,767-unit cut. One difference: xlsxwriter passes a text that looks like
rich-text XML (`<r>…</r>`) through unescaped; here it is escaped like any other text, so it
shows as written.

`write_rows` works on a sheet whose rows carry no format or height of their own and whose
columns have no format (the sheets `Book.add_sheet` makes) and returns False for any other, so
the caller writes cell by cell instead. It relies on xlsxwriter's private row-file state
(`fh`, `previous_row`, `_write_single_row`, `_check_dimensions`), hence the pinned version.
"""

from __future__ import annotations

import math
import re

from xlsxwriter.utility import _preserve_whitespace, _utf16_len, _utf16_truncate, xl_col_to_name
from xlsxwriter.xmlwriter import XMLwriter

# Characters that need more than the plain f-string: markup, control characters (written as
# _xHHHH_) and the two non-characters. A literal "_x" may start an _xHHHH_ (its underscore is then
# escaped), and leading or trailing white space needs xml:space="preserve".
_CAREFUL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]")
_STRING_MAX = 32_767  # UTF-16 units in a cell (Excel)


def plain_rows_possible(sheet) -> bool:
    """Whether `write_rows` can write into `sheet` (see the module's docstring)."""
    return (sheet.constant_memory and not sheet.row_info and sheet.excel_version == 2007
            and sheet.default_row_height == sheet.original_row_height
            and all(info.column_format is None for info in sheet.col_info.values()))


def _text(value) -> str:
    """The <c> body of a text cell, as xlsxwriter's constant_memory mode writes it."""
    text = str(value)
    if len(text) > _STRING_MAX // 2 and _utf16_len(text) > _STRING_MAX:
        text = _utf16_truncate(text, _STRING_MAX)
    if not (_CAREFUL.search(text) or "_x" in text or text[:1].isspace() or text[-1:].isspace()):
        return f' t="inlineStr"><is><t>{text}</t></is></c>'
    text = XMLwriter._escape_control_characters(text)
    space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _number(value, number_format) -> str:
    if not isinstance(value, int) and not math.isfinite(value):
        raise TypeError("NAN/INF not supported in write_number() without 'nan_inf_to_errors' Workbook() option")
    # The format's number is given on its first use, as xlsxwriter does cell by cell.
    return f' s="{number_format._get_xf_index()}"><v>{value:.16G}</v></c>'


def write_rows(sheet, first_row: int, kinds: list[str], rows: list, number_format) -> bool:
    """Rows `first_row`, `first_row + 1`, … of `sheet`; kinds[i] is "number" or "text" for the
    i-th value of a row; a None or empty value leaves its cell out. False, and nothing written,
    when the sheet does not allow it (the caller then writes the cells one by one)."""
    last_row = first_row + len(rows) - 1
    if not rows or first_row <= sheet.previous_row or last_row >= sheet.xls_rowmax \
            or not plain_rows_possible(sheet):
        return False
    names = [xl_col_to_name(col) for col in range(len(kinds))]
    sheet._write_single_row(first_row)  # the row still held (the header) goes first
    parts, written_rows, low, high = [], [], len(kinds), -1
    for row, values in enumerate(rows, first_row + 1):  # XML rows count from 1
        cols = [col for col, value in enumerate(values) if value is not None and value != ""]
        if not cols:
            continue
        parts.append(f'<row r="{row}">')
        parts.extend(f'<c r="{names[col]}{row}"'
                     f'{_number(values[col], number_format) if kinds[col] == "number" else _text(values[col])}'
                     for col in cols)
        parts.append("</row>")
        written_rows.append(row - 1)
        low, high = min(low, cols[0]), max(high, cols[-1])
    sheet.fh.write("".join(parts))
    if written_rows:  # the sheet's dimension, as the cells one by one would have set it
        sheet._check_dimensions(written_rows[0], low)
        sheet._check_dimensions(written_rows[-1], high)
    sheet.previous_row = last_row
    return True
