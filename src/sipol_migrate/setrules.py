"""Set-based member rules, in SQL on the staged run (FINDINGS.md): documents, duplicates, outcomes.

Order matters and follows the precedence of FINDINGS.md:
1. NIK_DUPLICATE_IN_PARTY: among a party's non-skipped rows with the same valid NIK the latest
   `updated_at` (missing = oldest, tie → highest id) is kept, every other copy is MERGED;
2. DOC_KTP_MISSING / DOC_KTA_MISSING on kept rows;
3. NIK_DUPLICATE_ACROSS_PARTIES on kept, non-TMS rows whose valid NIK is in 2+ parties;
4. the outcome of every kept row: TMS, else BMS (row or set BMS finding), else MS.

Both NIK rules look only at the rows whose valid NIK occurs more than once in the run: one hash
aggregate finds those NIKs, their rows are copied once into a small temporary table, and the
ranking, the MERGED copies and the parties per NIK are worked out there instead of in passes
over millions of staged rows. The document rule reads what the duplicate rule does not write,
so on PostgreSQL it runs at the same time on a second connection (the other core), over every
row kept before the merge, into a table of the run (`missing_table`); its findings then go in
but those of the copies merged meanwhile. The staging table has no index: the few rows a rule
writes again are found by where they are stored (`_row_ref`), not by a scan of millions.

Staging, the copies from the live tables and the party edits already wrote each kept row's
outcome as its row rules decide it (`row_status`), so only the rows a set rule changes are
written here: the extra copies (MERGED) and the MS rows with a set BMS finding (BMS). The phase
is idempotent: its transaction records that it ran (run_checkpoint phase "set"), and a later
attempt of the same run first puts back what it changed.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import (
    BigInteger, Column, Connection, Engine, Integer, MetaData, String, Table, Text, and_, cast,
    delete, exists, func, insert, literal, or_, select, union, union_all, update,
)
from sqlalchemy.sql.expression import ColumnClause
from sqlalchemy.types import UserDefinedType

from . import load
from .model import ANGGOTA
from .schema import stg_finding, stg_member, stg_upload
from .stage import mark_phase, phase_done

KEPT = stg_member.c.outcome.in_(("MS", "BMS", "TMS"))  # neither SKIPPED nor MERGED
DOCUMENT_CODES = {"ktp": "DOC_KTP_MISSING", "kta": "DOC_KTA_MISSING"}


class _RowRef(UserDefinedType):
    """Where a staged row is stored (PostgreSQL's ctid, SQLite's rowid): the rows a rule found
    are written again by it, without a scan of the unindexed staging table (a TID scan)."""

    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "TID"


def _row_ref(conn: Connection):
    name = "ctid" if conn.dialect.name == "postgresql" else "rowid"
    return ColumnClause(name, _RowRef(), _selectable=stg_member)  # a column of stg_member's FROM


# The staged rows whose valid NIK occurs more than once in the run, ranked within party and NIK
# (rank 1 is kept): a temporary table of the set rules' transaction.
_COPIES = Table(
    "set_rule_copy", MetaData(),
    Column("legacy_id", BigInteger, primary_key=True), Column("row_ref", _RowRef()),
    Column("party_code", String(20)), Column("nik", Text), Column("row_status", String(3)),
    Column("rank", Integer), Column("kept_id", BigInteger), prefixes=["TEMPORARY"],
)

_FINDING_COLUMNS = ["run_id", "party_code", "entity", "legacy_id", "code", "status", "field",
                    "detail", "origin"]


def _finding_select(run_id: str, rows, code: str, status: str, field: str | None, detail, where):
    return select(
        literal(run_id), rows.c.party_code, literal(ANGGOTA), rows.c.legacy_id, literal(code),
        literal(status), literal(field), detail, literal("set"),
    ).where(where)


def _insert_findings(conn: Connection, query) -> None:
    conn.execute(insert(stg_finding).from_select(_FINDING_COLUMNS, query))


def missing_table(run_id: str, postgres: bool = True) -> Table:
    """The rows without a document of a run (`find_missing_documents`): findings with their
    row's `row_ref`, in a table of their own, as their connection is not the set rules' one."""
    name = "set_rule_missing_" + re.sub(r"[^a-z0-9]", "_", run_id.lower())
    return Table(name, MetaData(), *(Column(c.name, c.type) for c in stg_finding.columns),
                 Column("row_ref", _RowRef()), prefixes=["UNLOGGED"] if postgres else [])


def drop_missing_table(conn: Connection, run_id: str) -> None:
    missing_table(run_id).drop(conn, checkfirst=True)


def reset(conn: Connection, run_id: str) -> None:
    conn.execute(delete(stg_finding).where(stg_finding.c.run_id == run_id, stg_finding.c.origin == "set"))
    m = stg_member
    conn.execute(update(m).where(
        m.c.run_id == run_id, or_(m.c.outcome.is_(None), m.c.outcome != "SKIPPED"),
        or_(m.c.outcome.is_distinct_from(m.c.row_status), m.c.kept_id.is_not(None)),
    ).values(outcome=m.c.row_status, kept_id=None))


def copy_repeated_niks(conn: Connection, run_id: str) -> None:
    """Fill the temporary `set_rule_copy` with the kept rows whose valid NIK is not unique."""
    m = stg_member
    candidate = and_(m.c.run_id == run_id, KEPT, m.c.nik_valid.is_(True))
    repeated = (select(m.c.nik).where(candidate).group_by(m.c.nik).having(func.count() > 1)
                .subquery("repeated"))  # a hash aggregate: no sort of millions of rows
    rows = select(m.c.legacy_id, _row_ref(conn).label("row_ref"), m.c.party_code, m.c.nik, m.c.row_status,
                  m.c.legacy_updated_at).where(candidate, m.c.nik.in_(select(repeated.c.nik))).subquery("rows")
    window = {"partition_by": (rows.c.party_code, rows.c.nik),
              "order_by": (rows.c.legacy_updated_at.desc().nulls_last(), rows.c.legacy_id.desc())}
    _COPIES.create(conn)
    conn.execute(insert(_COPIES).from_select(
        ["legacy_id", "row_ref", "party_code", "nik", "row_status", "rank", "kept_id"],
        select(rows.c.legacy_id, rows.c.row_ref, rows.c.party_code, rows.c.nik, rows.c.row_status,
               func.row_number().over(**window), func.first_value(rows.c.legacy_id).over(**window))))
    load.refresh_statistics(conn, [_COPIES])


def mark_duplicates_in_party(conn: Connection, run_id: str) -> None:
    m, c = stg_member, _COPIES
    conn.execute(update(m).where(_row_ref(conn) == c.c.row_ref, c.c.rank > 1)
                 .values(outcome="MERGED", kept_id=c.c.kept_id))
    detail = literal("kept=") + cast(c.c.kept_id, Text)
    _insert_findings(conn, _finding_select(run_id, c, "NIK_DUPLICATE_IN_PARTY", "MERGED", "nik", detail,
                                           c.c.rank > 1))


def _shared_niks():
    """The kept, non-TMS copies whose NIK is kept in 2+ parties."""
    c = _COPIES
    eligible = and_(c.c.rank == 1, c.c.row_status != "TMS", c.c.party_code.is_not(None))
    shared = (select(c.c.nik).where(eligible).group_by(c.c.nik)
              .having(func.min(c.c.party_code) != func.max(c.c.party_code)))  # 2+ parties, hashed
    return and_(eligible, c.c.nik.in_(shared))


def mark_duplicates_across_parties(conn: Connection, run_id: str) -> None:
    _insert_findings(conn, _finding_select(run_id, _COPIES, "NIK_DUPLICATE_ACROSS_PARTIES", "BMS", "nik",
                                           literal(None, Text), _shared_niks()))


def find_missing_documents(conn: Connection, run_id: str) -> None:
    """Every row kept before the duplicate rule merged any (see the module) that lacks a KTP or
    a KTA upload, as DOC_*_MISSING findings in `missing_table`, with the row's `row_ref`."""
    m, u = stg_member, stg_upload
    missing = union_all(*(
        _finding_select(run_id, m, code, "BMS", None, literal(None, Text), and_(
            m.c.run_id == run_id, KEPT,
            ~exists().where(u.c.run_id == run_id, u.c.kind == kind, u.c.anggota_id == m.c.legacy_id),
        )).add_columns(_row_ref(conn))
        for kind, code in DOCUMENT_CODES.items()))
    found = missing_table(run_id, conn.dialect.name == "postgresql")
    found.drop(conn, checkfirst=True)  # an earlier attempt's
    found.create(conn)
    conn.execute(insert(found).from_select([*_FINDING_COLUMNS, "row_ref"], missing))


def mark_missing_documents(conn: Connection, run_id: str) -> None:
    """The findings of `missing_table`, but those of the MERGED copies (they are not kept)."""
    found, c = missing_table(run_id), _COPIES
    merged = select(c.c.legacy_id).where(c.c.rank > 1)
    _insert_findings(conn, select(*(found.c[name] for name in _FINDING_COLUMNS))
                     .where(found.c.legacy_id.not_in(merged)))


def decide_outcomes(conn: Connection, run_id: str) -> None:
    """TMS and BMS rows keep the outcome of their row rules; an MS row with a set BMS finding
    (a missing document, or its NIK in another party) becomes BMS."""
    m, found, c = stg_member, missing_table(run_id), _COPIES
    rows = union(select(found.c.row_ref), select(c.c.row_ref).where(_shared_niks())).subquery("set_bms")
    conn.execute(update(m).where(_row_ref(conn) == rows.c.row_ref, m.c.outcome == "MS").values(outcome="BMS"))


def _documents_alone(target: Engine, run_id: str) -> None:
    with target.begin() as conn:
        load.bulk_session(conn)
        # The duplicate rule keeps the other core busy: parallel workers here only took turns
        # with it (set rules at 2 M members: 11.5-12.1 s with them, 10.0 s without).
        conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
        find_missing_documents(conn, run_id)


def apply_member_set_rules(target: Engine, run_id: str) -> None:
    with target.begin() as conn:  # committed first: the document rule's connection must see it
        load.bulk_session(conn)
        load.refresh_statistics(conn, [stg_member, stg_upload, stg_finding], rough=True)
        again = phase_done(conn, run_id, "set")
        if again:  # an earlier attempt's changes: put back first
            reset(conn, run_id)
    beside = target.dialect.name == "postgresql"  # SQLite has one writer: all on one connection
    with ThreadPoolExecutor(1) as pool, target.begin() as conn:
        documents = pool.submit(_documents_alone, target, run_id) if beside else None
        load.bulk_session(conn)
        if beside:  # the rows just staged are in memory: fetching 80,000 of 2 M by TID took 1.0 s,
            # a scan 2.0 s, which the default cost of a random page (4) made look cheaper
            conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")
        copy_repeated_niks(conn, run_id)
        mark_duplicates_in_party(conn, run_id)
        mark_duplicates_across_parties(conn, run_id)
        if documents is None:
            find_missing_documents(conn, run_id)
        else:
            documents.result()
        mark_missing_documents(conn, run_id)
        decide_outcomes(conn, run_id)
        _COPIES.drop(conn)
        drop_missing_table(conn, run_id)
        if not again:
            mark_phase(conn, run_id, "set")
