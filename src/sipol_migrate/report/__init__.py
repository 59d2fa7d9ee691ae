"""Reports a party can act on, and the KPU overview (issue 4). See docs/REPORTS.md.

    write_reports(target, run_id, out_dir, summary, parties, mask_nik=False, previous_run_id=None)

writes, from the published state of `run_id`:

    out_dir/<CODE>/laporan.html   self-contained page (Bahasa Indonesia): ledger, findings by code and
                                  region, records to fix (searchable sample), structure, progress
    out_dir/<CODE>/laporan.xlsx   every record to fix, one sheet per action (streamed)
    out_dir/<CODE>/laporan.json   the page's data: aggregates, sample records, progress
    out_dir/<CODE>/ringkasan.pdf  one- or two-page summary (when weasyprint can load)
    out_dir/_kpu/laporan.html, out_dir/_kpu/laporan.xlsx   the overview across parties

and returns {party code or "_kpu": [paths written]}. The progress sections compare with
`previous_run_id` (the caller finds it with `progress.previous_run`).
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path

from sqlalchemy import Engine

from ..log import get_logger
from .catalogue import load_catalogue
from .kpu import write_kpu_report
from .party import Options, write_party_report
from .places import PlaceBook
from .xlsx import EXCEL_MAX_ROWS, writer_process

__all__ = ["write_reports"]
log = get_logger(__name__)


def write_reports(target: Engine, run_id: str, out_dir: Path, summary: dict, parties,
                  mask_nik: bool = False, previous_run_id: str | None = None, *,
                  row_limit: int = EXCEL_MAX_ROWS, html_record_limit: int = 2_500,
                  pdf: bool = True, pages_from: tuple[str, Path] | None = None,
                  xlsx_process: bool = False) -> dict[str, list[Path]]:
    """Write every party's report and the KPU overview; `parties` is a PartyMap (`.parties`).

    row_limit: rows per XLSX sheet, header included (Excel's maximum by default; tests lower it).
    html_record_limit: records per category embedded in laporan.html (the XLSX has them all).
    pages_from: (run id, output folder) of a run with the same findings (an unchanged rerun's
    base). The parties' laporan.xlsx are left out (the caller copies that run's, which list the
    same rows) and their pages are that run's laporan.json with the progress counted again.
    xlsx_process=True: a worker process writes the workbooks (xlsx.writer_process) while this one
    goes on reading and rendering.
    """
    out_dir = Path(out_dir)
    catalogue = load_catalogue()
    places = PlaceBook.load(target)
    options = Options(mask_nik=mask_nik, row_limit=row_limit, html_record_limit=html_record_limit, pdf=pdf)
    with writer_process() if xlsx_process else nullcontext():
        return _write_all(target, run_id, out_dir, summary, parties, catalogue, places, options,
                          previous_run_id, pages_from)


def _write_all(target, run_id, out_dir, summary, parties, catalogue, places, options, previous_run_id,
               pages_from) -> dict[str, list[Path]]:
    written: dict[str, list[Path]] = {}
    for party in parties.parties:
        started = time.perf_counter()
        written[party.code] = write_party_report(target, run_id, party, summary, out_dir, catalogue,
                                                 places, options, previous_run_id, pages_from)
        log.info("party report written", party=party.code, files=len(written[party.code]),
                 seconds=round(time.perf_counter() - started, 2))
    written["_kpu"] = write_kpu_report(target, run_id, summary, parties, out_dir, catalogue,
                                       options.row_limit, previous_run_id)
    return written

