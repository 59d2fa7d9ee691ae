"""Party corrections: a migrated member the party changed in the new Sipol is never overwritten.

A member row is *edited* when its current content no longer hashes to `migrated_hash` (what the
migration wrote). For each edited row in a staged run:
- if its legacy row was read again and now differs from what was migrated, the KPU gets a
  CONFLICT_PARTY_EDITED finding (INFO) — the party's version is kept;
- the staged row takes the party's current content, and its row findings are judged again on
  that content, as `reconcile` does.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, delete, select, update

from . import load
from .model import ANGGOTA, MemberRecord
from .rules.member import MemberRuleContext, member_findings, nik_is_valid, row_status
from .schema import MEMBER_CONTENT, content_hash, member, outcome_after_row_rules, stg_finding, stg_member

CONFLICT = "CONFLICT_PARTY_EDITED"


def record_from_member(row, ctx: MemberRuleContext) -> MemberRecord:
    """A MemberRecord of the party's current version of a member (values already normalised)."""
    region_2017 = row.legacy_region_code
    if row.region_code != _translated(row.legacy_region_code, ctx):
        region_2017 = ctx.regions.legacy_code_of(row.region_code)
    return MemberRecord(
        legacy_id=int(row.legacy_id), partai_id=int(row.partai_id), unit_legacy_id=row.unit_legacy_id,
        nik=row.nik, nik_scientific=False, no_kk=row.no_kk, name=row.name, name_repaired=False,
        birth_place=row.birth_place, birth_date=row.birth_date, gender=row.gender,
        marital=row.marital_status, occupation=row.occupation, address=row.address,
        region_2017=region_2017, kta_number=row.kta_number, is_deleted=False,
        updated_at=row.legacy_updated_at)


def _translated(code: str | None, ctx: MemberRuleContext) -> str | None:
    valid, new = ctx.regions.domicile(code)
    return new if valid and new else code


def apply_party_edits(conn: Connection, run_id: str, ctx: MemberRuleContext) -> dict:
    """Keep every party-edited member as the party left it; flag conflicts. Returns counts."""
    s, m = stg_member, member
    edited = conn.execute(
        select(m, (content_hash(s) != m.c.migrated_hash).label("legacy_changed"), s.c.origin)
        .join(s, and_(s.c.run_id == run_id, s.c.legacy_id == m.c.legacy_id))
        .where(content_hash(m) != m.c.migrated_hash)).all()
    conflicts = 0
    for row in edited:
        if row.origin == "legacy" and row.legacy_changed:
            conflicts += 1
            _add(conn, run_id, row, CONFLICT, "INFO", "edit", f"legacy_id={row.legacy_id}")
        rec = record_from_member(row, ctx)
        found = member_findings(rec, ctx)
        status = row_status(found)
        conn.execute(update(s).where(s.c.run_id == run_id, s.c.legacy_id == row.legacy_id).values(
            **{name: row._mapping[name] for name in MEMBER_CONTENT},
            nik_valid=nik_is_valid(found), row_status=status,
            outcome=outcome_after_row_rules(s.c.outcome, status)))
        conn.execute(delete(stg_finding).where(
            stg_finding.c.run_id == run_id, stg_finding.c.entity == ANGGOTA,
            stg_finding.c.legacy_id == row.legacy_id, stg_finding.c.origin == "row"))
        for f in found:
            _add(conn, run_id, row, f.code, f.status, "row", f.detail, f.field)
    return {"party_edited": len(edited), "conflicts": conflicts}


def _add(conn, run_id, row, code, status, origin, detail=None, field=None) -> None:
    load.write_rows(conn, stg_finding, [{
        "run_id": run_id, "party_code": row.party_code, "entity": ANGGOTA, "legacy_id": row.legacy_id,
        "code": code, "status": status, "field": field, "detail": detail, "origin": origin}])
