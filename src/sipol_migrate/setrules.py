"""Set-based member rules, in SQL on the staged run (FINDINGS.md): documents, duplicates, outcomes.

Order matters and follows the precedence of FINDINGS.md:
1. NIK_DUPLICATE_IN_PARTY: among a party's non-skipped rows with the same valid NIK the latest
   `updated_at` (missing = oldest, tie → highest id) is kept, every other copy is MERGED;
2. DOC_KTP_MISSING / DOC_KTA_MISSING on kept rows;
3. NIK_DUPLICATE_ACROSS_PARTIES on kept, non-TMS rows whose valid NIK is in 2+ parties;
4. the outcome of every kept row: TMS, else BMS (row or set BMS finding), else MS.

Staging already wrote each kept row's outcome as its row rules decide it (`row_status`), so
only the rows a set rule changes are written here: the extra copies (MERGED) and the MS rows
with a set BMS finding (BMS). Rewriting every staged row (millions) was most of this phase.
The phase is idempotent: it first puts back what an earlier attempt of the same run changed
(rows copied from the live tables come with no outcome and get theirs the same way).
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, Text, and_, cast, delete, exists, func, insert, literal, or_, select, update

from . import load
from .model import ANGGOTA
from .schema import stg_finding, stg_member, stg_upload

KEPT = stg_member.c.outcome.in_(("MS", "BMS", "TMS"))  # neither SKIPPED nor MERGED


def _finding_select(run_id: str, code: str, status: str, field: str | None, detail, where):
    m = stg_member
    return select(
        literal(run_id), m.c.party_code, literal(ANGGOTA), m.c.legacy_id, literal(code),
        literal(status), literal(field), detail, literal("set"),
    ).where(m.c.run_id == run_id, where)


_FINDING_COLUMNS = ["run_id", "party_code", "entity", "legacy_id", "code", "status", "field",
                    "detail", "origin"]


def _insert_findings(conn: Connection, query) -> None:
    conn.execute(insert(stg_finding).from_select(_FINDING_COLUMNS, query))


def reset(conn: Connection, run_id: str) -> None:
    conn.execute(delete(stg_finding).where(stg_finding.c.run_id == run_id, stg_finding.c.origin == "set"))
    m = stg_member
    conn.execute(update(m).where(
        m.c.run_id == run_id, or_(m.c.outcome.is_(None), m.c.outcome != "SKIPPED"),
        or_(m.c.outcome.is_distinct_from(m.c.row_status), m.c.kept_id.is_not(None)),
    ).values(outcome=m.c.row_status, kept_id=None))


def mark_duplicates_in_party(conn: Connection, run_id: str) -> None:
    m = stg_member
    order = (m.c.legacy_updated_at.desc().nulls_last(), m.c.legacy_id.desc())
    window = {"partition_by": (m.c.party_code, m.c.nik), "order_by": order}
    candidate = and_(m.c.run_id == run_id, KEPT, m.c.nik_valid.is_(True))
    # Rank only the copies: a hash aggregate finds the repeated NIKs, so the sort the window
    # needs is over thousands of rows, not millions.
    repeated = (select(m.c.party_code, m.c.nik).where(candidate).group_by(m.c.party_code, m.c.nik)
                .having(func.count() > 1).subquery("repeated"))
    ranked = select(
        m.c.legacy_id,
        func.row_number().over(**window).label("rn"),
        func.first_value(m.c.legacy_id).over(**window).label("kept"),
    ).select_from(m.join(repeated, and_(m.c.party_code == repeated.c.party_code, m.c.nik == repeated.c.nik))
                  ).where(candidate).subquery("ranked")
    conn.execute(
        update(m).where(m.c.run_id == run_id, m.c.legacy_id == ranked.c.legacy_id, ranked.c.rn > 1)
        .values(outcome="MERGED", kept_id=ranked.c.kept))
    detail = literal("kept=") + cast(m.c.kept_id, Text)
    _insert_findings(conn, _finding_select(run_id, "NIK_DUPLICATE_IN_PARTY", "MERGED", "nik",
                                           detail, m.c.outcome == "MERGED"))


def mark_missing_documents(conn: Connection, run_id: str) -> None:
    m, u = stg_member, stg_upload
    for kind, code in (("ktp", "DOC_KTP_MISSING"), ("kta", "DOC_KTA_MISSING")):
        has_upload = exists().where(u.c.run_id == run_id, u.c.kind == kind, u.c.anggota_id == m.c.legacy_id)
        _insert_findings(conn, _finding_select(run_id, code, "BMS", None, literal(None, Text),
                                               and_(KEPT, ~has_upload)))


def mark_duplicates_across_parties(conn: Connection, run_id: str) -> None:
    m = stg_member
    eligible = and_(m.c.run_id == run_id, KEPT, m.c.nik_valid.is_(True), m.c.row_status != "TMS",
                    m.c.party_code.is_not(None))
    shared = (select(m.c.nik).where(eligible).group_by(m.c.nik)
              .having(func.min(m.c.party_code) != func.max(m.c.party_code)))  # 2+ parties, hashed
    _insert_findings(conn, _finding_select(run_id, "NIK_DUPLICATE_ACROSS_PARTIES", "BMS", "nik",
                                           literal(None, Text), and_(eligible, m.c.nik.in_(shared))))


def decide_outcomes(conn: Connection, run_id: str) -> None:
    """TMS and BMS rows keep the outcome of their row rules; an MS row with a set BMS finding
    becomes BMS."""
    m, f = stg_member, stg_finding
    set_bms = exists().where(f.c.run_id == run_id, f.c.entity == ANGGOTA, f.c.origin == "set",
                             f.c.status == "BMS", f.c.legacy_id == m.c.legacy_id)
    conn.execute(update(m).where(m.c.run_id == run_id, m.c.outcome == "MS", set_bms).values(outcome="BMS"))


def apply_member_set_rules(target: Engine, run_id: str) -> None:
    with target.begin() as conn:
        load.bulk_session(conn)
        load.refresh_statistics(conn, [stg_member, stg_upload, stg_finding])
        reset(conn, run_id)
        mark_duplicates_in_party(conn, run_id)
        mark_missing_documents(conn, run_id)
        mark_duplicates_across_parties(conn, run_id)
        decide_outcomes(conn, run_id)
