"""Source health scan: what is wrong in the legacy database, counted per table and per party.

Read-only and pushed down: every count is an SQL aggregate computed in the source database
(MariaDB/MySQL, SQLite; PostgreSQL works too), the queries run in parallel on separate
connections, and only a few hundred grouped rows travel back. The scan is the first task of every
run (its result goes to the KPU report and `OUT/_kpu/scan.json`) and the `sipol-migrate scan`
command.

Class expressions (the NIK format class, a date's class, the mojibake flag) are evaluated once
per row and grouped on, instead of one `SUM(CASE …)` per class, because MariaDB re-evaluates
an expression for every aggregate that names it.

Counts per group (keys of the JSON, all integers):
- members (`t_anggota`, by `partai_id`): rows, deleted, is_deleted_out_of_range, party_orphan
  (partai_id not in m_partai), party_unmapped (not in the party map, when one is given),
  unit_empty, unit_missing (kepengurusan_id names no unit), unit_other_party,
  tgl_lahir_{null,zero,partial,placeholder,malformed}, updated_at_missing (NULL or zero),
  nama_blank, nama_mojibake, nik_{clean,separators,scientific,wrong_length,letters,other,empty},
  nik_duplicate_rows / nik_duplicate_groups (non-deleted rows sharing a normalised 16-digit NIK).
- units (`t_kepengurusan`, by `partai_id`): rows, deleted, is_deleted_out_of_range,
  party_orphan, party_unmapped, tingkat_unknown, tgl_sk_* and kantor_berlaku_sampai_* date
  classes, updated_at_missing.
- officers (`t_pengurus`, by the `partai_id` of their unit; `none` = unit missing): rows,
  deleted, is_deleted_out_of_range, unit_missing, nama_blank, nama_mojibake, nik_* classes.
- uploads (`t_upload_ktp`, `t_upload_kta`, totals): rows, member_missing, uploaded_at_missing,
  path_blank.

Date classes read the raw value (`CAST(col AS CHAR)`): zero is `0000-00-00`, partial has a zero
year, month or day, placeholder is a full date on or before 1900-01-01, malformed is anything
shorter than a date. NIK classes follow FINDINGS.md's normalisation (white space, `.`, `-`, then
one leading `'`): clean = exactly 16 digits as stored; separators = 16 digits after
normalisation; scientific = `E+` in the raw value; wrong_length = only digits, not 16; letters;
other; empty. Mojibake = double-encoded UTF-8 signatures `Ã`, `Â` or `â€` in the name.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer
from sqlalchemy import (
    Engine, String, and_, case, cast, func, literal_column, not_, or_, select, text,
)
from sqlalchemy.sql import ColumnElement

from .legacy import m_partai, t_anggota, t_kepengurusan, t_pengurus, t_upload_kta, t_upload_ktp
from .log import get_logger, mask_text

log = get_logger(__name__)

UNIT_LEVELS = ("pusat", "provinsi", "propinsi", "kabkota", "kabupatenkota", "kabupaten", "kota", "kecamatan")
NIK_CLASSES = ("clean", "separators", "scientific", "wrong_length", "letters", "other", "empty")
DATE_CLASSES = ("null", "zero", "partial", "placeholder", "malformed")
MOJIBAKE_SIGNATURES = ("Ã", "Â", "â€")
NIK_SEPARATORS = (" ", ".", "-", "\t", "\n", "\r", "\u00a0")
NO_UNIT = "none"  # officers whose unit does not exist


class _Sql:
    """Dialect-specific pieces of the scan's expressions (REGEXP, GLOB and byte search differ)."""

    def __init__(self, engine: Engine, latin1_names: bool):
        self.name = engine.dialect.name
        self.latin1_names = latin1_names

    def raw_text(self, col) -> ColumnElement:
        return cast(col, String) if self.name == "mysql" else col

    def digits(self, expr, exactly: int | None = None) -> ColumnElement:
        """expr is non-empty and only ASCII digits (of the given length)."""
        if self.name == "mysql":
            return expr.op("REGEXP", is_comparison=True)(f"^[0-9]{{{exactly}}}$" if exactly else "^[0-9]+$")
        if self.name == "postgresql":
            return expr.op("~", is_comparison=True)(f"^[0-9]{{{exactly}}}$" if exactly else "^[0-9]+$")
        only_digits = and_(expr != "", not_(expr.op("GLOB", is_comparison=True)("*[^0-9]*")))
        return and_(only_digits, func.length(expr) == exactly) if exactly else only_digits

    def has_letter(self, expr) -> ColumnElement:
        if self.name == "mysql":
            return expr.op("REGEXP", is_comparison=True)("[A-Za-z]")
        if self.name == "postgresql":
            return expr.op("~", is_comparison=True)("[A-Za-z]")
        return expr.op("GLOB", is_comparison=True)("*[A-Za-z]*")

    def contains(self, col, needle: str) -> ColumnElement:
        """Exact (binary, case- and accent-sensitive) substring test on a text column."""
        if self.name == "mysql":
            if self.latin1_names:  # the stored bytes: MySQL's latin1 is cp1252
                stored = needle.encode("cp1252").hex().upper()
                return func.locate(literal_column(f"X'{stored}'"),
                                   literal_column(f"BINARY {col.table.name}.{col.name}")) > 0
            converted = literal_column(f"CONVERT({col.table.name}.{col.name} USING utf8mb4) COLLATE utf8mb4_bin")
            return func.locate(needle, converted) > 0
        if self.name == "postgresql":
            return func.strpos(col, needle) > 0
        return func.instr(col, needle) > 0


def _normalised_nik(col) -> ColumnElement:
    stripped = col
    for sep in NIK_SEPARATORS:
        stripped = func.replace(stripped, sep, "")
    return case((stripped.like("'%"), func.substr(stripped, 2)), else_=stripped)


def _nik_class(sql: _Sql, col) -> ColumnElement:
    norm = _normalised_nik(col)
    return case(
        (sql.digits(col, 16), "clean"),
        (or_(col.is_(None), norm == ""), "empty"),
        (func.upper(col).like("%E+%"), "scientific"),
        (sql.digits(norm, 16), "separators"),
        (sql.has_letter(norm), "letters"),
        (sql.digits(norm), "wrong_length"),
        else_="other")


def _date_class(sql: _Sql, col) -> ColumnElement:
    if sql.name == "mysql":  # DATE values with zero parts: native functions, no string casts
        year, month, day = func.year(col), func.month(col), func.dayofmonth(col)
        return case(
            (col.is_(None), "null"),
            (and_(col > "1900-01-01", month > 0, day > 0), "ok"),  # the common case first
            (and_(year == 0, month == 0, day == 0), "zero"),
            (or_(year == 0, month == 0, day == 0), "partial"),
            else_="placeholder")
    raw = sql.raw_text(col)
    return case(
        (col.is_(None), "null"),
        (raw.like("0000-00-00%"), "zero"),
        (func.length(raw) < 10, "malformed"),
        (or_(func.substr(raw, 1, 4) == "0000", func.substr(raw, 6, 2) == "00",
             func.substr(raw, 9, 2) == "00"), "partial"),
        (raw <= "1900-01-01", "placeholder"),
        else_="ok")


def _datetime_missing(sql: _Sql, col) -> ColumnElement:
    zero = func.year(col) == 0 if sql.name == "mysql" else sql.raw_text(col).like("0000-00-00%")
    return case((or_(col.is_(None), zero), 1), else_=0)


def _deleted_class(col) -> ColumnElement:
    return case((col == 0, "active"), (col == 1, "deleted"), else_="out_of_range")


BLANK_CHARS = " \t\n\r\u00a0"  # FINDINGS.md: trimming removes all white space, NBSP included


def _blank(sql: _Sql, col) -> ColumnElement:
    if sql.name == "mysql":
        # MySQL cannot TRIM a set of characters; its PAD SPACE collations compare '   ' equal
        # to '', so only the other white space needs removing.
        stripped = col
        for ch in BLANK_CHARS[1:]:
            stripped = func.replace(stripped, ch, "")
        empty = stripped == ""
    elif sql.name == "postgresql":
        empty = func.btrim(col, BLANK_CHARS) == ""
    else:
        empty = func.trim(col, BLANK_CHARS) == ""
    return case((or_(col.is_(None), empty), 1), else_=0)


def _mojibake(sql: _Sql, col) -> ColumnElement:
    return case((or_(*[sql.contains(col, s) for s in MOJIBAKE_SIGNATURES]), 1), else_=0)


def _level_unknown(col) -> ColumnElement:
    level = func.lower(col)
    for ch in (" ", "/", "-", "."):
        level = func.replace(level, ch, "")
    return case((or_(col.is_(None), level.not_in(UNIT_LEVELS)), 1), else_=0)


# --------------------------------------------------------------------------- queries


def _member_query(sql: _Sql):
    a = t_anggota
    cols = [a.c.partai_id.label("g_party"), _deleted_class(a.c.is_deleted).label("g_deleted"),
            _nik_class(sql, a.c.nik).label("g_nik"), _date_class(sql, a.c.tgl_lahir).label("g_tgl_lahir"),
            _datetime_missing(sql, a.c.updated_at).label("g_updated_at_missing"),
            _blank(sql, a.c.nama).label("g_nama_blank"), _mojibake(sql, a.c.nama).label("g_nama_mojibake")]
    return select(*cols, func.count().label("n")).group_by(*[literal_column(c.name) for c in cols])


def _member_unit_query():
    """Member → unit references, grouped per (party, unit) first, so the join sees few rows."""
    a, k = t_anggota, t_kepengurusan
    refs = (select(a.c.partai_id, a.c.kepengurusan_id, func.count().label("n"))
            .group_by(a.c.partai_id, a.c.kepengurusan_id).subquery("refs"))
    unit_class = case((refs.c.kepengurusan_id.is_(None), "unit_empty"), (k.c.id.is_(None), "unit_missing"),
                      (k.c.partai_id != refs.c.partai_id, "unit_other_party"), else_="ok")
    return (select(refs.c.partai_id.label("g_party"), unit_class.label("g_unit"),
                   func.sum(refs.c.n).label("n"))
            .select_from(refs.outerjoin(k, k.c.id == refs.c.kepengurusan_id))
            .group_by(refs.c.partai_id, unit_class))


def _member_duplicate_query(sql: _Sql):
    a = t_anggota
    norm = _normalised_nik(a.c.nik)
    valid = and_(a.c.is_deleted == 0, func.upper(a.c.nik).not_like("%E+%"), sql.digits(norm, 16))
    groups = (select(a.c.partai_id, func.count().label("copies")).where(valid)
              .group_by(a.c.partai_id, norm).having(func.count() > 1).subquery("shared"))
    return select(groups.c.partai_id.label("g_party"), func.count().label("groups"),
                  func.sum(groups.c.copies).label("n")).group_by(groups.c.partai_id)


def _unit_query(sql: _Sql):
    k = t_kepengurusan
    cols = [k.c.partai_id.label("g_party"), _deleted_class(k.c.is_deleted).label("g_deleted"),
            _level_unknown(k.c.tingkat).label("g_tingkat_unknown"),
            _date_class(sql, k.c.tgl_sk).label("g_tgl_sk"),
            _date_class(sql, k.c.kantor_berlaku_sampai).label("g_kantor_berlaku_sampai"),
            _datetime_missing(sql, k.c.updated_at).label("g_updated_at_missing")]
    return select(*cols, func.count().label("n")).group_by(*[literal_column(c.name) for c in cols])


def _officer_query(sql: _Sql):
    p, k = t_pengurus, t_kepengurusan
    cols = [k.c.partai_id.label("g_party"), _deleted_class(p.c.is_deleted).label("g_deleted"),
            case((k.c.id.is_(None), 1), else_=0).label("g_unit_missing"),
            _nik_class(sql, p.c.nik).label("g_nik"), _blank(sql, p.c.nama).label("g_nama_blank"),
            _mojibake(sql, p.c.nama).label("g_nama_mojibake")]
    return (select(*cols, func.count().label("n"))
            .select_from(p.outerjoin(k, k.c.id == p.c.kepengurusan_id))
            .group_by(*[literal_column(c.name) for c in cols]))


def _upload_query(sql: _Sql, table):
    a = t_anggota
    return (select(func.count().label("rows"),
                   func.coalesce(func.sum(case((a.c.id.is_(None), 1), else_=0)), 0).label("member_missing"),
                   func.coalesce(func.sum(_datetime_missing(sql, table.c.uploaded_at)), 0).label("uploaded_at_missing"),
                   func.coalesce(func.sum(_blank(sql, table.c.path)), 0).label("path_blank"))
            .select_from(table.outerjoin(a, a.c.id == table.c.anggota_id)))


# --------------------------------------------------------------------------- running


# MySQL/MariaDB session settings while scanning: read-only transactions, and room for the
# in-memory GROUP BY of millions of NIKs (the 16 MB default spills it to disk, ~5x slower).
_MYSQL_SESSION = {"max_heap_table_size": "536870912", "tmp_table_size": "536870912"}


@contextmanager
def _read_only(engine: Engine):
    """A connection that cannot write (defence in depth: the scan only SELECTs)."""
    with engine.connect() as conn:
        if engine.dialect.name == "mysql":
            conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
            conn.exec_driver_sql("SET SESSION " + ", ".join(f"{k} = {v}" for k, v in _MYSQL_SESSION.items()))
        elif engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA query_only = 1")
        try:
            yield conn
        finally:
            conn.rollback()
            if engine.dialect.name == "mysql":
                conn.exec_driver_sql("SET SESSION TRANSACTION READ WRITE")
                conn.exec_driver_sql("SET SESSION " + ", ".join(f"{k} = DEFAULT" for k in _MYSQL_SESSION))
            elif engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA query_only = 0")


def _fetch(engine: Engine, query) -> list[dict]:
    """Rows as dicts; grouping labels carry a g_ prefix in SQL (MySQL resolves a GROUP BY name
    to a table column before an alias), dropped here."""
    with _read_only(engine) as conn:
        return [{k.removeprefix("g_"): v for k, v in row._mapping.items()} for row in conn.execute(query)]


def _latin1_names(engine: Engine) -> bool:
    if engine.dialect.name != "mysql":
        return False
    with _read_only(engine) as conn:
        charset = conn.execute(text(
            "SELECT CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME = 't_anggota' AND COLUMN_NAME = 'nama'")).scalar()
    return (charset or "").lower() == "latin1"


def _key(party) -> str:
    return NO_UNIT if party is None else str(int(party))


def _add_classes(counts: dict, row: dict, class_keys: dict[str, str]) -> None:
    """Add a grouped row's n to its counters: rows, deleted, and one counter per class column."""
    n = int(row["n"])
    counts["rows"] += n
    if row.get("deleted") == "deleted":
        counts["deleted"] += n
    elif row.get("deleted") == "out_of_range":
        counts["is_deleted_out_of_range"] += n
    for column, prefix in class_keys.items():
        value = row.get(column)
        if isinstance(value, str):
            if value != "ok":
                counts[f"{prefix}_{value}"] += n
        elif value:
            counts[prefix] += n


def _empty_counts(keys) -> defaultdict:
    counts = defaultdict(int)
    for key in keys:
        counts[key] = 0
    return counts


MEMBER_KEYS = ("rows", "deleted", "is_deleted_out_of_range", "party_orphan", "party_unmapped",
               "unit_empty", "unit_missing", "unit_other_party",
               *[f"tgl_lahir_{c}" for c in DATE_CLASSES], "updated_at_missing", "nama_blank",
               "nama_mojibake", *[f"nik_{c}" for c in NIK_CLASSES], "nik_duplicate_rows",
               "nik_duplicate_groups")
UNIT_KEYS = ("rows", "deleted", "is_deleted_out_of_range", "party_orphan", "party_unmapped",
             "tingkat_unknown", *[f"tgl_sk_{c}" for c in DATE_CLASSES],
             *[f"kantor_berlaku_sampai_{c}" for c in DATE_CLASSES], "updated_at_missing")
OFFICER_KEYS = ("rows", "deleted", "is_deleted_out_of_range", "unit_missing", "nama_blank",
                "nama_mojibake", *[f"nik_{c}" for c in NIK_CLASSES])
UPLOAD_KEYS = ("rows", "member_missing", "uploaded_at_missing", "path_blank")


def _by_party(rows: list[dict], keys, class_keys: dict[str, str]) -> dict[str, defaultdict]:
    result: dict[str, defaultdict] = {}
    for row in rows:
        _add_classes(result.setdefault(_key(row["party"]), _empty_counts(keys)), row, class_keys)
    return result


def _total(groups: dict[str, dict], keys) -> dict:
    total = _empty_counts(keys)
    for counts in groups.values():
        for key, value in counts.items():
            total[key] += value
    return dict(total)


def _mark_parties(groups: dict[str, defaultdict], known: set[int], mapped: set[int] | None) -> None:
    for key, counts in groups.items():
        if key == NO_UNIT:
            continue
        if int(key) not in known:
            counts["party_orphan"] = counts["rows"]
        elif mapped is not None and int(key) not in mapped:
            counts["party_unmapped"] = counts["rows"]


def scan_source(source: Engine, party_ids: dict[int, str] | None = None, *, workers: int = 3) -> dict:
    """Count the legacy database's known problems per table and party. Reads only.

    `party_ids`: the party map ({m_partai.id: code}); when given, parties are labelled with
    their code and rows of unmapped parties are counted as party_unmapped.
    """
    started = time.perf_counter()
    sql = _Sql(source, _latin1_names(source))
    queries = {  # longest first, so the parallel connections finish together
        "member_duplicates": _member_duplicate_query(sql), "members": _member_query(sql),
        "t_upload_ktp": _upload_query(sql, t_upload_ktp), "t_upload_kta": _upload_query(sql, t_upload_kta),
        "member_units": _member_unit_query(), "officers": _officer_query(sql), "units": _unit_query(sql),
        "parties": select(m_partai.c.id, m_partai.c.singkatan),
    }
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="scan") as pool:
        futures = {name: pool.submit(_fetch, source, query) for name, query in queries.items()}
        rows = {name: future.result() for name, future in futures.items()}

    known = {int(r["id"]) for r in rows["parties"]}
    mapped = set(party_ids) if party_ids is not None else None
    members = _by_party(rows["members"], MEMBER_KEYS, {
        "nik": "nik", "tgl_lahir": "tgl_lahir", "updated_at_missing": "updated_at_missing",
        "nama_blank": "nama_blank", "nama_mojibake": "nama_mojibake"})
    for row in rows["member_units"]:
        if row["unit"] != "ok":
            members.setdefault(_key(row["party"]), _empty_counts(MEMBER_KEYS))[row["unit"]] += int(row["n"])
    for row in rows["member_duplicates"]:
        counts = members.setdefault(_key(row["party"]), _empty_counts(MEMBER_KEYS))
        counts["nik_duplicate_rows"] += int(row["n"])
        counts["nik_duplicate_groups"] += int(row["groups"])
    units = _by_party(rows["units"], UNIT_KEYS, {
        "tingkat_unknown": "tingkat_unknown", "tgl_sk": "tgl_sk",
        "kantor_berlaku_sampai": "kantor_berlaku_sampai", "updated_at_missing": "updated_at_missing"})
    officers = _by_party(rows["officers"], OFFICER_KEYS, {
        "unit_missing": "unit_missing", "nik": "nik", "nama_blank": "nama_blank",
        "nama_mojibake": "nama_mojibake"})
    _mark_parties(members, known, mapped)
    _mark_parties(units, known, mapped)

    ids = sorted(known | {int(k) for g in (members, units, officers) for k in g if k != NO_UNIT})
    labels = {r["id"]: r["singkatan"] for r in rows["parties"]}
    result = {
        "scanned_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "dialect": source.dialect.name,
        "parties": {str(i): {"code": (party_ids or {}).get(i), "singkatan": labels.get(i),
                             "in_m_partai": i in known} for i in ids},
        "tables": {
            "t_anggota": _table(members, MEMBER_KEYS),
            "t_kepengurusan": _table(units, UNIT_KEYS),
            "t_pengurus": _table(officers, OFFICER_KEYS),
            **{name: {"total": {k: int(rows[name][0][k] or 0) for k in UPLOAD_KEYS}}
               for name in ("t_upload_ktp", "t_upload_kta")},
        },
    }
    result["seconds"] = round(time.perf_counter() - started, 2)
    log.info("source scanned", seconds=result["seconds"], members=result["tables"]["t_anggota"]["total"]["rows"])
    return result


def _table(groups: dict[str, defaultdict], keys) -> dict:
    ordered = dict(sorted(groups.items(), key=lambda kv: (kv[0] == NO_UNIT, int(kv[0]) if kv[0] != NO_UNIT else 0)))
    return {"total": _total(ordered, keys), "by_party": {k: dict(v) for k, v in ordered.items()}}


def write_scan_json(scan: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(scan, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(path)


# --------------------------------------------------------------------------- command line


def _party_label(scan: dict, key: str) -> str:
    info = scan["parties"].get(key) or {}
    return info.get("code") or info.get("singkatan") or (f"#{key}" if key != NO_UNIT else "(no unit)")


def print_scan(scan: dict, console=None) -> None:
    """One table per legacy table: every counter with a non-zero total, and its worst party."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    for name, table in scan["tables"].items():
        view = Table(title=f"{name}: {table['total']['rows']:,} rows", title_justify="left")
        view.add_column("check")
        view.add_column("rows", justify="right")
        has_parties = "by_party" in table
        if has_parties:
            view.add_column("most in party", justify="right")
        for key, value in table["total"].items():
            if key == "rows" or not value or (key.startswith("nik_clean")):
                continue
            cells = [key, f"{value:,}"]
            if has_parties:
                worst = max(table["by_party"].items(), key=lambda kv: kv[1].get(key, 0))
                cells.append(f"{_party_label(scan, worst[0])}: {worst[1].get(key, 0):,}")
            view.add_row(*cells)
        console.print(view)
    console.print(f"scanned in {scan['seconds']} s")


def scan_command(
    source: Optional[str] = typer.Option(None, help="Legacy database URL (or SIPOL_SOURCE_URL)."),
    out: Optional[Path] = typer.Option(None, help="Write the scan as JSON to this file."),
    party_map: Optional[Path] = typer.Option(None, help="Party map YAML, to label parties by code."),
) -> None:
    """Count the legacy database's data problems per table and party (reads only)."""
    import os
    import sys

    from .db import check_reachable, make_engine
    from .errors import SipolError

    url = source or os.environ.get("SIPOL_SOURCE_URL")
    try:
        if not url:
            from .errors import InputError

            raise InputError("no source database: pass --source or set SIPOL_SOURCE_URL")
        party_ids = None
        if party_map is not None:
            from .mappings import load_party_map

            party_ids = {p.legacy_id: p.code for p in load_party_map(party_map).parties}
        engine = make_engine(url)
        check_reachable(engine, "source")
        scan = scan_source(engine, party_ids)
        engine.dispose()
    except SipolError as exc:
        print(f"sipol-migrate: error: {mask_text(str(exc).splitlines()[0])}", file=sys.stderr)
        raise typer.Exit(exc.exit_code)
    except Exception as exc:  # a database error: one line, no traceback, no data
        reason = str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else ""
        print(f"sipol-migrate: error: scan failed: {type(exc).__name__}: {mask_text(reason)[:200]}",
              file=sys.stderr)
        raise typer.Exit(1)
    print_scan(scan)
    if out is not None:
        write_scan_json(scan, out)
        print(f"Scan: {out.resolve()}")
