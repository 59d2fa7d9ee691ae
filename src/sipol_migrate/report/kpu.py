"""The KPU overview (`_kpu/laporan.html`, `_kpu/laporan.xlsx`): every party at a glance.

Counts only, plus the cross-party duplicate pairs by legacy id and party (no NIK, no name):
what KPU staff need to see where each party stands and which people two parties both list.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import islice
from pathlib import Path

from sqlalchemy import Engine, and_, func, select

from ..model import ANGGOTA
from ..output import CROSS_PARTY
from ..schema import finding, member, member_holding
from . import queries as q
from .catalogue import Catalogue
from .party import OUTCOMES, STATUS_ORDER
from .render import write_page
from .svg import OUTCOME_LABELS, stacked_rows
from .xlsx import Column, SheetStream, workbook

NO_PARTY = "(tanpa partai)"
SKIP_CODES = ("SKIPPED_ORPHAN", "SKIPPED_PARTY_UNMAPPED", "SKIPPED_DELETED")
HTML_PAIRS = 500
PAIR_COLUMNS = [Column("Partai A", 12), Column("ID lama A", 14, "number"), Column("Partai B", 12),
                Column("ID lama B", 14, "number")]


def code_party_counts(target: Engine, run_id: str) -> dict[tuple[str, str], dict[str, int]]:
    """(entity group, code) → {party or NO_PARTY: findings} over every finding of the run."""
    f = finding
    query = (select(f.c.party_code, f.c.entity, f.c.code, func.count()).where(f.c.run_id == run_id)
             .group_by(f.c.party_code, f.c.entity, f.c.code))
    result: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with target.connect() as conn:
        for party_code, entity, code, n in conn.execute(query):
            group = "anggota" if entity == ANGGOTA else "struktur"
            result[(group, code)][party_code or NO_PARTY] += int(n)
    return result


def _flagged(run_id: str):
    """Rows with the cross-party finding, with their NIK (kept in the database, never shown)."""
    f = finding
    kept = select(member.c.legacy_id, member.c.nik).union_all(
        select(member_holding.c.legacy_id, member_holding.c.nik)).subquery("kept")
    return (select(f.c.legacy_id, f.c.party_code, kept.c.nik)
            .join(kept, kept.c.legacy_id == f.c.legacy_id)
            .where(f.c.run_id == run_id, f.c.code == CROSS_PARTY).subquery())


def _pairs(run_id: str):
    flagged = _flagged(run_id)
    a, b = flagged.alias("a"), flagged.alias("b")
    return a, b, a.join(b, and_(a.c.nik == b.c.nik, a.c.party_code < b.c.party_code))


def pair_counts(target: Engine, run_id: str) -> list[tuple[str, str, int]]:
    a, b, joined = _pairs(run_id)
    query = (select(a.c.party_code, b.c.party_code, func.count()).select_from(joined)
             .group_by(a.c.party_code, b.c.party_code).order_by(a.c.party_code, b.c.party_code))
    with target.connect() as conn:
        return [(pa, pb, int(n)) for pa, pb, n in conn.execute(query)]


def pair_rows(target: Engine, run_id: str):
    """(party A, id A, party B, id B) of every cross-party pair, streamed."""
    a, b, joined = _pairs(run_id)
    query = (select(a.c.party_code, a.c.legacy_id, b.c.party_code, b.c.legacy_id).select_from(joined)
             .order_by(a.c.party_code, b.c.party_code, a.c.legacy_id, b.c.legacy_id))
    yield from q.stream(target, query)


def skipped_counts(target: Engine, run_id: str) -> list[tuple]:
    """(entity, code, party or NO_PARTY, legacy partai_id or None, rows) of the skipped rows."""
    f, h = finding, member_holding
    query = (select(f.c.entity, f.c.code, f.c.party_code, h.c.partai_id, func.count())
             .select_from(f.outerjoin(h, and_(h.c.legacy_id == f.c.legacy_id, f.c.entity == ANGGOTA)))
             .where(f.c.run_id == run_id, f.c.code.in_(SKIP_CODES))
             .group_by(f.c.entity, f.c.code, f.c.party_code, h.c.partai_id)
             .order_by(f.c.entity, f.c.code, f.c.party_code, h.c.partai_id))
    with target.connect() as conn:
        return [(e, c, p or NO_PARTY, pid, int(n)) for e, c, p, pid, n in conn.execute(query)]


def _matrix_rows(counts, parties: list[str], catalogue: Catalogue) -> list[dict]:
    rows = []
    for (group, code), by_party in counts.items():
        text = catalogue.get(code)
        rows.append({"group": group, "code": code, "judul": text.judul, "status": text.status,
                     "cells": [by_party.get(p, 0) for p in parties], "total": sum(by_party.values())})
    return sorted(rows, key=lambda r: (r["group"], STATUS_ORDER.get(r["status"], 9), r["code"]))


def _ledger_rows(summary: dict, parties) -> list[dict]:
    rows = []
    for p in parties.parties:
        counts = summary.get("parties", {}).get(p.code, {}).get("anggota", {})
        rows.append({"code": p.code, "name": p.name, **{k: int(counts.get(k, 0) or 0) for k in ("read", *OUTCOMES)}})
    total = summary.get("total", {}).get("anggota", {})
    return rows + [{"code": "TOTAL", "name": "Semua data (termasuk tanpa partai termigrasi)",
                    **{k: int(total.get(k, 0) or 0) for k in ("read", *OUTCOMES)}}]


def _progress_rows(target: Engine, run_id: str, previous_run_id: str | None, parties) -> list[dict] | None:
    if not previous_run_id:
        return None
    counts = q.progress_counts(target, run_id, previous_run_id)
    rows = []
    for p in parties.parties:
        per_code = counts.get(p.code, {}).values()
        rows.append({"code": p.code, "name": p.name,
                     **{k: sum(c[k] for c in per_code) for k in ("fixed", "new", "still_open")}})
    return rows


def _write_xlsx(path: Path, target, run_id: str, ctx: dict, row_limit: int) -> tuple[Path, int]:
    ledger_cols = [Column("Partai", 12), Column("Nama", 40), Column("Dibaca", 12, "number")] + \
        [Column(o, 12, "number") for o in OUTCOMES]
    with workbook(path) as book:
        blocks = [("Hasil migrasi anggota per partai", ledger_cols,
                   [[r["code"], r["name"], r["read"], *[r[o] for o in OUTCOMES]] for r in ctx["ledger"]])]
        if ctx["progress"] is not None:
            blocks.append((f"Kemajuan sejak proses {ctx['previous_run_id']}",
                           [Column("Partai", 12), Column("Nama", 40), Column("Diperbaiki", 12, "number"),
                            Column("Baru", 12, "number"), Column("Masih terbuka", 12, "number")],
                           [[r["code"], r["name"], r["fixed"], r["new"], r["still_open"]] for r in ctx["progress"]]))
        book.write_blocks("Ringkasan", [f"Ikhtisar migrasi Sipol 2017 untuk KPU — proses {run_id}"], blocks)
        code_cols = [Column("Kelompok", 10), Column("Kode", 30), Column("Temuan", 36), Column("Status", 9)] + \
            [Column(p, 11, "number") for p in ctx["columns"]] + [Column("Jumlah", 12, "number")]
        book.write_blocks("Temuan per kode", [], [("", code_cols, [
            [r["group"], r["code"], r["judul"], r["status"], *r["cells"], r["total"]] for r in ctx["matrix"]])])
        pairs = SheetStream(book, "Ganda lintas partai", PAIR_COLUMNS, row_limit)
        for pa, ida, pb, idb in pair_rows(target, run_id):
            pairs.add([pa, int(ida), pb, int(idb)])
        pairs.close()
        book.write_blocks("Dilewati", [], [("", [
            Column("Entitas", 13), Column("Kode", 26), Column("Partai", 14), Column("partai_id lama", 14, "number"),
            Column("Jumlah", 12, "number")], [list(r) for r in ctx["skipped"]])])
        if ctx["stats"]:
            book.write_blocks("Statistik", [], [("", [Column("Ukuran", 40), Column("Nilai", 20)],
                                                 [[k, str(v)] for k, v in ctx["stats"]])])
    return path, pairs.rows


def _scalar_stats(summary: dict) -> list[tuple[str, object]]:
    """The run's statistics that are plain counts or values (never personal data)."""
    flat = []
    for key, value in sorted((summary.get("stats") or {}).items()):
        if isinstance(value, (int, float, str, bool)):
            flat.append((key, value))
        elif isinstance(value, dict):
            flat.extend((f"{key}.{k}", v) for k, v in sorted(value.items())
                        if isinstance(v, (int, float, str, bool)))
    return flat


def _scan_rows(scan: dict | None) -> list[tuple[str, list[tuple[str, int]]]]:
    """The source health scan's totals per table (counts only), for the KPU page."""
    if not scan:
        return []
    return [(table, [(key, n) for key, n in totals.items() if isinstance(n, int) and n])
            for table, totals in scan.items()]


def write_kpu_report(target: Engine, run_id: str, summary: dict, parties, out_dir: Path,
                     catalogue: Catalogue, row_limit: int, previous_run_id: str | None = None) -> list[Path]:
    folder = out_dir / "_kpu"
    counts = code_party_counts(target, run_id)
    columns = [p.code for p in parties.parties]
    if any(NO_PARTY in by_party for by_party in counts.values()):
        columns.append(NO_PARTY)
    ctx = {"ledger": _ledger_rows(summary, parties), "columns": columns,
           "matrix": _matrix_rows(counts, columns, catalogue), "skipped": skipped_counts(target, run_id),
           "pair_counts": pair_counts(target, run_id), "stats": _scalar_stats(summary),
           "progress": _progress_rows(target, run_id, previous_run_id, parties),
           "previous_run_id": previous_run_id, "scan": _scan_rows(summary.get("scan"))}
    xlsx, pair_total = _write_xlsx(folder / "laporan.xlsx", target, run_id, ctx, row_limit)
    rows = pair_rows(target, run_id)
    sample = [[pa, int(ida), pb, int(idb)] for pa, ida, pb, idb in islice(rows, HTML_PAIRS)]
    rows.close()
    html = write_page(folder / "laporan.html", "kpu.html.j2", run_id=run_id, settings=summary.get("settings", {}),
                      chart=stacked_rows([(r["code"], r) for r in ctx["ledger"][:-1]]), outcomes=OUTCOMES,
                      outcome_labels=OUTCOME_LABELS, pair_total=pair_total, pairs=sample, **ctx)
    return [xlsx, html]
