"""Streaming XLSX (xlsxwriter, constant_memory): sheets that continue past Excel's row limit.

In constant_memory mode every row is flushed to a temporary file as soon as the next row starts,
so memory stays flat however many rows a party has. A sheet's layout (widths, frozen header) is
set before its first row; its auto-filter, which Excel stores after the rows, once it is full.

The callers speak to a `Book` (a few whole-row operations), which is either xlsxwriter in this
process or, inside `writer_process()`, a proxy that queues the operations for a worker process:
the data rows go straight into xlsxwriter's row file as XML (`xlsx_rows`, about 20 µs per
9-cell row, against some 75 through xlsxwriter's cell calls), and the worker writes one workbook
and compresses it on the other core while this process reads the next rows from the database and
renders the pages. When it has no workbook to write (an unchanged rerun), it lays
out the PDF summaries instead (`in_writer`: weasyprint, about 0.9 s of one core per party).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from . import xlsx_rows

EXCEL_MAX_ROWS = 1_048_576  # header included
SHEET_NAME_MAX = 31
_FORMATS = {
    "header": {"bold": True, "bg_color": "#1F4E79", "font_color": "#FFFFFF", "text_wrap": True,
               "valign": "top", "border": 1},
    "title": {"bold": True, "font_size": 14},
    "bold": {"bold": True},
    "wrap": {"text_wrap": True, "valign": "top"},
    "int": {"num_format": "#,##0"},
    "id": {"num_format": "0"},
}


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: float
    kind: str = "text"  # text | number


def sheet_title(base: str, part: int) -> str:
    suffix = "" if part == 1 else f" ({part})"
    return base[:SHEET_NAME_MAX - len(suffix)] + suffix


class Book:
    """One workbook written with xlsxwriter here, to `path` + '.tmp', renamed when complete."""

    def __init__(self, path: Path):
        self.path, self.tmp = path, path.with_name(path.name + ".tmp")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._book = xlsxwriter.Workbook(str(self.tmp), {
            "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
            "strings_to_urls": False})
        self._formats = {name: self._book.add_format(props) for name, props in _FORMATS.items()}
        self._sheets: list = []

    def add_sheet(self, name: str, columns: list[Column]) -> int:
        """A sheet with its column widths, a frozen header row and the header; returns its number."""
        sheet = self._book.add_worksheet(name)
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width)
        sheet.freeze_panes(1, 0)
        for index, column in enumerate(columns):
            sheet.write_string(0, index, column.title, self._formats["header"])
        self._sheets.append(sheet)
        return len(self._sheets) - 1

    def write_rows(self, sheet: int, first_row: int, columns: list[Column], rows: list, number: str = "id") -> None:
        worksheet, number_format = self._sheets[sheet], self._formats[number]
        if xlsx_rows.write_rows(worksheet, first_row, [c.kind for c in columns], rows, number_format):
            return
        for row, values in enumerate(rows, first_row):
            _write_cells(worksheet, row, columns, values, number_format)

    def autofilter(self, sheet: int, last_row: int, columns: int) -> None:
        self._sheets[sheet].autofilter(0, 0, last_row, columns - 1)

    def write_blocks(self, title: str, notes: list[str], blocks: list[tuple[str, list[Column], list]]) -> None:
        """A small sheet written at once: note lines, then tables (heading, columns, rows) one below
        the other. The widths are the widest of the blocks; the last table gets the auto-filter."""
        sheet = self._book.add_worksheet(title[:SHEET_NAME_MAX])
        widths: dict[int, float] = {}
        for _, columns, _ in blocks:
            for index, column in enumerate(columns):
                widths[index] = max(widths.get(index, 0), column.width)
        for index, width in widths.items():
            sheet.set_column(index, index, width)
        row = 0
        for number, note in enumerate(notes):
            sheet.write_string(row, 0, note, self._formats["title" if number == 0 else "wrap"])
            row += 1
        for heading, columns, rows in blocks:
            row += 1
            if heading:
                sheet.write_string(row, 0, heading, self._formats["bold"])
                row += 1
            first = row
            for index, column in enumerate(columns):
                sheet.write_string(row, index, column.title, self._formats["header"])
            for values in rows:
                row += 1
                _write_cells(sheet, row, columns, values, self._formats["int"])
            row += 1
        if blocks:
            sheet.autofilter(first, 0, max(row - 1, first), len(blocks[-1][1]) - 1)

    def close(self) -> None:
        self._book.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        if self.tmp.exists():
            self.tmp.unlink()


def _write_cells(sheet, row: int, columns: list[Column], values, number_format) -> None:
    for index, (column, value) in enumerate(zip(columns, values)):
        if value is None or value == "":
            continue
        if column.kind == "number":
            sheet.write_number(row, index, value, number_format)
        else:
            sheet.write_string(row, index, str(value))


# --- the worker process -----------------------------------------------------------------------

_QUEUED_ROWS = 2_000  # rows per message to the worker
_AHEAD = 50  # messages queued for the worker at most


def _serve(channel) -> None:
    """The worker: replays each book's operations and runs each job; answers every book's
    `close` and every job with None or the error that stopped it (that file is then not
    written; the others go on)."""
    books: dict[int, Book | None] = {}  # None: failed, waiting for its close
    errors: dict[int, BaseException] = {}
    while (message := channel.recv()) is not None:
        for number, operation, args in message:
            book = books.get(number)
            try:
                if operation == "open":
                    books[number] = Book(*args)
                elif operation == "run":
                    args[0](*args[1])
                elif operation in ("close", "discard"):
                    del books[number]
                    if book is not None:
                        book.close() if operation == "close" else book.discard()
                elif book is not None:
                    getattr(book, operation)(*args)
            except Exception as exc:
                errors[number] = exc
                books[number] = None
                if book is not None:
                    book.discard()
            if operation in ("close", "run"):
                books.pop(number, None)
                channel.send((number, errors.pop(number, None)))


class _Writer:
    """This process's side: queues operations, sends them in chunks, collects the outcomes.

    A sender thread writes the chunks into the pipe, so this process may run up to `_AHEAD`
    chunks (about 100,000 rows, some 30 MB pickled) ahead of the worker: the worker keeps
    writing while this process waits for the database, and memory stays bounded."""

    def __init__(self):
        context = multiprocessing.get_context("spawn")
        self._channel, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), name="sipol-xlsx", daemon=True)
        self._process.start()
        child.close()
        self._queue: list = []
        self._rows = 0
        self._books = 0
        self._pending: set[int] = set()
        self._outbox: queue.Queue = queue.Queue(maxsize=_AHEAD)
        self._broken: BaseException | None = None
        self._sender = threading.Thread(target=self._send_all, name="sipol-xlsx-send", daemon=True)
        self._sender.start()

    def _send_all(self) -> None:
        """Until told to stop (None): send each chunk; once the worker is gone, drop them."""
        while (data := self._outbox.get()) is not None:
            if self._broken is None:
                try:
                    self._channel.send_bytes(data)
                except OSError as exc:
                    self._broken = exc
        if self._broken is None:
            try:
                self._channel.send(None)
            except OSError as exc:
                self._broken = exc

    def open(self, path: Path) -> int:
        self._books += 1
        self.call(self._books, "open", (path,))
        return self._books

    def run(self, fn, args: tuple) -> None:
        """`fn(*args)` in the worker, after the operations queued before (a job: its own number)."""
        self._books += 1
        self.call(self._books, "run", (fn, args))

    def call(self, number: int, operation: str, args: tuple, rows: int = 0) -> None:
        self._queue.append((number, operation, args))
        self._rows += rows
        if operation in ("close", "run"):
            self._pending.add(number)
        if self._rows >= _QUEUED_ROWS or len(self._queue) >= _QUEUED_ROWS:
            self.flush()

    def flush(self) -> None:
        if self._broken is not None:
            raise RuntimeError("the XLSX writer process stopped") from self._broken
        if self._queue:
            self._outbox.put(pickle.dumps(self._queue, pickle.HIGHEST_PROTOCOL))  # waits when _AHEAD are queued
            self._queue, self._rows = [], 0

    def finish(self) -> None:
        """Wait for every book; raise the first failure (an OSError keeps its errno)."""
        self.flush()
        self._outbox.put(None)
        self._sender.join()
        errors = []
        try:
            while self._pending:
                number, error = self._channel.recv()
                self._pending.discard(number)
                if error is not None:
                    errors.append(error)
        except EOFError:
            raise RuntimeError(f"the XLSX writer process stopped (exit code {self._process.exitcode})") from None
        self._process.join()
        if errors:
            raise errors[0]

    def stop(self) -> None:
        self._process.kill()  # a sender blocked on the pipe fails and drops the rest
        self._process.join()
        self._outbox.put(None)
        self._sender.join()
        self._channel.close()


class _RemoteBook:
    """A `Book` whose operations run in the worker process (see `writer_process`)."""

    def __init__(self, writer: _Writer, path: Path):
        self._writer = writer
        self._number = writer.open(path)
        self._sheets = 0

    def add_sheet(self, name: str, columns: list[Column]) -> int:
        self._writer.call(self._number, "add_sheet", (name, columns))
        self._sheets += 1
        return self._sheets - 1

    def write_rows(self, sheet: int, first_row: int, columns: list[Column], rows: list, number: str = "id") -> None:
        self._writer.call(self._number, "write_rows", (sheet, first_row, columns, rows, number), len(rows))

    def autofilter(self, sheet: int, last_row: int, columns: int) -> None:
        self._writer.call(self._number, "autofilter", (sheet, last_row, columns))

    def write_blocks(self, title: str, notes: list[str], blocks) -> None:
        self._writer.call(self._number, "write_blocks", (title, notes, blocks), sum(len(b[2]) for b in blocks))

    def close(self) -> None:
        self._writer.call(self._number, "close", ())

    def discard(self) -> None:
        self._writer.call(self._number, "discard", ())


_writer: _Writer | None = None


@contextmanager
def writer_process():
    """Within: every `workbook()` is written, and every `in_writer` job run, by one worker
    process, in order; leaving waits for them all and raises the first failure (then no
    workbook is left half-written)."""
    global _writer
    if multiprocessing.current_process().daemon:  # e.g. a Dask worker: no child processes
        yield
        return
    _writer = _Writer()
    try:
        yield
        _writer.finish()
    except BaseException:
        _writer.stop()
        raise
    finally:
        _writer = None


def in_writer(fn, *args) -> None:
    """`fn(*args)` (a module-level function, picklable arguments) in the writer process inside
    `writer_process()`, where a failure is raised on leaving; elsewhere here and now."""
    if _writer is None:
        fn(*args)
    else:
        _writer.run(fn, args)


@contextmanager
def workbook(path: Path):
    """A book renamed into place only when complete (by the worker process inside `writer_process`)."""
    book = Book(path) if _writer is None else _RemoteBook(_writer, path)
    try:
        yield book
        book.close()
    except BaseException:
        book.discard()
        raise


class SheetStream:
    """Rows of one list; continues on 'Title (2)', 'Title (3)', … when a sheet is full."""

    def __init__(self, book, title: str, columns: list[Column], row_limit: int = EXCEL_MAX_ROWS):
        if row_limit < 2:
            raise ValueError("row_limit must leave room for the header and one row")
        self.book, self.title, self.columns, self.row_limit = book, title, columns, row_limit
        self.sheets: list[str] = []
        self.rows = 0  # data rows written in total
        self._sheet: int | None = None
        self._row = 0  # the last row of the open sheet
        self._waiting: list = []  # rows not yet handed to the book
        self._open()

    def _open(self) -> None:
        self._close_sheet()
        name = sheet_title(self.title, len(self.sheets) + 1)
        self._sheet, self._row = self.book.add_sheet(name, self.columns), 0
        self.sheets.append(name)

    def _flush(self) -> None:
        if self._waiting:
            self.book.write_rows(self._sheet, self._row - len(self._waiting) + 1, self.columns, self._waiting)
            self._waiting = []

    def _close_sheet(self) -> None:
        if self._sheet is not None:
            self._flush()
            self.book.autofilter(self._sheet, self._row, len(self.columns))

    def add(self, values) -> None:
        if self._row + 1 >= self.row_limit:
            self._open()
        self._row += 1
        self.rows += 1
        self._waiting.append(values)
        if len(self._waiting) >= _QUEUED_ROWS:
            self._flush()

    def close(self) -> None:
        self._close_sheet()
        self._sheet = None

