"""Prefect flows: wiring only. Each task wraps one plain function of `pipeline` / `reconcile`.

Secrets never travel as flow parameters (Prefect stores parameters): the flow builds its
`Settings` from the non-secret `overrides` plus the SIPOL_* environment of the process, where the
CLI or the worker put the database URLs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from . import member_workers, memory, pipeline, reconcile, units
from .picklable import Shipped
from .timings import PhaseClock, add_to_summary
from .log import mask_prefect_handlers
from .settings import Settings
from .stage import FaultPlan

_TASK = {"cache_policy": NO_CACHE, "persist_result": False}
_RETRY = {"retries": 2, "retry_delay_seconds": 3}

check_inputs = task(pipeline.check_inputs, name="check-inputs", **_TASK)
check_reconcile_inputs = task(reconcile.check_inputs, name="check-inputs", **_TASK)
open_run = task(pipeline.open_run, name="open-run", **_TASK)
member_context = task(pipeline.member_context, name="load-units", **_TASK)
live_member_context = task(reconcile.member_context, name="load-units", **_TASK)
stage_partition = task(pipeline.stage_partition, name="stage-members", **_RETRY, **_TASK)
stage_upload_kind = task(pipeline.stage_upload_kind, name="stage-uploads", **_RETRY, **_TASK)
complete_staging = task(pipeline.complete_staging, name="complete-staging", **_RETRY, **_TASK)
finish_staging = task(pipeline.finish_staging, name="set-rules-and-ledger", **_TASK)
stage_structure = task(units.stage_structure, name="stage-units-officers", **_RETRY, **_TASK)
stage_live_structure = task(units.stage_live_structure, name="stage-units-officers", **_RETRY, **_TASK)
finish_structure = task(units.finish_structure, name="unit-rules-and-ledger", **_TASK)
prepare_documents = task(pipeline.prepare_documents, name="prepare-documents", **_TASK)
publish_run = task(pipeline.publish_run, name="publish", **_TASK)
publish_unchanged = task(pipeline.publish_unchanged, name="publish-unchanged", **_TASK)
compare_with_last_run = task(pipeline.compare_with_last_run, name="compare-with-last-run", **_TASK)
scan_source = task(pipeline.scan_source, name="scan-source", **_TASK)
quality_gate = task(pipeline.quality_gate, name="quality-gate", **_TASK)
write_outputs = task(pipeline.write_outputs, name="write-outputs", **_TASK)
place_outputs = task(pipeline.place_outputs, name="place-outputs", **_TASK)


def _publish_artifacts(summary: dict, out_dir) -> None:
    """The ledger per party and where the reports are: counts and paths only, no personal data."""
    rows = [{"party": code, **entities["anggota"]} for code, entities in summary["parties"].items()]
    rows.append({"party": "TOTAL", **summary["total"]["anggota"]})
    create_table_artifact(key="member-ledger", table=rows,
                          description=f"Member ledger of run {summary['run_id']} (counts only)")
    out = Path(out_dir).resolve()
    lines = [f"# Reports of run {summary['run_id']}", "", f"- summary: `{out / 'summary.json'}`",
             f"- KPU overview: `{out / '_kpu' / 'laporan.html'}`"]
    lines += [f"- {code}: `{out / code / 'laporan.html'}`, `{out / code / 'laporan.xlsx'}`"
              for code in summary["parties"]]
    create_markdown_artifact(key="report-paths", markdown="\n".join(lines),
                             description="Where this run's reports are")


def _wrapper(inputs: pipeline.Inputs):
    """How a submitted task's arguments travel. quote(): Prefect must not walk these objects
    looking for futures — they hold caches that other threads are filling, and walking them is
    wasted work. Dask drops quote(): Shipped pickles them instead (picklable.py)."""
    return Shipped if inputs.settings.task_runner == "dask" else quote


def _stage(inputs: pipeline.Inputs, run_id: str, ctx, faults: FaultPlan, clock=None) -> dict:
    wrap = _wrapper(inputs)
    shared, context = wrap(inputs), wrap(ctx)
    if member_workers.prepared():  # both cores: the tasks hand their work to processes
        member_workers.start(run_id, ctx)
    try:
        futures = [stage_partition.submit(shared, run_id, context, wrap(part), wrap(faults))
                   for part in inputs.partitions]
        futures += [stage_upload_kind.submit(shared, run_id, kind, wrap(faults)) for kind in ("ktp", "kta")]
        results = [f.result() for f in futures]
    finally:
        member_workers.shutdown()
    if clock is not None:
        clock.split("stage_members", max((r.finished_at for r in results[:-2]), default=time.time()))
        clock.mark("stage_uploads")
    return {
        "partitions": len(inputs.partitions),
        "rows_read": sum(r.rows_read for r in results if r.partition not in ("ktp", "kta")),
        "uploads_read": sum(r.rows_read for r in results if r.partition in ("ktp", "kta")),
        "batches_done": sum(r.batches_done for r in results),
        "batches_skipped": sum(r.batches_skipped for r in results),
    }


def run_migration(settings: Settings) -> dict:
    """The body of the migration flow."""
    mask_prefect_handlers()
    logger = get_run_logger()
    started = time.perf_counter()
    clock = PhaseClock()  # stats["timings"]: wall seconds per phase
    inputs = check_inputs(settings)
    clock.mark("check_inputs")
    inputs.source_digest, inputs.unchanged = compare_with_last_run(quote(inputs))
    clock.mark("compare_with_last_run")
    if inputs.unchanged is not None:
        return _run_unchanged(inputs, clock, started)
    member_workers.prepare(inputs)  # the staging processes start while the source is scanned
    try:
        scan = scan_source(quote(inputs))
        clock.mark("scan")
        run_id, resumed = open_run(quote(inputs))
    except BaseException:
        member_workers.shutdown()
        raise
    memory.release()  # the region rows open_run wrote are dropped: ~100 MB with the full lists
    documents = None
    try:
        ctx = member_context(quote(inputs))
        clock.mark("open_run_and_units")
        faults = FaultPlan(settings.fault_exit_at_batch, settings.fault_exit_during)
        stats = {"resumed": resumed, "incremental": inputs.watermarks is not None,
                 **_stage(inputs, run_id, ctx, faults, clock)}
        stats.update(complete_staging(quote(inputs), run_id, quote(ctx)))
        clock.mark("complete_staging")
        stats.update(stage_structure(quote(inputs), run_id, quote(ctx), quote(faults)))
        clock.mark("stage_structure")
        stats["stage_seconds"] = round(time.perf_counter() - started, 2)
        ledger = finish_staging(quote(inputs), run_id)
        clock.mark("set_rules")
        if inputs.target.dialect.name == "postgresql":  # on a connection of its own; SQLite has one writer
            documents = prepare_documents.submit(_wrapper(inputs)(inputs), run_id)
        structure = finish_structure(quote(inputs), run_id)  # after the member outcomes
        clock.mark("unit_rules")
        stats["quality"] = quality_gate(quote(inputs), run_id, ledger)
        clock.mark("gate")
        stats["timings"] = clock.as_dict()
        summary = pipeline.summary_of(inputs, run_id, ledger, stats, structure)
        summary["scan"] = {table: data["total"] for table, data in scan["tables"].items()}
        if documents is not None:
            documents.result()
        publish_run(quote(inputs), run_id, ledger, stats, summary=summary)  # outputs written before commit
    except Exception as exc:
        member_workers.shutdown()  # when it failed before staging began
        if documents is not None:
            documents.wait()  # its statement ends before the run is marked failed
        pipeline.mark_failed(inputs, run_id, f"{type(exc).__name__}: {exc}")
        raise
    if settings.fault_exit_at_phase == "report":
        os._exit(137)
    place_outputs(quote(inputs), run_id)
    clock.mark("publish_and_outputs")
    add_to_summary(settings.out_dir, summary, clock.as_dict())
    _publish_artifacts(summary, settings.out_dir)
    logger.info("run %s published in %.1f s", run_id, time.perf_counter() - started)
    return summary


def _run_unchanged(inputs: pipeline.Inputs, clock: PhaseClock, started: float) -> dict:
    """Nothing changed since the last published run (unchanged.py): publish its result again."""
    inputs.region_rows = []  # the region table is live already; nothing is staged
    run_id, _ = open_run(quote(inputs))
    try:
        summary = publish_unchanged(quote(inputs), run_id)
    except Exception as exc:
        pipeline.mark_failed(inputs, run_id, f"{type(exc).__name__}: {exc}")
        raise
    place_outputs(quote(inputs), run_id)
    clock.mark("publish_and_outputs")
    add_to_summary(inputs.settings.out_dir, summary, clock.as_dict())
    _publish_artifacts(summary, inputs.settings.out_dir)
    get_run_logger().info("run %s published in %.1f s: nothing changed since run %s", run_id,
                          time.perf_counter() - started, inputs.unchanged.run_id)
    return summary


def run_reconcile(settings: Settings) -> dict:
    """The body of the reconcile flow: findings only, from the new database as it stands."""
    mask_prefect_handlers()
    inputs = check_reconcile_inputs(settings)
    run_id, _ = open_run(quote(inputs), kind="reconcile")
    try:
        ctx = live_member_context(quote(inputs))
        stats = complete_staging(quote(inputs), run_id, quote(ctx))
        stats.update(stage_live_structure(quote(inputs), run_id))
        ledger = finish_staging(quote(inputs), run_id, inputs.source_counts)
        structure = finish_structure(quote(inputs), run_id)
        summary = pipeline.summary_of(inputs, run_id, ledger, stats, structure)
        publish_run(quote(inputs), run_id, ledger, stats, members=False, summary=summary)
    except Exception as exc:
        pipeline.mark_failed(inputs, run_id, f"{type(exc).__name__}: {exc}")
        raise
    place_outputs(quote(inputs), run_id)
    _publish_artifacts(summary, settings.out_dir)
    return summary


@flow(name="sipol-full-migration", task_runner=ThreadPoolTaskRunner(max_workers=2))
def full_migration(overrides: dict | None = None) -> dict:
    """Migrate members, units, officers and documents; check, publish, report.

    `overrides`: non-secret settings (out_dir, party_map, regions, reference_date, full, …);
    the database URLs come from SIPOL_SOURCE_URL / SIPOL_TARGET_URL.
    """
    return run_migration(Settings(**(overrides or {})))


@flow(name="sipol-nightly-reconcile")
def nightly_reconcile(overrides: dict | None = None) -> dict:
    """Re-check the new database as parties corrected it; write every party's progress report."""
    return run_reconcile(Settings(**(overrides or {})))


def migration_flow_for(settings: Settings):
    """The flow with the task runner the settings ask for (threads, or a Dask cluster)."""
    if settings.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        runner = DaskTaskRunner(address=settings.dask_address) if settings.dask_address else \
            DaskTaskRunner(cluster_kwargs={"n_workers": settings.workers, "processes": False})
    else:
        runner = ThreadPoolTaskRunner(max_workers=settings.workers)
    return full_migration.with_options(task_runner=runner)
