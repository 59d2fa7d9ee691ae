"""Incremental reruns: read only what changed in the legacy database, take the rest from the target.

A rerun stages the *whole* picture, so set rules and the ledger stay complete:
1. rows changed since the last published run are read from the source — `updated_at` at or after
   the watermark minus a safety overlap, ids above the partition's previous highest id, and every
   row whose `updated_at` is missing (NULL or a zero date: they cannot be dated, so they are
   always read again);
2. every other row of those partitions is copied from the live tables (`member`,
   `member_holding`, `member_row_finding`, `member_document`) into staging, in SQL;
3. a partition whose staged count or id sum then differs from the source has had rows deleted
   outright: its source ids are fetched (ids only) and the vanished rows are dropped and reported.
A partition that is new (a party added to the party map, or a changed mapping) is read whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, and_, delete, exists, func, insert, inspect, literal, or_, select

from . import extract, load
from .legacy import t_anggota
from .schema import (
    member, member_document, member_holding, member_row_finding, migration_run, outcome_after_row_rules,
    stg_finding, stg_member, stg_source_id, stg_upload,
)

OVERLAP = timedelta(hours=24)
_UNDATED = "1000-01-01"  # zero dates ('0000-00-00 00:00:00') sort below any real date


@dataclass
class Watermarks:
    """What the last published run saw: newest `updated_at`, highest id per partition."""

    run_id: str
    member_updated: datetime | None
    member_max_id: dict[str, int] = field(default_factory=dict)  # partai_id → id
    partitions: dict[str, str | None] = field(default_factory=dict)  # key → party code / skip code
    upload_updated: datetime | None = None
    upload_max_id: dict[str, int] = field(default_factory=dict)  # ktp / kta → id


def last_watermarks(target: Engine) -> Watermarks | None:
    """The watermarks of the last published migration; None on a new target (read everything)."""
    if not inspect(target).has_table(migration_run.name):
        return None
    r = migration_run
    query = (select(r.c.run_id, r.c.stats).where(r.c.state == "published", r.c.kind == "run")
             .order_by(r.c.finished_at.desc()).limit(1))
    with target.connect() as conn:
        row = conn.execute(query).first()
    if row is None or not row.stats:
        return None
    marks = json.loads(row.stats).get("watermarks")
    if not marks:
        return None
    return Watermarks(
        run_id=row.run_id,
        member_updated=_parse(marks.get("member_updated")),
        member_max_id={k: int(v) for k, v in marks.get("member_max_id", {}).items()},
        partitions=marks.get("partitions", {}),
        upload_updated=_parse(marks.get("upload_updated")),
        upload_max_id={k: int(v) for k, v in marks.get("upload_max_id", {}).items()},
    )


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _since(mark: datetime | None) -> str | None:
    return (mark - OVERLAP).strftime("%Y-%m-%d %H:%M:%S") if mark else None


def changed_rows(table, updated_column, max_id: int, mark: datetime | None):
    """Where-clause of the rows to read again: new ids, recent or undated timestamps."""
    column = table.c[updated_column]
    clauses = [table.c.id > max_id, column.is_(None), column < _UNDATED]
    since = _since(mark)
    if since:
        clauses.append(column >= since)
    return or_(*clauses)


def compute_watermarks(conn: Connection, run_id: str, partitions: dict[str, str | None]) -> dict:
    """The watermarks of a staged run, stored with it when it publishes."""
    m, u = stg_member, stg_upload
    updated = conn.execute(select(func.max(m.c.legacy_updated_at)).where(m.c.run_id == run_id)).scalar()
    max_ids = dict(conn.execute(select(m.c.partai_id, func.max(m.c.legacy_id))
                                .where(m.c.run_id == run_id).group_by(m.c.partai_id)).all())
    uploaded = conn.execute(select(func.max(u.c.uploaded_at)).where(u.c.run_id == run_id)).scalar()
    upload_ids = dict(conn.execute(select(u.c.kind, func.max(u.c.legacy_id))
                                   .where(u.c.run_id == run_id).group_by(u.c.kind)).all())
    return {
        "member_updated": _iso(updated), "member_max_id": {str(k): int(v) for k, v in max_ids.items()},
        "partitions": partitions, "upload_updated": _iso(uploaded),
        "upload_max_id": {k: int(v) for k, v in upload_ids.items()},
    }


def _iso(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


_SHARED = [c.name for c in member_holding.columns if c.name != "outcome"]


def fill_from_live(conn: Connection, run_id: str, partai_ids: list[int]) -> int:
    """Copy the live state of rows not read again into staging; returns rows copied."""
    if not partai_ids:
        return 0
    s = stg_member
    copied = 0
    not_staged = lambda table: ~exists().where(s.c.run_id == run_id, s.c.legacy_id == table.c.legacy_id)  # noqa: E731
    for table in (member, member_holding):
        outcome = table.c.row_status  # a live row is not SKIPPED
        if table is member_holding:
            outcome = outcome_after_row_rules(member_holding.c.outcome, outcome)
        query = select(literal(run_id), *[table.c[c] for c in _SHARED], literal(False), literal("live"),
                       outcome).where(table.c.partai_id.in_(partai_ids), not_staged(table))
        copied += conn.execute(insert(s).from_select(
            ["run_id", *_SHARED, "is_deleted", "origin", "outcome"], query)).rowcount or 0
    _copy_row_findings(conn, run_id)
    _copy_documents(conn, run_id)
    return copied


def _copy_row_findings(conn: Connection, run_id: str) -> None:
    s, f = stg_member, member_row_finding
    query = (select(literal(run_id), s.c.party_code, literal("anggota"), f.c.legacy_id, f.c.code,
                    f.c.status, f.c.field, f.c.detail, literal("row"))
             .join(s, and_(s.c.run_id == run_id, s.c.legacy_id == f.c.legacy_id, s.c.origin == "live")))
    conn.execute(insert(stg_finding).from_select(
        ["run_id", "party_code", "entity", "legacy_id", "code", "status", "field", "detail", "origin"], query))


def _copy_documents(conn: Connection, run_id: str) -> None:
    """The previous latest KTP / KTA of each member stand in for its uploads not read again."""
    d, u = member_document, stg_upload
    for kind in ("ktp", "kta"):
        legacy_id = d.c[f"{kind}_legacy_id"]
        query = select(literal(run_id), literal(kind), legacy_id, d.c.member_legacy_id,
                       d.c[f"{kind}_path"], d.c[f"{kind}_size"], d.c[f"{kind}_uploaded_at"]).where(
            legacy_id.is_not(None),
            ~exists().where(u.c.run_id == run_id, u.c.kind == kind, u.c.legacy_id == legacy_id))
        conn.execute(insert(u).from_select(
            ["run_id", "kind", "legacy_id", "anggota_id", "path", "size", "uploaded_at"], query))


def drop_deleted_outright(source: Engine, target: Engine, run_id: str, partai_id: int,
                          batch_size: int) -> list[int]:
    """Fetch the partition's source ids; drop staged rows that no longer exist. Returns their ids."""
    s = stg_member
    with target.begin() as conn:
        conn.execute(delete(stg_source_id).where(stg_source_id.c.run_id == run_id))
    for batch in extract.iter_batches(source, t_anggota, batch_size=batch_size, columns=["id"],
                                      where=t_anggota.c.partai_id == partai_id):
        with target.begin() as conn:
            load.write_rows(conn, stg_source_id, [{"run_id": run_id, "legacy_id": r["id"]} for r in batch])
    gone_clause = and_(s.c.run_id == run_id, s.c.partai_id == partai_id, ~exists().where(
        stg_source_id.c.run_id == run_id, stg_source_id.c.legacy_id == s.c.legacy_id))
    with target.begin() as conn:
        gone = [int(i) for i in conn.execute(select(s.c.legacy_id).where(gone_clause)).scalars()]
        if gone:
            conn.execute(delete(stg_finding).where(stg_finding.c.run_id == run_id,
                                                   stg_finding.c.legacy_id.in_(gone),
                                                   stg_finding.c.entity == "anggota"))
            conn.execute(delete(s).where(s.c.run_id == run_id, s.c.legacy_id.in_(gone)))
        conn.execute(delete(stg_source_id).where(stg_source_id.c.run_id == run_id))
    return gone
