"""ringkasan.pdf: a one- or two-page summary per party for an official letter (weasyprint).

weasyprint is a PyPI package that needs Pango at run time (Debian: libpango-1.0-0,
libpangoft2-1.0-0; `scripts/install-system-deps.sh`). When it cannot load, the PDF is skipped
with a warning and the HTML and XLSX reports are unaffected.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

from ..log import get_logger
from . import xlsx
from .render import render
from .svg import OUTCOME_LABELS, ledger_chart

log = get_logger(__name__)
TOP_CODES = 12


@lru_cache(maxsize=1)
def _html_class():
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        log.warning("ringkasan.pdf skipped: weasyprint unavailable", reason=str(exc).splitlines()[0][:160])
        return None
    return HTML


def pdf_available() -> bool:
    return _html_class() is not None


def _svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def write_summary_pdf(path: Path, run_id: str, summary: dict, data, in_writer: bool = False) -> Path | None:
    """The party's summary; with `in_writer`, laid out in the writer process, when one runs
    (`xlsx.in_writer`), while this process goes on."""
    if not pdf_available():
        return None
    member_rows = sorted((r for r in data.code_rows if r["group"] == "anggota"),
                         key=lambda r: -r["count"])
    structure_rows = [r for r in data.code_rows if r["group"] == "struktur"]
    page = render("ringkasan.html.j2", party=data, run_id=run_id, settings=summary.get("settings", {}),
                  chart=_svg_data_uri(ledger_chart(data.ledger, width=600)),
                  outcome_labels=OUTCOME_LABELS, member_rows=member_rows[:TOP_CODES],
                  more_codes=max(len(member_rows) - TOP_CODES, 0), structure_rows=structure_rows[:8],
                  more_structure=max(len(structure_rows) - 8, 0))
    if in_writer:
        xlsx.in_writer(_write_pdf, page, path)
    else:
        _write_pdf(page, path)
    return path


def _write_pdf(page: str, path: Path) -> None:
    """The PDF of `page` to `path` + '.tmp', renamed into place when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    html_class = _html_class()
    if html_class is None:  # loaded where pdf_available() was asked, not in this process
        raise RuntimeError("weasyprint cannot load in the writer process")
    try:
        html_class(string=page, base_url=str(path.parent)).write_pdf(str(tmp))
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
