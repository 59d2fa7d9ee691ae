"""The migration as plain functions; the Prefect tasks in `flow.py` wrap exactly these.

check_inputs → open_run → stage (members per partition, uploads) → complete staging (live rows
not read again, rows deleted outright, party edits) → set rules + ledger → quality gate →
publish → outputs. Nothing is written anywhere before `check_inputs` passes.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import time
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, select, update

from . import edits, extract, incremental, ledger as ledger_mod, load, member_workers, output, partitions, progress
from . import publish as publish_mod, report, setrules, unchanged
from . import __version__
from .db import TransactionView, check_reachable, make_engine
from .errors import InjectedFault, InputError, SipolError
from .legacy import t_kepengurusan
from .log import get_logger, mask_text
from .mappings import Codes, PartyMap, load_codes, load_column_map, load_party_map
from .normalize import map_unit
from .picklable import unbox
from .regions import RegionBook, load_region_csv
from .rules.member import MemberRuleContext
from . import quality as _quality  # noqa: F401  (registers quality_result on the schema)
from .schema import create_schema, migration_run, stg_region
from .settings import Settings, redact_url
from .stage import (
    UPLOAD_TABLES, FaultPlan, Partition, StageResult, mark_phase, phase_done, rows_per_batch, party_of,
    stage_member_partition, stage_uploads,
)

log = get_logger(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class Inputs:
    """Everything a run needs, checked: built by `check_inputs`, read-only afterwards."""

    settings: Settings
    source: Engine | None  # None for `reconcile`, which reads only the new database
    target: Engine
    parties: PartyMap
    codes: Codes
    regions: RegionBook
    region_rows: list[dict]  # both years, for the target's `region` table
    partitions: list[Partition]  # by party until open_run cuts them (partitions.py)
    source_counts: dict[int, tuple[int, int]]
    fingerprint: str
    id_bounds: dict[int, tuple[int, int]] = field(default_factory=dict)  # partai_id → smallest, largest id
    watermarks: incremental.Watermarks | None = None
    scan: dict | None = None  # the source health scan, written to DIR/_kpu/scan.json with the outputs
    upload_filters: dict = field(default_factory=dict)  # kind → where-clause (incremental)
    source_digest: dict | None = None  # legacy table checksums, recorded with the run (unchanged.py)
    unchanged: unchanged.Base | None = None  # set when nothing changed since that published run
    party_codes: dict[int, str | None] = field(default_factory=dict)  # m_partai id → party code (None: unmapped)

    @property
    def mappings(self) -> dict[str, str]:
        """partai_id → what its rows map to, a party code or a skip code (the watermarks)."""
        mapped = [party_of(self.party_codes, partai_id) for partai_id in self.source_counts]
        return {str(partai_id): code or skip for partai_id, (code, skip) in zip(self.source_counts, mapped)}

    @property
    def incremental_partai_ids(self) -> list[int]:
        return [p.partai_id for p in self.partitions if p.changed is not None]

    def __getstate__(self) -> dict:
        """Picklable (a Dask worker on another machine receives it): engines travel as a flag
        and are made again from the settings where the object lands (one per process)."""
        from .picklable import dump_clause

        state = dict(self.__dict__)
        state["source"], state["target"] = state["source"] is not None, True
        state["upload_filters"] = {k: dump_clause(v) for k, v in self.upload_filters.items()}
        return state

    def __setstate__(self, state: dict) -> None:
        from .db import cached_engine

        settings = state["settings"]
        state["source"] = cached_engine(settings.source(), "source") if state["source"] else None
        from .picklable import load_clause

        state["target"] = cached_engine(settings.target(), "target")
        state["upload_filters"] = {k: load_clause(v) for k, v in state["upload_filters"].items()}
        self.__dict__.update(state)


def _fingerprint(settings: Settings, kind: str) -> str:
    parts = {
        "kind": kind, "source": redact_url(settings.source_url), "rules": settings.rule_settings(),
        "party_map": unchanged.file_sha256(settings.party_map), "regions": unchanged.file_sha256(settings.regions_path),
        "codes": unchanged.file_sha256(settings.codes_file), "columns": unchanged.file_sha256(settings.columns_file),
        "mask_nik": settings.mask_nik, "version": __version__,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def check_inputs(settings: Settings) -> Inputs:
    """Validate mappings, region file, URLs and the source schema. Writes nothing."""
    parties = load_party_map(settings.party_map)
    codes = load_codes(settings.codes_file)
    column_map = load_column_map(settings.columns_file)
    regions_2022 = load_region_csv(settings.regions_path)
    source, target = make_engine(settings.source(), role="source"), make_engine(settings.target(), role="target")
    check_reachable(source, "source")
    check_reachable(target, "target")
    column_map.check_source(extract.reflect_source(source))
    column_map.check_target(check_target_schema(target))
    known_ids = extract.party_ids(source)
    unknown = sorted(p.legacy_id for p in parties.parties if p.legacy_id not in known_ids)
    if unknown:
        raise InputError(f"party map {settings.party_map.name}: legacy_id {unknown[0]} is not in m_partai")
    rows_2017 = extract.region_rows(source)
    counts = extract.member_counts_by_party(source)
    bounds = extract.member_id_bounds(source)
    marks = None if settings.full else incremental.last_watermarks(target)
    region_rows = [_region_row(2017, r) for r in rows_2017] + [_region_row(2022, r) for r in regions_2022]
    codes_of_parties = partitions.party_codes(parties, known_ids)
    return Inputs(settings=settings, source=source, target=target, parties=parties, codes=codes,
                  regions=RegionBook(rows_2017, regions_2022), region_rows=region_rows,
                  partitions=partitions.by_party(codes_of_parties, counts, marks), source_counts=counts,
                  id_bounds=bounds, fingerprint=_fingerprint(settings, "run"), watermarks=marks,
                  upload_filters=_upload_filters(marks), party_codes=codes_of_parties)


def compare_with_last_run(inputs: Inputs) -> tuple[dict | None, unchanged.Base | None]:
    """The source's checksums, and the last published run when nothing has changed since it
    (never with `--full` or `--recompute`). See unchanged.py."""
    if inputs.settings.full or inputs.settings.recompute:
        return extract.source_digest(inputs.source), None
    # Both sides at once: MariaDB checksums the legacy tables while PostgreSQL checksums the
    # live ones (a few seconds each at 2 M members; the live side is wasted when the source
    # changed, but then the run recomputes everything anyway).
    with ThreadPoolExecutor(max_workers=1) as pool:
        live = pool.submit(unchanged.live_state_of_last_run, inputs.target)
        digest = extract.source_digest(inputs.source)
        return digest, unchanged.find_base(inputs.target, inputs.fingerprint, digest, live.result())


def check_target_schema(target: Engine) -> dict[str, set[str]]:
    """The target's tables as this version of the project defines them; an existing table that
    lacks one of their columns (a target written by an older version) is refused by name."""
    from sqlalchemy import inspect

    from .schema import metadata

    inspector = inspect(target)
    existing = set(inspector.get_table_names())
    for table in metadata.sorted_tables:
        if table.name in existing:
            have = {c["name"] for c in inspector.get_columns(table.name)}
            lacking = [c.name for c in table.columns if c.name not in have]
            if lacking:
                raise InputError(f"target table {table.name} lacks column {lacking[0]}: it was created by "
                                 "another version of sipol-migrate")
    return {t.name: {c.name for c in t.columns} for t in metadata.sorted_tables}


def _upload_filters(marks: incremental.Watermarks | None) -> dict:
    if marks is None:
        return {}
    return {kind: incremental.changed_rows(table, "uploaded_at", marks.upload_max_id.get(kind, 0),
                                           marks.upload_updated) for kind, table in UPLOAD_TABLES.items()}


def _region_row(year: int, row: dict) -> dict:
    return {"year": year, "code": row["kode"], "name": row["nama"], "level": int(row["tingkat"]),
            "parent": row.get("induk") or None, "population": row.get("jumlah_penduduk")}


def open_run(inputs: Inputs, kind: str = "run") -> tuple[str, bool]:
    """Create the schema if needed; resume an unpublished run of the same inputs, else start one.

    Returns (run_id, resumed). Staging runs of other inputs are abandoned and their rows cleared.
    The partitions are cut into id ranges here (spans of the whole table, or a large party's
    ranges), as the run cut them when it started (partitions.py).
    """
    target = inputs.target
    create_schema(target)
    r = migration_run
    with target.begin() as conn:
        pending = conn.execute(select(r.c.run_id, r.c.fingerprint, r.c.stats).where(
            r.c.state == "staging", r.c.kind == kind)).all()
        for run_id, fingerprint, stats in pending:
            if fingerprint == inputs.fingerprint:
                log.info("run resumed", run_id=run_id)
                inputs.region_rows = []  # its stg_region rows were written when it started
                cuts = json.loads(stats or "{}").get("id_cuts", {})
                inputs.partitions = partitions.split(inputs.partitions, cuts, inputs.source_counts,
                                                     inputs.party_codes)
                return run_id, True
            publish_mod.clear_staging(conn, run_id)
            conn.execute(update(r).where(r.c.run_id == run_id).values(state="abandoned", finished_at=_now()))
        prefix = "c" if kind == "reconcile" else "r"  # run ids sort by time within a kind
        run_id = f"{prefix}{_now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        cuts = partitions.id_cuts(inputs.partitions, inputs.source_counts, inputs.id_bounds,
                                  inputs.settings.partition_rows)
        conn.execute(r.insert().values(
            run_id=run_id, kind=kind, started_at=_now(), state="staging", fingerprint=inputs.fingerprint,
            settings=json.dumps(inputs.settings.rule_settings()), stats=json.dumps({"id_cuts": cuts})))
        inputs.partitions = partitions.split(inputs.partitions, cuts, inputs.source_counts, inputs.party_codes)
        load.write_rows(conn, stg_region, [{"run_id": run_id, **row} for row in inputs.region_rows])
    inputs.region_rows = []  # in stg_region now: ~100 MB with the full lists, and every Dask task carries Inputs
    log.info("run started", run_id=run_id, incremental=inputs.watermarks is not None)
    return run_id, False


def member_context(inputs: Inputs) -> MemberRuleContext:
    units = {}
    for raw in extract.read_all(inputs.source, t_kepengurusan):
        unit = map_unit(raw, inputs.codes)
        units[unit.legacy_id] = unit
    return MemberRuleContext(regions=inputs.regions, units=units,
                             reference_date=inputs.settings.reference_date, codes=inputs.codes)


def stage_partition(inputs: Inputs, run_id: str, ctx: MemberRuleContext, partition: Partition,
                    faults: FaultPlan) -> StageResult:
    inputs, ctx, partition, faults = (unbox(x) for x in (inputs, ctx, partition, faults))  # Dask
    if member_workers.active(run_id):  # both cores: the partition runs in a worker process
        result = member_workers.stage_partition(inputs, run_id, partition)
    else:
        result = stage_member_partition(inputs.source, inputs.target, run_id, partition, ctx,
                                        inputs.settings.batch_size, faults)
    log.info("partition staged", partition=partition.label, ids=partition.ids,
             rows=result.rows_read, batches=result.batches_done,
             batches_skipped=result.batches_skipped, incremental=partition.changed is not None,
             rows_per_s=round(result.rows_read / result.seconds) if result.seconds else None)
    return result


def stage_upload_kind(inputs: Inputs, run_id: str, kind: str, faults: FaultPlan) -> StageResult:
    inputs, faults = unbox(inputs), unbox(faults)  # Shipped to a Dask worker
    if member_workers.active(run_id):
        return member_workers.stage_upload_kind(inputs, run_id, kind)
    return stage_uploads(inputs.source, inputs.target, run_id, kind, inputs.settings.batch_size,
                         faults, inputs.upload_filters.get(kind))


def complete_staging(inputs: Inputs, run_id: str, ctx: MemberRuleContext) -> dict:
    """Rows not read again (incremental), rows deleted outright, party edits. Each step once."""
    stats: dict = {"copied_from_live": 0, "deleted_outright": {}}
    with inputs.target.begin() as conn:
        if not phase_done(conn, run_id, "filled"):
            stats["copied_from_live"] = incremental.fill_from_live(conn, run_id, inputs.incremental_partai_ids)
            mark_phase(conn, run_id, "filled")
    staged = ledger_mod.staged_counts(inputs.target, run_id) if inputs.incremental_partai_ids else {}
    for partai_id in inputs.incremental_partai_ids:
        entry = staged.get(partai_id, {"rows": 0, "id_sum": 0})
        if (entry["rows"], entry["id_sum"]) != inputs.source_counts.get(partai_id, (0, 0)):
            gone = incremental.drop_deleted_outright(inputs.source, inputs.target, run_id, partai_id,
                                                     rows_per_batch(inputs.settings.batch_size))
            if gone:
                stats["deleted_outright"][str(partai_id)] = gone
    with inputs.target.begin() as conn:
        if not phase_done(conn, run_id, "edited"):
            stats.update(edits.apply_party_edits(conn, run_id, ctx))
            mark_phase(conn, run_id, "edited")
    return stats


def finish_staging(inputs: Inputs, run_id: str, expected: dict[int, tuple[int, int]] | None = None) -> dict:
    """Set rules and the member ledger on the staged run; raises LedgerError when it does not balance."""
    setrules.apply_member_set_rules(inputs.target, run_id)
    staged = ledger_mod.staged_counts(inputs.target, run_id)
    ledger = ledger_mod.member_ledger(staged, inputs.parties)
    ledger_mod.verify_members(staged, inputs.source_counts if expected is None else expected, ledger)
    return ledger


def prepare_documents(inputs: Inputs, run_id: str) -> None:
    """The run's member documents, ahead of the publish (publish.prepare_documents)."""
    publish_mod.prepare_documents(unbox(inputs).target, run_id)  # Shipped to a Dask worker


def publish_run(inputs: Inputs, run_id: str, ledger: dict, stats: dict, members: bool = True,
                summary: dict | None = None) -> None:
    """Publish the staged run. With `summary`, every output is first written, inside the
    publishing transaction, to `out_dir/.tmp-<run_id>` (`place_outputs` moves it into place after
    the commit): an output that cannot be written (a full disk) leaves the live tables unchanged."""
    if inputs.settings.fault_fail_before_publish:
        raise InjectedFault("fault injected before publishing (fault_fail_before_publish)")
    if members:
        with inputs.target.connect() as conn:
            stats["watermarks"] = incremental.compute_watermarks(conn, run_id, inputs.mappings)
    def before_commit(conn) -> None:
        if "reconciliation" in stats:  # computed inside the publishing transaction
            summary["reconciliation"] = stats["reconciliation"]
        pending = stage_outputs(inputs, run_id, summary, TransactionView(conn))
        if members:
            unchanged.record_base(conn, run_id, stats, summary, inputs.source_digest, inputs.settings.out_dir,
                                  pending)
    publish_mod.publish(inputs.target, run_id, inputs.parties, ledger, stats, members=members,
                        exit_before_commit=inputs.settings.fault_exit_at_phase == "publish",
                        before_commit=None if summary is None else before_commit)


def publish_unchanged(inputs: Inputs, run_id: str) -> dict:
    """Nothing changed since the run `inputs.unchanged` (see unchanged.py): publish its result
    again as `run_id`, outputs written inside the transaction as `publish_run` does. Returns the
    run's summary."""
    base = inputs.unchanged
    stats = {"resumed": False, "incremental": True, "unchanged_since": base.run_id, "rows_read": 0,
             "uploads_read": 0, "quality": base.stats.get("quality"), "watermarks": base.stats.get("watermarks")}
    summary = {"run_id": run_id, **base.summary, "settings": inputs.settings.rule_settings(),
               "stats": {k: v for k, v in stats.items() if k != "watermarks"}}
    if inputs.settings.fault_fail_before_publish:
        raise InjectedFault("fault injected before publishing (fault_fail_before_publish)")

    def before_commit(conn) -> None:
        pending = stage_outputs(inputs, run_id, summary, TransactionView(conn), base=base)
        unchanged.record_base(conn, run_id, stats, summary, inputs.source_digest, inputs.settings.out_dir,
                              pending, live=base.stats["base"]["live"])
    unchanged.publish(inputs.target, run_id, base, stats, before_commit)
    return summary


def scan_source(inputs: Inputs) -> dict:
    """The source health scan (read-only), the first step of a run; kept for DIR/_kpu/scan.json."""
    from . import scan

    started = time.perf_counter()
    result = scan.scan_source(inputs.source, {p.legacy_id: p.code for p in inputs.parties.parties})
    inputs.scan = result
    log.info("source scanned", seconds=round(time.perf_counter() - started, 1))
    return result


def quality_gate(inputs: Inputs, run_id: str, ledger: dict) -> dict:
    """Great Expectations on the staged run; a failing critical expectation raises
    QualityGateFailed and nothing is published. Data Docs and quality.json are written with the
    other outputs (DIR/.tmp-<run_id>/_kpu) and move into DIR/_kpu when the run publishes."""
    from . import quality

    kpu = _pending_outputs(inputs, run_id) / "_kpu"  # moved into DIR/_kpu with the other outputs
    try:
        report = quality.run_gate(inputs.target, run_id, ledger, kpu / "data-docs",
                                  results_json=kpu / "quality.json",
                                  reference_date=inputs.settings.reference_date)
    except OSError as exc:
        shutil.rmtree(kpu.parent, ignore_errors=True)
        raise OutputFailed(f"cannot write the quality results into {kpu}: {exc.strerror or type(exc).__name__}; "
                           f"nothing was published (the next run resumes run {run_id})") from None
    return {"expectations": len(report.results), "warnings": len(report.warnings),
            "seconds": round(report.seconds, 2)}


def mark_failed(inputs: Inputs, run_id: str, reason: str) -> None:
    """Record why a run stopped; its staged batches stay for the next run to resume.

    The reason is masked like a log line (a database error quotes row values) and loses NUL."""
    reason = mask_text(reason).replace("\x00", "")[:500]
    with inputs.target.begin() as conn:
        conn.execute(update(migration_run).where(migration_run.c.run_id == run_id,
                                                 migration_run.c.state == "staging")
                     .values(error=reason))


def summary_of(inputs: Inputs, run_id: str, ledger: dict, stats: dict, structure: dict | None = None) -> dict:
    """`structure`: the kepengurusan / pengurus ledgers (units.finish_structure), merged in."""
    parties = {code: {"anggota": counts} for code, counts in ledger["parties"].items()}
    total = {"anggota": ledger["total"]}
    if structure is not None:
        for code, entities in structure["parties"].items():
            parties.setdefault(code, {}).update(entities)
        total.update(structure["total"])
    return {
        "run_id": run_id,
        "parties": parties,
        "total": total,
        "settings": inputs.settings.rule_settings(),
        "stats": {k: v for k, v in stats.items() if k != "watermarks"},
    }


def write_outputs(inputs: Inputs, run_id: str, summary: dict, target=None, out: Path | None = None,
                  base: unchanged.Base | None = None) -> Path:
    """Every output of the run into `out` (default out_dir), read from `target` (default the
    target engine; publishing passes its own uncommitted transaction). With `base` (an unchanged
    rerun) the files that cannot differ are copied from that run's outputs instead."""
    out = inputs.settings.out_dir if out is None else out
    target = inputs.target if target is None else target
    if base is not None:
        unchanged.copy_outputs(base, out)
    previous = progress.previous_run(target, run_id)
    for p in inputs.parties.parties:
        if base is None:
            output.write_party_findings(target, run_id, p.code, out / p.code / "findings.csv")
        if previous:
            summary.setdefault("progress", {})[p.code] = progress.write_progress(
                target, run_id, previous, p.code, out / p.code / "progress.csv")
    if base is None:
        output.write_kpu_findings(target, run_id, out / "_kpu" / "findings.csv")
    output.write_summary(out / "summary.json", summary)
    if inputs.scan is not None and base is None:
        from .scan import write_scan_json

        write_scan_json(inputs.scan, out / "_kpu" / "scan.json")
    report.write_reports(target, run_id, out, summary, inputs.parties, mask_nik=inputs.settings.mask_nik,
                         previous_run_id=previous, pages_from=(base.run_id, base.out_dir) if base else None,
                         xlsx_process=inputs.settings.workers > 1)
    return out


class OutputFailed(SipolError):
    """The outputs could not be written (a full disk, a file size limit): nothing was published."""

    exit_code = 4


def _pending_outputs(inputs: Inputs, run_id: str) -> Path:
    return inputs.settings.out_dir / f".tmp-{run_id}"


def stage_outputs(inputs: Inputs, run_id: str, summary: dict, target,
                  base: unchanged.Base | None = None) -> Path:
    """Write the outputs into `out_dir/.tmp-<run_id>` (called inside the publishing transaction).

    Any failure removes the partial folder and raises, so the transaction rolls back; an OSError
    (EFBIG, ENOSPC, EACCES …) becomes a one-line OutputFailed."""
    out = inputs.settings.out_dir
    pending = _pending_outputs(inputs, run_id)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob(".tmp-*"):  # left by a run killed between its commit and the move
            if stale != pending:  # this run's own folder already holds the quality gate's files
                shutil.rmtree(stale, ignore_errors=True)
        return write_outputs(inputs, run_id, summary, target=target, out=pending, base=base)
    except OSError as exc:
        shutil.rmtree(pending, ignore_errors=True)
        reason = exc.strerror or type(exc).__name__
        code = f" ({errno.errorcode[exc.errno]})" if exc.errno in errno.errorcode else ""
        raise OutputFailed(f"cannot write the outputs into {out}: {reason}{code}; "
                           f"nothing was published (the next run resumes run {run_id})") from None
    except BaseException:
        shutil.rmtree(pending, ignore_errors=True)
        raise


def place_outputs(inputs: Inputs, run_id: str) -> Path:
    """Move the outputs written before the commit into out_dir (renames only: no new data)."""
    out, pending = inputs.settings.out_dir, _pending_outputs(inputs, run_id)
    if not pending.exists():
        return out
    for path in sorted(p for p in pending.rglob("*") if p.is_file()):
        final = out / path.relative_to(pending)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, final)
    shutil.rmtree(pending, ignore_errors=True)
    return out
