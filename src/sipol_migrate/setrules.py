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
row kept before the merge; the findings of the copies merged meanwhile are then dropped.

Staging already wrote each kept row's outcome as its row rules decide it (`row_status`), so
only the rows a set rule changes are written here: the extra copies (MERGED) and the MS rows
with a set BMS finding (BMS). The phase is idempotent: it first puts back what an earlier
attempt of the same run changed (rows copied from the live tables come with no outcome and get
theirs the same way).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import (
    BigInteger, Column, Connection, Engine, Integer, MetaData, String, Table, Text, and_, cast,
    delete, exists, func, insert, literal, or_, select, update,
)

from . import load
from .model import ANGGOTA
from .schema import stg_finding, stg_member, stg_upload

KEPT = stg_member.c.outcome.in_(("MS", "BMS", "TMS"))  # neither SKIPPED nor MERGED
DOCUMENT_CODES = {"ktp": "DOC_KTP_MISSING", "kta": "DOC_KTA_MISSING"}

# The staged rows whose valid NIK occurs more than once in the run, ranked within party and NIK
# (rank 1 is kept): a temporary table of the set rules' transaction.
_COPIES = Table(
    "set_rule_copy", MetaData(),
    Column("legacy_id", BigInteger, primary_key=True), Column("party_code", String(20)),
    Column("nik", Text), Column("row_status", String(3)), Column("rank", Integer),
    Column("kept_id", BigInteger), prefixes=["TEMPORARY"],
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
    rows = select(m.c.legacy_id, m.c.party_code, m.c.nik, m.c.row_status, m.c.legacy_updated_at).where(
        candidate, m.c.nik.in_(select(repeated.c.nik))).subquery("rows")
    window = {"partition_by": (rows.c.party_code, rows.c.nik),
              "order_by": (rows.c.legacy_updated_at.desc().nulls_last(), rows.c.legacy_id.desc())}
    _COPIES.create(conn)
    conn.execute(insert(_COPIES).from_select(
        ["legacy_id", "party_code", "nik", "row_status", "rank", "kept_id"],
        select(rows.c.legacy_id, rows.c.party_code, rows.c.nik, rows.c.row_status,
               func.row_number().over(**window), func.first_value(rows.c.legacy_id).over(**window))))
    load.refresh_statistics(conn, [_COPIES])


def mark_duplicates_in_party(conn: Connection, run_id: str) -> None:
    m, c = stg_member, _COPIES
    conn.execute(update(m).where(m.c.run_id == run_id, m.c.legacy_id == c.c.legacy_id, c.c.rank > 1)
                 .values(outcome="MERGED", kept_id=c.c.kept_id))
    detail = literal("kept=") + cast(c.c.kept_id, Text)
    _insert_findings(conn, _finding_select(run_id, c, "NIK_DUPLICATE_IN_PARTY", "MERGED", "nik", detail,
                                           c.c.rank > 1))


def mark_duplicates_across_parties(conn: Connection, run_id: str) -> None:
    c = _COPIES
    eligible = and_(c.c.rank == 1, c.c.row_status != "TMS", c.c.party_code.is_not(None))
    shared = (select(c.c.nik).where(eligible).group_by(c.c.nik)
              .having(func.min(c.c.party_code) != func.max(c.c.party_code)))  # 2+ parties, hashed
    _insert_findings(conn, _finding_select(run_id, c, "NIK_DUPLICATE_ACROSS_PARTIES", "BMS", "nik",
                                           literal(None, Text), and_(eligible, c.c.nik.in_(shared))))


def mark_missing_documents(conn: Connection, run_id: str) -> None:
    """DOC_*_MISSING on every row kept before the duplicate rule merged any (see the module)."""
    m, u = stg_member, stg_upload
    for kind, code in DOCUMENT_CODES.items():
        has_upload = exists().where(u.c.run_id == run_id, u.c.kind == kind, u.c.anggota_id == m.c.legacy_id)
        _insert_findings(conn, _finding_select(run_id, m, code, "BMS", None, literal(None, Text),
                                               and_(m.c.run_id == run_id, KEPT, ~has_upload)))


def drop_documents_of_copies(conn: Connection, run_id: str) -> None:
    """A MERGED copy has no document findings: it is not kept."""
    f, c = stg_finding, _COPIES
    conn.execute(delete(f).where(
        f.c.run_id == run_id, f.c.origin == "set", f.c.code.in_(DOCUMENT_CODES.values()),
        f.c.legacy_id.in_(select(c.c.legacy_id).where(c.c.rank > 1))))


def decide_outcomes(conn: Connection, run_id: str) -> None:
    """TMS and BMS rows keep the outcome of their row rules; an MS row with a set BMS finding
    becomes BMS."""
    m, f = stg_member, stg_finding
    set_bms = exists().where(f.c.run_id == run_id, f.c.entity == ANGGOTA, f.c.origin == "set",
                             f.c.status == "BMS", f.c.legacy_id == m.c.legacy_id)
    conn.execute(update(m).where(m.c.run_id == run_id, m.c.outcome == "MS", set_bms).values(outcome="BMS"))


def _documents_alone(target: Engine, run_id: str) -> None:
    with target.begin() as conn:
        load.bulk_session(conn)
        mark_missing_documents(conn, run_id)


def apply_member_set_rules(target: Engine, run_id: str) -> None:
    with target.begin() as conn:  # committed first: the document rule's connection must see it
        load.bulk_session(conn)
        load.refresh_statistics(conn, [stg_member, stg_upload, stg_finding])
        reset(conn, run_id)
    beside = target.dialect.name == "postgresql"  # SQLite has one writer: all on one connection
    with ThreadPoolExecutor(1) as pool, target.begin() as conn:
        documents = pool.submit(_documents_alone, target, run_id) if beside else None
        load.bulk_session(conn)
        copy_repeated_niks(conn, run_id)
        mark_duplicates_in_party(conn, run_id)
        mark_duplicates_across_parties(conn, run_id)
        if documents is None:
            mark_missing_documents(conn, run_id)
        else:
            documents.result()
        drop_documents_of_copies(conn, run_id)
        decide_outcomes(conn, run_id)
        _COPIES.drop(conn)
