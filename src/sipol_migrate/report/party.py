"""One party's report: laporan.xlsx (every record to fix), laporan.html (summary and a sample to
search), laporan.json (what the page shows, machine-readable), ringkasan.pdf (optional). Only the
party's own rows are read (party_code filter, joins keyed on the party as well), and the
cross-party finding's detail is never shown.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, fields
from itertools import islice
from pathlib import Path

from sqlalchemy import Engine

from ..model import ANGGOTA
from ..output import atomic_write
from . import queries as q
from .catalogue import Catalogue
from .places import PlaceBook
from .privacy import party_detail, show_nik
from .render import write_page
from .structure import describer
from .svg import OUTCOME_LABELS, hbars, ledger_chart
from .xlsx import EXCEL_MAX_ROWS, Column, SheetStream, workbook

OUTCOMES = ("MS", "BMS", "TMS", "MERGED", "SKIPPED")
SHEETS = {q.BMS: "Perbaiki data (BMS)", q.TMS: "Ganti anggota (TMS)", q.MERGED: "Ganda",
          q.NOTE: "Catatan"}
STRUCTURE_SHEET = "Kepengurusan"
CATEGORY_LABELS = {q.BMS: "Perbaiki data (BMS)", q.TMS: "Ganti anggota (TMS)",
                   q.MERGED: "Ganda (tidak dimigrasikan)", q.NOTE: "Catatan (WARN/INFO)"}
STATUS_ORDER = {"TMS": 0, "BMS": 1, "MERGED": 2, "WARN": 3, "INFO": 4}
MEMBER_COLUMNS = [
    Column("ID lama", 12, "number"), Column("NIK", 20), Column("Nama", 30), Column("Kab/Kota", 32),
    Column("Kode wilayah", 15), Column("No. KTA", 18), Column("Temuan", 44), Column("Tindakan", 80),
    Column("Keterangan", 34),
]
STRUCTURE_COLUMNS = [
    Column("Entitas", 13), Column("ID lama", 12, "number"), Column("Letak", 44),
    Column("Kode temuan", 28), Column("Status", 8), Column("Temuan", 44), Column("Keterangan", 34),
    Column("Tindakan", 80),
]


@dataclass
class Options:
    mask_nik: bool = False
    row_limit: int = EXCEL_MAX_ROWS
    html_record_limit: int = 2_500  # per category, and for the structure list
    pdf: bool = True


@dataclass
class PartyData:
    """What the pages show, gathered once: aggregates in full, record lists as samples."""

    code: str
    name: str
    ledger: dict
    code_rows: list[dict]
    record_totals: dict[str, int]
    region_codes: list[list]
    region_records: list[list]
    places: dict[str, list[str]]
    provinces: dict[str, str]
    progress: dict | None
    samples: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    structure_total: int = 0


def _code_rows(counts: list[tuple[str, str, str, int]], catalogue: Catalogue) -> list[dict]:
    merged: dict[tuple[str, str], int] = defaultdict(int)
    for entity, code, _status, n in counts:
        merged[("anggota" if entity == ANGGOTA else "struktur", code)] += n
    rows = []
    for (group, code), n in merged.items():
        text = catalogue.get(code)
        rows.append({"group": group, "code": code, "judul": text.judul, "status": text.status,
                     "arti": text.arti, "tindakan": text.tindakan, "count": n})
    return sorted(rows, key=lambda r: (r["group"], STATUS_ORDER.get(r["status"], 9), -r["count"], r["code"]))


def _region_stats(target: Engine, run_id: str, code: str, places: PlaceBook):
    by_code: dict[tuple[str, str], int] = defaultdict(int)
    by_category: dict[tuple[str, str], int] = defaultdict(int)
    names: dict[str, list[str]] = {}
    for kab22, kab17, finding_code, n in q.region_code_counts(target, run_id, code):
        place = places.place(kab22, kab17)
        names[place.kab] = [place.kab_name, place.prov]
        by_code[(place.kab, finding_code)] += int(n)
    for kab22, kab17, category, n in q.region_record_counts(target, run_id, code):
        place = places.place(kab22, kab17)
        names[place.kab] = [place.kab_name, place.prov]
        by_category[(place.kab, category)] += n
    provinces = {prov: places.province_name(prov) for _, prov in names.values()}
    return ([[k, c, n] for (k, c), n in sorted(by_code.items())],
            [[k, c, n] for (k, c), n in sorted(by_category.items())], names, provinces)


def _progress(target: Engine, run_id: str, previous_run_id: str | None, code: str,
              catalogue: Catalogue) -> dict | None:
    if not previous_run_id:
        return None
    per_code = q.progress_counts(target, run_id, previous_run_id, code).get(code, {})
    rows = [{"code": c, "judul": catalogue.get(c).judul, **counts} for c, counts in sorted(per_code.items())]
    totals = {key: sum(r[key] for r in rows) for key in ("fixed", "new", "still_open")}
    return {"previous_run_id": previous_run_id, "rows": rows, "total": totals}


def gather(target: Engine, run_id: str, party, summary: dict, catalogue: Catalogue,
           places: PlaceBook, previous_run_id: str | None) -> PartyData:
    ledger = summary.get("parties", {}).get(party.code, {}).get("anggota", {})
    region_codes, region_records, names, provinces = _region_stats(target, run_id, party.code, places)
    return PartyData(
        code=party.code, name=party.name, ledger={o: int(ledger.get(o, 0) or 0) for o in ("read", *OUTCOMES)},
        code_rows=_code_rows(q.code_counts(target, run_id, party.code), catalogue),
        record_totals=q.record_counts(target, run_id, party.code), region_codes=region_codes,
        region_records=region_records, places=names, provinces=provinces,
        progress=_progress(target, run_id, previous_run_id, party.code, catalogue))


def _member_values(record: q.RecordRow, places: PlaceBook, catalogue: Catalogue, masked: bool) -> list:
    place = places.place(record.region_code, record.legacy_region_code)
    details = "; ".join(f"{code}: {shown}" for code, detail in record.details
                        if (shown := party_detail(code, detail)))
    return [record.legacy_id, show_nik(record.nik, masked), record.name or "", place.label,
            record.region_code or record.legacy_region_code or "", record.kta_number or "",
            ", ".join(record.codes), catalogue.actions(record.codes), details], place.kab


def _summary_sheet(book, data: PartyData, run_id: str) -> None:
    ledger_rows = [[OUTCOME_LABELS.get(o, o), data.ledger.get(o, 0)] for o in OUTCOMES]
    ledger_rows.append(["Jumlah data dibaca", data.ledger.get("read", 0)])
    sheets = [[SHEETS[c], CATEGORY_LABELS[c], data.record_totals.get(c, 0)] for c in q.CATEGORIES]
    codes = [[r["code"], r["judul"], r["status"], r["count"], r["arti"], r["tindakan"]] for r in data.code_rows]
    book.write_blocks("Ringkasan", [
        f"Laporan migrasi data Sipol 2017 — {data.name} ({data.code})",
        f"Proses: {run_id}. Satu baris per data yang perlu ditindaklanjuti; lembar yang penuh "
        "dilanjutkan pada lembar bernama sama dengan nomor (2), (3), …",
    ], [
        ("Hasil migrasi anggota", [Column("Hasil", 34), Column("Jumlah", 14, "number")], ledger_rows),
        ("Lembar kerja", [Column("Lembar", 34), Column("Isi", 30), Column("Baris", 14, "number")], sheets),
        ("Temuan per kode", [Column("Kode", 34), Column("Temuan", 30), Column("Status", 14),
                             Column("Jumlah", 12, "number"), Column("Arti", 70), Column("Tindakan", 70)],
         codes),
    ])


def _write_members(book, target, run_id: str, data: PartyData, category: str, places: PlaceBook,
                   catalogue: Catalogue, options: Options) -> None:
    sheet = SheetStream(book, SHEETS[category], MEMBER_COLUMNS, options.row_limit)
    sample = data.samples[category]
    for record in q.record_rows(target, run_id, data.code, category):
        values, kab = _member_values(record, places, catalogue, options.mask_nik)
        sheet.add(values)
        if len(sample) < options.html_record_limit:
            sample.append(_member_sample(category, values, kab))
    sheet.close()


def _write_structure(book, target, run_id: str, data: PartyData, places: PlaceBook,
                     catalogue: Catalogue, options: Options) -> None:
    describe = describer(target, run_id, data.code, places)
    sheet = SheetStream(book, STRUCTURE_SHEET, STRUCTURE_COLUMNS, options.row_limit)
    sample = data.samples["structure"]
    for row in q.structure_rows(target, run_id, data.code):
        values = _structure_values(row, describe, catalogue)
        sheet.add(values)
        if len(sample) < options.html_record_limit:
            sample.append(values[:7])
    sheet.close()
    data.structure_total = sheet.rows


def _member_sample(category: str, values: list, kab: str) -> list:
    return [category, kab, *values[:3], *values[4:7], values[8]]


def _structure_values(row: tuple, describe, catalogue: Catalogue) -> list:
    entity, legacy_id, code, status, detail = row
    text = catalogue.get(code)
    return [entity, int(legacy_id), describe(entity, legacy_id, detail), code, status,
            text.judul, party_detail(code, detail), text.tindakan]


def read_samples(target, run_id: str, data: PartyData, places: PlaceBook, catalogue: Catalogue,
                 options: Options) -> None:
    """The page's sample records without writing the XLSX (the first rows its sheets would hold)."""
    for category in (q.BMS, q.TMS, q.MERGED, q.NOTE):
        records = q.record_rows(target, run_id, data.code, category)
        for record in islice(records, options.html_record_limit):
            values, kab = _member_values(record, places, catalogue, options.mask_nik)
            data.samples[category].append(_member_sample(category, values, kab))
        records.close()
    describe = describer(target, run_id, data.code, places)
    rows = q.structure_rows(target, run_id, data.code)
    data.samples["structure"] = [_structure_values(row, describe, catalogue)[:7]
                                 for row in islice(rows, options.html_record_limit)]
    rows.close()
    data.structure_total = q.structure_count(target, run_id, data.code)


def write_xlsx(path: Path, target: Engine, run_id: str, data: PartyData, places: PlaceBook,
               catalogue: Catalogue, options: Options) -> Path:
    with workbook(path) as book:
        _summary_sheet(book, data, run_id)
        for category in (q.BMS, q.TMS, q.MERGED):
            _write_members(book, target, run_id, data, category, places, catalogue, options)
        _write_structure(book, target, run_id, data, places, catalogue, options)
        _write_members(book, target, run_id, data, q.NOTE, places, catalogue, options)
    return path


def page_data(data: PartyData, catalogue: Catalogue) -> dict:
    """The JSON the page's script reads (aggregates in full, records as a sample)."""
    codes = {r["code"] for r in data.code_rows}
    return {
        "codes": catalogue.as_json(sorted(codes)), "places": data.places, "provinces": data.provinces,
        "regionCodes": data.region_codes, "regionRecords": data.region_records,
        "categories": CATEGORY_LABELS, "recordTotals": data.record_totals,
        "records": [row for c in q.CATEGORIES for row in data.samples.get(c, [])],
        "structure": data.samples.get("structure", []), "structureTotal": data.structure_total,
    }


def write_html(path: Path, run_id: str, summary: dict, data: PartyData, catalogue: Catalogue,
               options: Options) -> Path:
    member_rows = [r for r in data.code_rows if r["group"] == "anggota"]
    code_chart = hbars([(r["code"], r["count"], "#1F4E79") for r in
                        sorted(member_rows, key=lambda r: -r["count"])[:15]], label_width=260,
                       title="Temuan anggota per kode")
    return write_page(
        path, "laporan.html.j2", party=data, run_id=run_id, settings=summary.get("settings", {}),
        ledger_chart=ledger_chart(data.ledger), code_chart=code_chart, outcomes=OUTCOMES,
        outcome_labels=OUTCOME_LABELS, categories=q.CATEGORIES, category_labels=CATEGORY_LABELS,
        member_rows=member_rows, structure_rows=[r for r in data.code_rows if r["group"] == "struktur"],
        sample_sizes={c: len(data.samples.get(c, [])) for c in q.CATEGORIES},
        record_limit=options.html_record_limit, masked=options.mask_nik,
        page_data=page_data(data, catalogue))


def write_page_data(path: Path, run_id: str, data: PartyData) -> Path:
    """laporan.json: the page's data as gathered (aggregates in full, the sample records, progress)."""
    with atomic_write(path) as handle:
        saved = {"run_id": run_id, **{f.name: getattr(data, f.name) for f in fields(data)}}
        json.dump(saved, handle, ensure_ascii=False, separators=(",", ":"))
    return path


def read_page_data(path: Path, run_id: str, code: str) -> PartyData | None:
    """The PartyData a run with the same findings wrote (`write_page_data`); None when `path` is
    missing, unreadable, or not that run's page of that party."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    names = [f.name for f in fields(PartyData)]
    if not isinstance(saved, dict) or saved.get("run_id") != run_id or saved.get("code") != code \
            or not set(names) <= set(saved):
        return None
    data = PartyData(**{name: saved[name] for name in names})
    data.samples = defaultdict(list, data.samples)
    return data


def write_party_report(target: Engine, run_id: str, party, summary: dict, out_dir: Path,
                       catalogue: Catalogue, places: PlaceBook, options: Options,
                       previous_run_id: str | None = None, pages_from: tuple[str, Path] | None = None) -> list[Path]:
    """`pages_from`: (run id, output folder) of a run with the same findings. The party's
    laporan.xlsx is then not written (the caller copies that run's), and the page data comes from
    that run's laporan.json when it holds it, else from the database (without the workbook)."""
    folder = out_dir / party.code
    paths = []
    data = None if pages_from is None else \
        read_page_data(pages_from[1] / party.code / "laporan.json", pages_from[0], party.code)
    if data is not None:
        data.progress = _progress(target, run_id, previous_run_id, party.code, catalogue)
    else:
        data = gather(target, run_id, party, summary, catalogue, places, previous_run_id)
        if pages_from is None:
            paths.append(write_xlsx(folder / "laporan.xlsx", target, run_id, data, places, catalogue, options))
        else:
            read_samples(target, run_id, data, places, catalogue, options)
    paths.append(write_html(folder / "laporan.html", run_id, summary, data, catalogue, options))
    paths.append(write_page_data(folder / "laporan.json", run_id, data))
    if options.pdf:
        from .pdf import write_summary_pdf

        # The writer process has time for the layout only when it writes no party workbook:
        # after the workbooks of a 2 M run, the PDFs made the run 10 s longer.
        pdf = write_summary_pdf(folder / "ringkasan.pdf", run_id, summary, data, in_writer=pages_from is not None)
        if pdf is not None:
            paths.append(pdf)
    return paths
