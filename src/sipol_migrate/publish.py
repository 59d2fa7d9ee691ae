"""Publishing: one transaction turns a staged, checked run into the live state.

Until this commits, the live tables are exactly as the previous run left them. A member row whose
current content no longer matches the fingerprint the migration wrote (`migrated_hash`) has been
corrected by its party: it is neither updated nor deleted.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger, Column, Connection, Engine, MetaData, Table, and_, case, delete, exists, func, insert, literal, or_,
    select, update,
)
from sqlalchemy.dialects import postgresql, sqlite

from . import load, units
from . import ledger as ledger_mod
from .model import ANGGOTA, MIGRATED_OUTCOMES
from .schema import (
    content_hash, finding, member, member_document, member_holding, member_row_finding,
    migration_run, party,
    region, run_checkpoint, stg_document, stg_finding, stg_member, stg_region, stg_upload, STAGING_TABLES,
)
from .stage import mark_phase, phase_done

_SHARED_MEMBER_COLUMNS = [c.name for c in member_holding.columns if c.name != "outcome"]
# Live members no longer kept, for one publishing transaction (a temporary table, not the schema's).
_GONE = Table("gone_member", MetaData(), Column("legacy_id", BigInteger, primary_key=True), prefixes=["TEMPORARY"])


def _dialect_insert(conn: Connection):
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def publish_reference(conn: Connection, run_id: str, parties) -> None:
    conn.execute(delete(party))
    conn.execute(insert(party), [{"code": p.code, "legacy_id": p.legacy_id, "name": p.name}
                                 for p in parties.parties])
    conn.execute(delete(region))
    columns = [c.name for c in region.columns]
    conn.execute(insert(region).from_select(
        columns, select(*[stg_region.c[name] for name in columns]).where(stg_region.c.run_id == run_id)))


def upsert_members(conn: Connection, run_id: str) -> None:
    s = stg_member
    columns = [*_SHARED_MEMBER_COLUMNS, "status", "migrated_hash", "migrated_run_id"]
    source = select(*[s.c[name] for name in _SHARED_MEMBER_COLUMNS], s.c.outcome,
                    content_hash(s), literal(run_id)).where(
        s.c.run_id == run_id, s.c.outcome.in_(MIGRATED_OUTCOMES))
    if conn.execute(select(member.c.legacy_id).limit(1)).first() is None:
        # The first migration fills an empty table: nothing to update, keep or remove.
        with load.indexes_built_after(conn, member):
            conn.execute(insert(member).from_select(columns, source))
        return
    stmt = _dialect_insert(conn)(member).from_select(columns, source)
    unedited = member.c.migrated_hash == content_hash(member)
    changed = or_(*[member.c[name].is_distinct_from(stmt.excluded[name])
                    for name in ("migrated_hash", "status", "row_status", "legacy_updated_at",
                                 "legacy_region_code", "nik_valid")])
    stmt = stmt.on_conflict_do_update(
        index_elements=["legacy_id"],
        set_={name: stmt.excluded[name] for name in columns if name != "legacy_id"},
        where=and_(unedited, changed))  # a rerun of unchanged data writes nothing
    conn.execute(stmt)
    # NOT EXISTS, not NOT IN: PostgreSQL hashes a NOT IN subquery only when it fits in work_mem,
    # else it rescans it per row (quadratic: hours at 2 M members); NOT EXISTS is a hash anti-join.
    kept = exists().where(s.c.run_id == run_id, s.c.legacy_id == member.c.legacy_id,
                          s.c.outcome.in_(MIGRATED_OUTCOMES))
    # The rows to drop first (an anti-join), then the fingerprint of those rows only: as one
    # statement PostgreSQL hashed the content of every live row (8 s at 2 M members) to delete
    # none of them on a first run.
    _GONE.create(conn)
    conn.execute(insert(_GONE).from_select(["legacy_id"], select(member.c.legacy_id).where(~kept)))
    load.refresh_statistics(conn, [_GONE])
    conn.execute(delete(member).where(member.c.legacy_id.in_(select(_GONE.c.legacy_id)), unedited))
    _GONE.drop(conn)


def replace_holding(conn: Connection, run_id: str) -> None:
    s = stg_member
    conn.execute(delete(member_holding))
    source = select(*[s.c[name] for name in _SHARED_MEMBER_COLUMNS], s.c.outcome).where(
        s.c.run_id == run_id, s.c.outcome.not_in(MIGRATED_OUTCOMES))
    conn.execute(insert(member_holding).from_select([*_SHARED_MEMBER_COLUMNS, "outcome"], source))


def _latest_upload(conn: Connection, run_id: str, kind: str):
    """Per member, its latest staged upload of `kind` (newest uploaded_at, missing = oldest,
    tie → highest id)."""
    u = stg_upload
    columns = (u.c.legacy_id, u.c.anggota_id, u.c.path, u.c.size, u.c.uploaded_at)
    newest = (u.c.uploaded_at.desc().nulls_last(), u.c.legacy_id.desc())
    of_kind = (u.c.run_id == run_id, u.c.kind == kind)
    if conn.dialect.name == "postgresql":  # DISTINCT ON: one sort, no window (5 s, not 8, for 4 M uploads)
        return select(*columns).where(*of_kind).ext(postgresql.distinct_on(u.c.anggota_id)) \
            .order_by(u.c.anggota_id, *newest).subquery(kind)
    ranked = select(*columns, func.row_number().over(partition_by=u.c.anggota_id, order_by=newest)
                    .label("rn")).where(*of_kind).subquery(f"{kind}_ranked")
    return select(*[ranked.c[c.name] for c in columns]).where(ranked.c.rn == 1).subquery(kind)


def _stage_documents(conn: Connection, run_id: str) -> None:
    """One document set per staged member (of any outcome): its latest KTP and latest KTA upload.

    Members not migrated keep theirs too, so a later run can decide DOC_* without re-reading
    every upload."""
    s = stg_member
    ktp, kta = _latest_upload(conn, run_id, "ktp"), _latest_upload(conn, run_id, "kta")
    query = (
        select(literal(run_id), s.c.legacy_id, s.c.party_code, ktp.c.legacy_id, ktp.c.path, ktp.c.size,
               ktp.c.uploaded_at, kta.c.legacy_id, kta.c.path, kta.c.size, kta.c.uploaded_at)
        .select_from(s.outerjoin(ktp, ktp.c.anggota_id == s.c.legacy_id)
                     .outerjoin(kta, kta.c.anggota_id == s.c.legacy_id))
        .where(s.c.run_id == run_id,
               (ktp.c.legacy_id.is_not(None)) | (kta.c.legacy_id.is_not(None)))
    )
    conn.execute(insert(stg_document).from_select([c.name for c in stg_document.columns], query))
    mark_phase(conn, run_id, "documents")


def prepare_documents(target: Engine, run_id: str) -> None:
    """The run's member_document rows into stg_document, computed again on every call.

    The flow calls it once the set rules are done (staging is final then, and their statistics
    are fresh), on its own connection while the unit rules and the quality gate run: it sorts
    4 M uploads, 11 s of one PostgreSQL backend at 2 M members (18 s inside the publishing
    transaction, which now only copies the rows). `replace_documents` computes them itself when they
    were not prepared."""
    with target.begin() as conn:
        load.bulk_session(conn)
        conn.execute(delete(stg_document).where(stg_document.c.run_id == run_id))
        c = run_checkpoint
        conn.execute(delete(c).where(c.c.run_id == run_id, c.c.phase == "documents"))
        _stage_documents(conn, run_id)


def replace_documents(conn: Connection, run_id: str) -> None:
    """member_document becomes the run's document sets (prepared or computed now)."""
    if not phase_done(conn, run_id, "documents"):
        _stage_documents(conn, run_id)
    d = stg_document
    columns = [c.name for c in member_document.columns]
    conn.execute(delete(member_document))
    with load.indexes_built_after(conn, member_document):
        conn.execute(insert(member_document).from_select(
            columns, select(*[d.c[name] for name in columns]).where(d.c.run_id == run_id)))


def copy_findings(conn: Connection, run_id: str) -> None:
    """Every finding of the run; a MERGED row keeps only NIK_DUPLICATE_IN_PARTY."""
    f, s = stg_finding, stg_member
    # A join on the staged member's key (a hash join), not a correlated subquery per finding.
    joined = f.outerjoin(s, and_(s.c.run_id == run_id, s.c.legacy_id == f.c.legacy_id))
    outcome = s.c.outcome
    member_outcome = case((f.c.entity == ANGGOTA, outcome), else_=None)
    dropped = and_(f.c.entity == ANGGOTA, f.c.origin == "row", outcome == "MERGED")
    query = select(f.c.run_id, f.c.party_code, f.c.entity, f.c.legacy_id, f.c.code, f.c.status,
                   member_outcome, f.c.field, f.c.detail).select_from(joined).where(f.c.run_id == run_id, ~dropped)
    conn.execute(insert(finding).from_select(
        ["run_id", "party_code", "entity", "legacy_id", "code", "status", "outcome", "field", "detail"],
        query))


def replace_row_findings(conn: Connection, run_id: str) -> None:
    """The current row-level findings of every staged member, for later runs to start from."""
    f = stg_finding
    conn.execute(delete(member_row_finding))
    query = select(f.c.legacy_id, f.c.code, f.c.status, f.c.field, f.c.detail).where(
        f.c.run_id == run_id, f.c.entity == ANGGOTA, f.c.origin == "row")
    conn.execute(insert(member_row_finding).from_select(["legacy_id", "code", "status", "field", "detail"], query))


def clear_staging(conn: Connection, run_id: str) -> None:
    """Drop the run's staged rows; on PostgreSQL a table holding no other run's rows is
    truncated (deleting 2 M staged members row by row took seconds). The table is locked before
    it is looked at, so no other run's batch can commit in between. Tables a killed quality gate
    or set rule phase of the run left behind are dropped too."""
    from .quality import drop_run_tables
    from .setrules import drop_missing_table

    drop_run_tables(conn, run_id)
    drop_missing_table(conn, run_id)
    for table in (*STAGING_TABLES, run_checkpoint):
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f'LOCK TABLE "{table.name}" IN ACCESS EXCLUSIVE MODE')
            others = select(table.c.run_id).where(table.c.run_id != run_id).limit(1)
            if conn.execute(others).first() is None:
                conn.exec_driver_sql(f'TRUNCATE "{table.name}"')
                continue
        conn.execute(delete(table).where(table.c.run_id == run_id))


def publish(target: Engine, run_id: str, parties, ledger: dict, stats: dict,
            members: bool = True, exit_before_commit: bool = False, before_commit=None) -> None:
    """Publish a staged run; `members=False` (reconcile) publishes its findings only.

    `before_commit(conn)` runs last inside the transaction (the outputs are written there, see
    pipeline.publish_run): when it raises, nothing is published.
    """
    with target.begin() as conn:
        load.bulk_session(conn)
        if members:
            publish_reference(conn, run_id, parties)
            upsert_members(conn, run_id)
            stats["reconciliation"] = ledger_mod.reconcile_members(conn, run_id)
            replace_holding(conn, run_id)
            replace_documents(conn, run_id)
            replace_row_findings(conn, run_id)
            units.publish_structure(conn, run_id)
        copy_findings(conn, run_id)
        conn.execute(update(migration_run).where(migration_run.c.run_id == run_id).values(
            state="published", finished_at=datetime.now(timezone.utc).replace(tzinfo=None),
            ledger=json.dumps(ledger), stats=json.dumps(stats)))
        clear_staging(conn, run_id)
        if before_commit is not None:
            # The reports read the live tables this transaction just filled: without fresh
            # statistics PostgreSQL plans their joins for the empty tables of a first run
            # (nested loops; the cross-party pairs never finished at 2 M members).
            load.refresh_statistics(conn, [member, member_holding, member_document, finding,
                                           member_row_finding])
            before_commit(conn)
        if exit_before_commit:  # test-only: a kill while publishing (Settings.fault_exit_at_phase)
            os._exit(137)
