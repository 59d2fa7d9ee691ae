"""Management units (t_kepengurusan) and officers (t_pengurus): staging, skips, ledger, publishing.

Both tables are small next to t_anggota, so every run reads them whole, batch by batch (keyset on
`id`), each batch committed with its checkpoint (phases `unit` and `officer`), like the members.
Every row ends MIGRATED or SKIPPED, decided here (FINDINGS.md, "Skipped rows"):

- a unit: SKIPPED_ORPHAN (its partai_id names no m_partai row), SKIPPED_PARTY_UNMAPPED (its party
  is not in the party map), SKIPPED_DELETED (is_deleted = 1), the first that applies;
- an officer, in the same order: ORPHAN when its unit does not exist or is orphan,
  PARTY_UNMAPPED when its unit's party is not mapped, DELETED when it or its unit is deleted.

Units of an unknown level or with an invalid region are migrated with their finding. The row
rules (rules/officer.py) run on active rows here; the set rules (coverage, women share, officers
present, membership minimum) run in SQL on the staged run (`setrules_units.py`).

`reconcile` has no legacy database: `stage_live_structure` stages the live `unit` / `officer`
rows instead (judged again by the same rules) and carries the previous run's SKIPPED rows over.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, delete, exists, func, or_, outerjoin, select
from sqlalchemy.dialects import postgresql, sqlite

from . import extract, load
from .errors import LedgerError
from .legacy import t_kepengurusan, t_pengurus
from .mappings import Codes, PartyMap
from .model import KEPENGURUSAN, PENGURUS, Finding, OfficerRecord, UnitRecord
from .normalize import map_officer, map_unit
from .regions import RegionBook
from .rules.officer import officer_findings, unit_findings, unit_region_valid
from .schema import finding, migration_run, officer, stg_finding, stg_officer, stg_unit, unit
from .stage import (
    SKIPPED_DELETED, SKIPPED_ORPHAN, SKIPPED_PARTY_UNMAPPED, FaultPlan, StageResult, _commit_batch,
    last_checkpoint, rows_per_batch,
)

if TYPE_CHECKING:
    from .pipeline import Inputs
    from .rules.member import MemberRuleContext

MIGRATED, SKIPPED = "MIGRATED", "SKIPPED"
SKIP_CODES = (SKIPPED_ORPHAN, SKIPPED_PARTY_UNMAPPED, SKIPPED_DELETED)
PHASE_UNIT, PHASE_OFFICER = "unit", "officer"
PARTITION = "all"  # one partition per phase: the tables are read whole
ENTITIES = {PHASE_UNIT: KEPENGURUSAN, PHASE_OFFICER: PENGURUS}


@dataclass(frozen=True)
class StructureContext:
    """What the unit and officer rows are judged against."""

    regions: RegionBook
    codes: Codes
    required_until: date  # Settings.office_required_until
    known: frozenset[int]  # every m_partai id
    mapped: dict[int, str]  # partai_id → party code, for the parties of the party map
    units: dict[int, UnitRecord]  # every unit of the source (officers look theirs up)


def structure_context(inputs: Inputs, units: dict[int, UnitRecord], known: Iterable[int]) -> StructureContext:
    return StructureContext(regions=inputs.regions, codes=inputs.codes,
                            required_until=inputs.settings.office_required_until,
                            known=frozenset(known), units=units,
                            mapped={p.legacy_id: p.code for p in inputs.parties.parties})


# --- skip decisions and row rules (pure) -------------------------------------------------------

def unit_skip(partai_id: int | None, is_deleted: bool, ctx: StructureContext) -> str | None:
    if partai_id not in ctx.known:
        return SKIPPED_ORPHAN
    if partai_id not in ctx.mapped:
        return SKIPPED_PARTY_UNMAPPED
    return SKIPPED_DELETED if is_deleted else None


def officer_skip(rec: OfficerRecord, ctx: StructureContext) -> str | None:
    owner = ctx.units.get(rec.unit_legacy_id) if rec.unit_legacy_id is not None else None
    if owner is None or owner.partai_id not in ctx.known:
        return SKIPPED_ORPHAN
    if owner.partai_id not in ctx.mapped:
        return SKIPPED_PARTY_UNMAPPED
    return SKIPPED_DELETED if rec.is_deleted or owner.is_deleted else None


def unit_region_code(rec: UnitRecord, regions: RegionBook) -> str | None:
    """A valid region goes under its 2022 translation; anything else keeps its 2017 code."""
    if rec.level is not None and rec.region_2017 and unit_region_valid(rec, regions):
        return regions.translate(rec.region_2017) or rec.region_2017
    return rec.region_2017


def _finding_row(run_id: str, party_code: str | None, f: Finding) -> dict:
    return {"run_id": run_id, "party_code": party_code, "entity": f.entity, "legacy_id": f.legacy_id,
            "code": f.code, "status": f.status, "field": f.field, "detail": f.detail, "origin": "row"}


def _skip_finding(run_id: str, party_code: str | None, entity: str, legacy_id: int, code: str) -> dict:
    return _finding_row(run_id, party_code, Finding(entity, legacy_id, code, SKIPPED))


def staged_unit(run_id: str, rec: UnitRecord, party_code: str | None, outcome: str,
                regions: RegionBook) -> dict:
    return {
        "run_id": run_id, "legacy_id": rec.legacy_id, "party_code": party_code,
        "partai_id": rec.partai_id, "level": rec.level, "level_raw": rec.level_raw,
        "region_code": unit_region_code(rec, regions), "legacy_region_code": rec.region_2017,
        "no_sk": rec.no_sk, "sk_date": rec.sk_date, "office_address": rec.office_address,
        "office_status": rec.office_status, "office_valid_until": rec.office_valid_until,
        "region_valid": rec.level is not None and unit_region_valid(rec, regions),
        "is_deleted": rec.is_deleted, "outcome": outcome,
    }


def transform_units(run_id: str, records: Iterable[UnitRecord], ctx: StructureContext) -> tuple[list, list]:
    """One staged row per unit, its skip finding or its row findings."""
    rows, findings = [], []
    for rec in records:
        party_code = ctx.mapped.get(rec.partai_id) if rec.partai_id in ctx.known else None
        skip = unit_skip(rec.partai_id, rec.is_deleted, ctx)
        rows.append(staged_unit(run_id, rec, party_code, SKIPPED if skip else MIGRATED, ctx.regions))
        if skip:
            findings.append(_skip_finding(run_id, party_code, KEPENGURUSAN, rec.legacy_id, skip))
        else:
            found = unit_findings(rec, ctx.regions, ctx.required_until, ctx.codes)
            findings.extend(_finding_row(run_id, party_code, f) for f in found)
    return rows, findings


def staged_officer(run_id: str, rec: OfficerRecord, party_code: str | None, partai_id: int | None,
                   outcome: str) -> dict:
    return {
        "run_id": run_id, "legacy_id": rec.legacy_id, "unit_legacy_id": rec.unit_legacy_id,
        "party_code": party_code, "partai_id": partai_id, "role": rec.role, "role_raw": rec.role_raw,
        "nik": rec.nik, "name": rec.name, "gender": rec.gender, "phone": rec.phone,
        "is_deleted": rec.is_deleted, "outcome": outcome,
    }


def transform_officers(run_id: str, records: Iterable[OfficerRecord], ctx: StructureContext) -> tuple[list, list]:
    rows, findings = [], []
    for rec in records:
        owner = ctx.units.get(rec.unit_legacy_id) if rec.unit_legacy_id is not None else None
        partai_id = owner.partai_id if owner is not None else None
        party_code = ctx.mapped.get(partai_id) if partai_id in ctx.known else None
        skip = officer_skip(rec, ctx)
        rows.append(staged_officer(run_id, rec, party_code, partai_id, SKIPPED if skip else MIGRATED))
        if skip:
            findings.append(_skip_finding(run_id, party_code, PENGURUS, rec.legacy_id, skip))
        else:
            findings.extend(_finding_row(run_id, party_code, f) for f in officer_findings(rec, ctx.regions))
    return rows, findings


# --- staging from the legacy database ----------------------------------------------------------

def _stage_phase(source: Engine, target: Engine, run_id: str, phase: str,
                 transform: Callable[[list[dict]], tuple[list, list]], batch_size: int,
                 faults: FaultPlan) -> StageResult:
    table, staged = ((t_kepengurusan, stg_unit) if phase == PHASE_UNIT else (t_pengurus, stg_officer))
    result = StageResult(partition=phase)
    started = time.perf_counter()
    after_id, result.batches_skipped = last_checkpoint(target, run_id, phase, PARTITION)
    batch_no = result.batches_skipped
    for raws in extract.iter_batches(source, table, batch_size=batch_size, after_id=after_id):
        rows, findings = transform(raws)
        batch_no += 1
        _commit_batch(target, run_id, phase, PARTITION, batch_no, rows[-1]["legacy_id"],
                      [(staged, rows), (stg_finding, findings)], faults)
        result.rows_read += len(rows)
        result.batches_done += 1
    result.seconds = time.perf_counter() - started
    return result


def stage_structure(inputs: Inputs, run_id: str, member_ctx: MemberRuleContext,
                    faults: FaultPlan | None = None) -> dict:
    """Stage every unit and officer of the source (resuming after the last checkpoint).

    The units the member rules loaded (`member_ctx.units`: every t_kepengurusan row) tell each
    officer its unit's party and state. Returns counts for the run's stats."""
    faults = faults or FaultPlan()
    ctx = structure_context(inputs, member_ctx.units, extract.party_ids(inputs.source))
    codes, size = inputs.codes, rows_per_batch(inputs.settings.batch_size)
    units = _stage_phase(inputs.source, inputs.target, run_id, PHASE_UNIT,
                         lambda raws: transform_units(run_id, (map_unit(r, codes) for r in raws), ctx),
                         size, faults)
    officers = _stage_phase(inputs.source, inputs.target, run_id, PHASE_OFFICER,
                            lambda raws: transform_officers(run_id, (map_officer(r, codes) for r in raws), ctx),
                            size, faults)
    return {"units_read": units.rows_read, "officers_read": officers.rows_read,
            "structure_batches_done": units.batches_done + officers.batches_done,
            "structure_batches_skipped": units.batches_skipped + officers.batches_skipped}


# --- staging from the live tables (reconcile) --------------------------------------------------

def unit_record_of(row) -> UnitRecord:
    """A UnitRecord of a live (or staged) unit row (values already normalised)."""
    m = row._mapping
    return UnitRecord(legacy_id=int(m["legacy_id"]), partai_id=int(m["partai_id"]), level=m["level"],
                      level_raw=m["level_raw"], region_2017=m["legacy_region_code"], no_sk=m["no_sk"],
                      sk_date=m["sk_date"], office_address=m["office_address"],
                      office_status=m["office_status"], office_valid_until=m["office_valid_until"],
                      is_deleted=False)


def officer_record_of(row) -> OfficerRecord:
    m = row._mapping
    return OfficerRecord(legacy_id=int(m["legacy_id"]), unit_legacy_id=m["unit_legacy_id"], role=m["role"],
                         role_raw=m["role_raw"], nik=m["nik"], nik_scientific=False, name=m["name"],
                         name_repaired=False, gender=m["gender"], phone=m["phone"], is_deleted=False)


def _clear_staged(conn: Connection, run_id: str) -> None:
    conn.execute(delete(stg_unit).where(stg_unit.c.run_id == run_id))
    conn.execute(delete(stg_officer).where(stg_officer.c.run_id == run_id))
    conn.execute(delete(stg_finding).where(stg_finding.c.run_id == run_id,
                                           stg_finding.c.entity.in_(ENTITIES.values())))


def stage_live_structure(inputs: Inputs, run_id: str) -> dict:
    """Stage the live units and officers (and the last run's SKIPPED ones) for a reconcile.

    One transaction, which first clears what an earlier attempt of the run staged."""
    with inputs.target.begin() as conn:
        _clear_staged(conn, run_id)
        units = {int(r.legacy_id): unit_record_of(r) for r in conn.execute(select(unit))}
        ctx = structure_context(inputs, units, {u.partai_id for u in units.values()})
        unit_rows, found = transform_units(run_id, units.values(), ctx)
        officers = [officer_record_of(r) for r in conn.execute(select(officer))]
        officer_rows, officer_found = transform_officers(run_id, officers, ctx)
        for table, rows in ((stg_unit, unit_rows), (stg_officer, officer_rows),
                            (stg_finding, found + officer_found)):
            load.write_rows(conn, table, rows)
        carried = carry_skipped(conn, run_id)
    return {"units_read": len(unit_rows), "officers_read": len(officer_rows), "skipped_carried": carried}


def carry_skipped(conn: Connection, run_id: str) -> int:
    """The SKIPPED units and officers of the last published run, staged again as they were."""
    r, f = migration_run, finding
    last = conn.execute(select(r.c.run_id).where(r.c.state == "published", r.c.run_id != run_id)
                        .order_by(r.c.started_at.desc()).limit(1)).scalar()
    if last is None:
        return 0
    carried = 0
    for entity, table in ((KEPENGURUSAN, stg_unit), (PENGURUS, stg_officer)):
        rows = conn.execute(select(f.c.legacy_id, f.c.party_code, f.c.code).where(
            f.c.run_id == last, f.c.entity == entity, f.c.code.in_(SKIP_CODES))).all()
        staged = set(conn.execute(select(table.c.legacy_id).where(table.c.run_id == run_id)).scalars())
        rows = [row for row in rows if int(row.legacy_id) not in staged]
        load.write_rows(conn, table, [{"run_id": run_id, "legacy_id": int(row.legacy_id),
                                       "party_code": row.party_code, "partai_id": None,
                                       "is_deleted": row.code == SKIPPED_DELETED, "outcome": SKIPPED}
                                      for row in rows])
        load.write_rows(conn, stg_finding, [_skip_finding(run_id, row.party_code, entity,
                                                          int(row.legacy_id), row.code) for row in rows])
        carried += len(rows)
    return carried


# --- the ledger --------------------------------------------------------------------------------

LEDGER_KEYS = ("read", "migrated", SKIPPED)


def source_structure_counts(source: Engine) -> dict[str, dict]:
    """Per legacy partai_id (an officer: its unit's; None when the unit does not exist): rows and
    sum of ids of t_kepengurusan and t_pengurus, computed in the source."""
    k, p = t_kepengurusan, t_pengurus
    units = select(k.c.partai_id, func.count(), func.sum(k.c.id)).group_by(k.c.partai_id)
    officers = (select(k.c.partai_id, func.count(p.c.id), func.sum(p.c.id))
                .select_from(outerjoin(p, k, k.c.id == p.c.kepengurusan_id)).group_by(k.c.partai_id))
    with source.connect() as conn:
        return {name: {None if pid is None else int(pid): (int(n), int(s or 0))
                       for pid, n, s in conn.execute(query)}
                for name, query in ((PHASE_UNIT, units), (PHASE_OFFICER, officers))}


def staged_structure_counts(target: Engine, run_id: str) -> dict[str, list[tuple]]:
    """(partai_id, party_code, outcome, rows, sum of ids) of the staged units and officers."""
    counts = {}
    with target.connect() as conn:
        for phase, table in ((PHASE_UNIT, stg_unit), (PHASE_OFFICER, stg_officer)):
            query = (select(table.c.partai_id, table.c.party_code, table.c.outcome, func.count(),
                            func.sum(table.c.legacy_id))
                     .where(table.c.run_id == run_id)
                     .group_by(table.c.partai_id, table.c.party_code, table.c.outcome))
            counts[phase] = [(None if pid is None else int(pid), code, outcome, int(n), int(s or 0))
                             for pid, code, outcome, n, s in conn.execute(query)]
    return counts


def structure_ledger(staged: dict[str, list[tuple]], parties: PartyMap) -> dict:
    """{'parties': {CODE: {'kepengurusan': {read, migrated, SKIPPED}, 'pengurus': {…}}}, 'total': {…}}"""
    def empty() -> dict:
        return dict.fromkeys(LEDGER_KEYS, 0)

    result = {"parties": {p.code: {ENTITIES[ph]: empty() for ph in ENTITIES} for p in parties.parties},
              "total": {ENTITIES[ph]: empty() for ph in ENTITIES}}
    for phase, rows in staged.items():
        entity = ENTITIES[phase]
        for _pid, code, outcome, n, _sum in rows:
            ledgers = [result["total"][entity]]
            if code in result["parties"]:
                ledgers.append(result["parties"][code][entity])
            for ledger in ledgers:
                ledger["read"] += n
                if outcome in (MIGRATED, SKIPPED):
                    ledger["migrated" if outcome == MIGRATED else SKIPPED] += n
    return result


def verify_structure(staged: dict[str, list[tuple]], source: dict[str, dict] | None, ledger: dict) -> None:
    """Raise LedgerError unless every source row was staged once and read = migrated + SKIPPED."""
    for phase, rows in staged.items():
        entity = ENTITIES[phase]
        undecided = sum(n for _pid, _code, outcome, n, _s in rows if outcome not in (MIGRATED, SKIPPED))
        if undecided:
            raise LedgerError(f"ledger: {undecided} {entity} rows have no outcome")
        if source is None:
            continue
        by_party: dict = {}
        for pid, _code, _outcome, n, id_sum in rows:
            seen = by_party.get(pid, (0, 0))
            by_party[pid] = (seen[0] + n, seen[1] + id_sum)
        for pid in sorted(set(by_party) | set(source[phase]), key=lambda v: (v is None, v or 0)):
            expected, found = source[phase].get(pid, (0, 0)), by_party.get(pid, (0, 0))
            if expected != found:
                raise LedgerError(
                    f"ledger: legacy partai_id {pid} has {expected[0]} {entity} rows in the source but "
                    f"{found[0]} were staged (id checksum {'equal' if expected[1] == found[1] else 'differs'})")
    for name, entities in [*ledger["parties"].items(), ("total", ledger["total"])]:
        for entity, counts in entities.items():
            if counts["read"] != counts["migrated"] + counts[SKIPPED]:
                raise LedgerError(f"ledger: {name} read {counts['read']} {entity} rows but "
                                  f"{counts['migrated'] + counts[SKIPPED]} have an outcome")


def finish_structure(inputs: Inputs, run_id: str) -> dict:
    """Set rules of units, officers and parties on the staged run, then their ledger (verified
    against the source when there is one). Runs after the member set rules (it reads the member
    outcomes). Raises LedgerError when a ledger does not balance."""
    from .setrules_units import apply_unit_set_rules

    apply_unit_set_rules(inputs.target, run_id, inputs.parties, inputs.settings.province_basis)
    staged = staged_structure_counts(inputs.target, run_id)
    ledger = structure_ledger(staged, inputs.parties)
    source = source_structure_counts(inputs.source) if inputs.source is not None else None
    verify_structure(staged, source, ledger)
    return ledger


# --- publishing --------------------------------------------------------------------------------

def _merge(conn: Connection, live, staged, run_id: str) -> None:
    """Live table := the staged MIGRATED rows; unchanged rows are not written again."""
    columns = [c.name for c in live.columns]
    rows = select(*[staged.c[name] for name in columns]).where(staged.c.run_id == run_id,
                                                               staged.c.outcome == MIGRATED)
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = dialect_insert(live).from_select(columns, rows)
    changed = or_(*[live.c[name].is_distinct_from(stmt.excluded[name]) for name in columns if name != "legacy_id"])
    conn.execute(stmt.on_conflict_do_update(
        index_elements=["legacy_id"], set_={name: stmt.excluded[name] for name in columns if name != "legacy_id"},
        where=changed))
    kept = exists().where(staged.c.run_id == run_id, staged.c.legacy_id == live.c.legacy_id,
                          staged.c.outcome == MIGRATED)  # NOT EXISTS: see publish.upsert_members
    conn.execute(delete(live).where(~kept))


def publish_structure(conn: Connection, run_id: str) -> None:
    """Inside the publishing transaction: `unit` and `officer` become the run's migrated rows."""
    _merge(conn, unit, stg_unit, run_id)
    _merge(conn, officer, stg_officer, run_id)


__all__ = [
    "StructureContext", "finish_structure", "publish_structure", "stage_live_structure",
    "stage_structure", "transform_officers", "transform_units",
]
