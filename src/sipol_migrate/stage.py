"""Staging: legacy rows → normalised, rule-checked rows in the run's staging tables.

`transform_members` is pure (the unit under test); `stage_member_partition` streams one partition
(one legacy partai_id, or one id range of it) batch by batch and commits each batch together with
its checkpoint, so a crash loses at most one batch and a resumed run continues after the last
checkpoint.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, and_, func, select

from . import columnar, extract, load, memory
from .legacy import t_anggota, t_upload_kta, t_upload_ktp
from .log import get_logger
from .model import ANGGOTA
from .normalize import MEMBER_COLUMNS, as_int, map_member, parse_datetime
from .prefetch import prefetched
from .rules.member import MemberRuleContext, member_findings, nik_is_valid, row_status, translated_region
from .schema import run_checkpoint, stg_finding, stg_member, stg_upload

log = get_logger(__name__)

# The console progress display (set by the CLI); called with (partition label, rows staged).
_progress_hook: Callable[[str, int], None] | None = None


def set_progress_hook(hook: Callable[[str, int], None] | None) -> None:
    global _progress_hook
    _progress_hook = hook

# Rows per staged batch unless --batch-size says otherwise. A worker holds about two batches: as
# dicts (the per-row path) 10,000 rows are ~30 MB; as columns 25,000 are about as much, and
# fewer, larger batches cut polars' per-batch overhead by a third.
ROW_BATCH, COLUMN_BATCH = 10_000, 25_000


def rows_per_batch(batch_size: int | None, as_columns: bool = False) -> int:
    """`--batch-size` when given, else the default of the path that stages the rows."""
    return batch_size or (COLUMN_BATCH if as_columns else ROW_BATCH)


SKIPPED_ORPHAN = "SKIPPED_ORPHAN"
SKIPPED_PARTY_UNMAPPED = "SKIPPED_PARTY_UNMAPPED"
SKIPPED_DELETED = "SKIPPED_DELETED"


def party_of(codes: dict[int, str | None], partai_id: int | None) -> tuple[str | None, str | None]:
    """(party code, skip code) of a legacy partai_id, `codes` mapping every m_partai id to its
    party code (None: not in the party map)."""
    if partai_id not in codes:
        return None, SKIPPED_ORPHAN
    code = codes[partai_id]
    return code, None if code else SKIPPED_PARTY_UNMAPPED


@dataclass(frozen=True, eq=False)
class Partition:
    """One legacy partai_id's member rows, or those of one id range of it (`ids`: after, last —
    the rows with after < id <= last; last None: no upper bound). `party_code` is None for
    unmapped or orphan ids.

    A span (`partai_id` None) holds every party's rows of an id range, read in primary-key order;
    `parties` then maps each m_partai id to its party code (None: not in the party map), and
    each row is mapped by its own partai_id (`party_of`).

    `changed` is None when the partition is read whole, else the where-clause of the rows to
    read again in an incremental run (see `incremental.changed_rows`).
    """

    partai_id: int | None
    party_code: str | None
    skip_code: str | None  # SKIPPED_ORPHAN / SKIPPED_PARTY_UNMAPPED for the whole partition
    changed: object = None
    ids: tuple[int, int | None] | None = None
    parties: dict[int, str | None] | None = None  # a span's: m_partai id → party code

    @property
    def mapping(self) -> str:
        """What the partition maps to: a party code or a skip code."""
        return self.party_code or self.skip_code or ""

    @property
    def key(self) -> str:
        """Its checkpoints' partition_key: the partai_id ("*" for a span), and the id range when
        it has one."""
        party = "*" if self.partai_id is None else str(self.partai_id)
        if self.ids is None:
            return party
        after, last = self.ids
        return f"{party}:{after}-{'' if last is None else last}"

    @property
    def label(self) -> str:
        """For the console and the log (no row values)."""
        if self.partai_id is None:
            return "semua partai"
        return self.party_code or f"partai {self.partai_id}"

    def party_of(self, partai_id: int | None) -> tuple[str | None, str | None]:
        """(party code, skip code) of a row of this partition with that partai_id."""
        if self.parties is None:
            return self.party_code, self.skip_code
        return party_of(self.parties, partai_id)

    def __getstate__(self) -> dict:  # to a worker process or a Dask worker: see picklable.py
        from .picklable import dump_clause

        return {**self.__dict__, "changed": dump_clause(self.changed)}

    def __setstate__(self, state: dict) -> None:
        from .picklable import load_clause

        for name, value in {**state, "changed": load_clause(state["changed"])}.items():
            object.__setattr__(self, name, value)


@dataclass
class StageResult:
    partition: str
    rows_read: int = 0
    batches_done: int = 0
    batches_skipped: int = 0
    seconds: float = 0.0
    finished_at: float = 0.0  # time.time() when done (the flow's phase timings)


class FaultPlan:
    """Test-only: exit the process (as kill -9 would) at the N-th staged batch of the run,
    either inside its transaction while loading (`load`) or just after its commit."""

    def __init__(self, exit_at_batch: int | None = None, during: str = "between-batches"):
        self.exit_at_batch = exit_at_batch
        self.during = during
        self._started = 0
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:  # picklable for Dask: the lock stays behind
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _lock=threading.Lock())

    def batch_loading(self) -> None:
        """Called inside a batch's transaction, after its rows are written."""
        if self.exit_at_batch is None:
            return
        with self._lock:
            self._started += 1
            if self._started >= self.exit_at_batch and self.during == "load":
                os._exit(137)

    def batch_committed(self) -> None:
        if self.exit_at_batch is not None and self._started >= self.exit_at_batch:
            os._exit(137)


_STAGED_MEMBER_KEYS = tuple(c.name for c in stg_member.columns)


def _skipped(run_id: str, raw: dict, party_code: str | None, code: str):
    legacy_id = int(raw["id"])
    row = dict.fromkeys(_STAGED_MEMBER_KEYS)  # every staged row has the same keys (COPY columns)
    row.update(run_id=run_id, legacy_id=legacy_id, party_code=party_code,
               partai_id=int(raw["partai_id"]), is_deleted=bool(raw.get("is_deleted")),
               nik_valid=False, outcome="SKIPPED", origin="legacy")
    finding = {"run_id": run_id, "party_code": party_code, "entity": ANGGOTA, "legacy_id": legacy_id,
               "code": code, "status": "SKIPPED", "field": None, "detail": None, "origin": "row"}
    return row, finding


def transform_members(run_id: str, raws: list[dict], partition: Partition,
                      ctx: MemberRuleContext) -> tuple[list[dict], list[dict]]:
    """Map and check one batch: one staged row per legacy row, plus its row-level findings."""
    rows, findings = [], []
    for raw in raws:
        party_code, skip = partition.party_of(as_int(raw["partai_id"]))
        skip = skip or (SKIPPED_DELETED if raw.get("is_deleted") else None)
        if skip:
            row, finding = _skipped(run_id, raw, party_code, skip)
            rows.append(row)
            findings.append(finding)
            continue
        rec = map_member(raw, ctx.codes)
        found = member_findings(rec, ctx)
        rows.append(_staged_member(run_id, rec, party_code, translated_region(rec, ctx), found))
        findings.extend({"run_id": run_id, "party_code": party_code, "entity": f.entity,
                         "legacy_id": f.legacy_id, "code": f.code, "status": f.status,
                         "field": f.field, "detail": f.detail, "origin": "row"} for f in found)
    return rows, findings


def _staged_member(run_id, rec, party_code, region_code, found) -> dict:
    status = row_status(found)  # the outcome until the set rules say more (setrules.py)
    return {
        "run_id": run_id, "legacy_id": rec.legacy_id, "party_code": party_code,
        "partai_id": rec.partai_id, "nik": rec.nik, "name": rec.name,
        "birth_place": rec.birth_place, "birth_date": rec.birth_date, "gender": rec.gender,
        "marital_status": rec.marital, "occupation": rec.occupation, "address": rec.address,
        "no_kk": rec.no_kk, "region_code": region_code, "legacy_region_code": rec.region_2017,
        "kta_number": rec.kta_number, "unit_legacy_id": rec.unit_legacy_id,
        "name_repaired": rec.name_repaired, "nik_scientific": rec.nik_scientific,
        "legacy_updated_at": rec.updated_at, "is_deleted": False,
        "nik_valid": nik_is_valid(found), "row_status": status, "outcome": status,
        "kept_id": None, "origin": "legacy",
    }


def last_checkpoint(target: Engine, run_id: str, phase: str, key: str) -> tuple[int, int]:
    """(last committed id, batches committed) of a partition; (0, 0) when it has none."""
    query = select(func.max(run_checkpoint.c.last_id), func.count()).where(
        run_checkpoint.c.run_id == run_id, run_checkpoint.c.phase == phase,
        run_checkpoint.c.partition_key == key)
    with target.connect() as conn:
        last_id, batches = conn.execute(query).one()
    return int(last_id or 0), int(batches or 0)


def phase_done(conn, run_id: str, phase: str) -> bool:
    """Whether a step of the run that happens once (`mark_phase`) has committed."""
    c = run_checkpoint
    return conn.execute(select(c.c.run_id).where(c.c.run_id == run_id, c.c.phase == phase)).first() is not None


def mark_phase(conn, run_id: str, phase: str) -> None:
    """Record, in the caller's transaction, that a once-only step of the run is done."""
    conn.execute(run_checkpoint.insert().values(run_id=run_id, phase=phase, partition_key="-",
                                                batch_no=0, last_id=0, rows=0))


def _commit_batch(target: Engine, run_id: str, phase: str, key: str, batch_no: int,
                  last_id: int, writes: list[tuple], faults: FaultPlan, count: int | None = None) -> None:
    """A batch's staged rows and its checkpoint commit together, or not at all.

    `writes` holds (table, rows) pairs, rows a list of dicts or a polars frame (columnar.py);
    the checkpoint counts `count` rows, by default those of the first pair.

    PostgreSQL: the commit does not wait for the WAL flush (synchronous_commit off for this
    transaction only). A server crash can then lose the last batches committed — each with its
    own checkpoint row, so the next run re-stages exactly those: atomicity is kept, only the
    fsync wait per batch is saved."""
    with target.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        for table, rows in writes:
            load.write_rows(conn, table, rows)
        conn.execute(run_checkpoint.insert().values(
            run_id=run_id, phase=phase, partition_key=key, batch_no=batch_no, last_id=last_id,
            rows=len(writes[0][1]) if count is None else count))
        faults.batch_loading()
    faults.batch_committed()


def stage_member_partition(source: Engine, target: Engine, run_id: str, partition: Partition,
                           ctx: MemberRuleContext, batch_size: int | None, faults: FaultPlan) -> StageResult:
    result = StageResult(partition=partition.key)
    started = time.perf_counter()
    after_id, result.batches_skipped = last_checkpoint(target, run_id, "member", partition.key)
    first, last = partition.ids or (0, None)
    after_id = max(after_id, first)
    batch_no = result.batches_skipped
    columns = None if partition.skip_code is None else ["id", "partai_id", "is_deleted"]
    clauses = [] if partition.partai_id is None else [t_anggota.c.partai_id == partition.partai_id]
    if last is not None:
        clauses.append(t_anggota.c.id <= last)
    if partition.changed is not None:
        clauses.append(partition.changed)
    where = and_(*clauses) if clauses else None
    as_columns = columnar.usable(source, target, partition.changed)
    batch_size = rows_per_batch(batch_size, as_columns)
    if as_columns:
        batches = columnar.read_batches(source, "t_anggota", tuple(columns or MEMBER_COLUMNS), batch_size, after_id,
                                        partition.partai_id, last)
    else:
        batches = extract.iter_batches(source, t_anggota, batch_size=batch_size, after_id=after_id,
                                       where=where, columns=columns)
    for batch in prefetched(batches):  # the next batch is read meanwhile
        if as_columns:
            writes = columnar.transform(run_id, batch, partition, ctx)
            count, last_id = batch.height, int(batch["id"].max())
        else:
            rows, findings = transform_members(run_id, batch, partition, ctx)
            writes = [(stg_member, rows), (stg_finding, findings)]
            count, last_id = len(rows), rows[-1]["legacy_id"]
        batch_no += 1
        _commit_batch(target, run_id, "member", partition.key, batch_no, last_id, writes, faults, count)
        result.rows_read += count
        result.batches_done += 1
        if _progress_hook:
            _progress_hook(partition.label, count)
    memory.release(collect=False)  # glibc kept the partition's freed pages: its heap grew with each one
    result.seconds = time.perf_counter() - started
    result.finished_at = time.time()
    return result


def _staged_upload(run_id: str, kind: str, raw: dict) -> dict:
    return {"run_id": run_id, "kind": kind, "legacy_id": int(raw["id"]),
            "anggota_id": int(raw["anggota_id"]), "path": raw.get("path"),
            "size": raw.get("ukuran"), "uploaded_at": parse_datetime(raw.get("uploaded_at"))}


UPLOAD_TABLES = {"ktp": t_upload_ktp, "kta": t_upload_kta}


def stage_uploads(source: Engine, target: Engine, run_id: str, kind: str, batch_size: int | None,
                  faults: FaultPlan, changed=None) -> StageResult:
    table = UPLOAD_TABLES[kind]
    result = StageResult(partition=kind)
    started = time.perf_counter()
    after_id, result.batches_skipped = last_checkpoint(target, run_id, "upload", kind)
    batch_no = result.batches_skipped
    as_columns = columnar.usable(source, target, changed)
    batch_size = rows_per_batch(batch_size, as_columns)
    if as_columns:
        batches = columnar.read_batches(source, table.name, columnar.UPLOAD_COLUMNS, batch_size, after_id)
    else:
        batches = extract.iter_batches(source, table, batch_size=batch_size, after_id=after_id, where=changed)
    for batch in prefetched(batches):
        if as_columns:
            rows, count, last_id = columnar.transform_uploads(run_id, kind, batch), batch.height, int(batch["id"].max())
        else:
            rows = [_staged_upload(run_id, kind, raw) for raw in batch]
            count, last_id = len(rows), rows[-1]["legacy_id"]
        batch_no += 1
        _commit_batch(target, run_id, "upload", kind, batch_no, last_id, [(stg_upload, rows)], faults, count)
        result.rows_read += count
        result.batches_done += 1
    result.seconds = time.perf_counter() - started
    result.finished_at = time.time()
    return result
