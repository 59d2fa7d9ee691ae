"""Prefect flows: wiring only. Each task wraps one plain function of `pipeline`.

Secrets never travel as flow parameters (Prefect stores parameters): the flow builds its
`Settings` from the non-secret `overrides` plus the SIPOL_* environment of the process, where the
CLI or the worker put the database URLs.
"""

from __future__ import annotations

import time

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from . import pipeline
from .settings import Settings
from .stage import FaultPlan

_TASK = {"cache_policy": NO_CACHE, "persist_result": False}

check_inputs = task(pipeline.check_inputs, name="check-inputs", **_TASK)
open_run = task(pipeline.open_run, name="open-run", **_TASK)
member_context = task(pipeline.member_context, name="load-units-and-regions", **_TASK)
stage_partition = task(pipeline.stage_partition, name="stage-members", retries=2,
                       retry_delay_seconds=3, **_TASK)
stage_upload_kind = task(pipeline.stage_upload_kind, name="stage-uploads", retries=2,
                         retry_delay_seconds=3, **_TASK)
finish_staging = task(pipeline.finish_staging, name="set-rules-and-ledger", **_TASK)
publish_run = task(pipeline.publish_run, name="publish", **_TASK)
write_outputs = task(pipeline.write_outputs, name="write-outputs", **_TASK)


def _publish_artifacts(summary: dict) -> None:
    rows = [{"party": code, **entities["anggota"]} for code, entities in summary["parties"].items()]
    rows.append({"party": "TOTAL", **summary["total"]["anggota"]})
    create_table_artifact(key="member-ledger", table=rows,
                          description=f"Member ledger of run {summary['run_id']} (counts only)")


def run_migration(settings: Settings) -> dict:
    """The body of the migration flow."""
    logger = get_run_logger()
    started = time.perf_counter()
    inputs = check_inputs(settings)
    run_id, resumed = open_run(inputs)
    faults = FaultPlan(settings.fault_exit_at_batch)
    try:
        ctx = member_context(inputs)
        futures = [stage_partition.submit(inputs, run_id, ctx, part, faults) for part in inputs.partitions]
        futures += [stage_upload_kind.submit(inputs, run_id, kind, faults) for kind in ("ktp", "kta")]
        results = [f.result() for f in futures]
        stage_seconds = time.perf_counter() - started
        ledger = finish_staging(inputs, run_id)
        stats = {
            "resumed": resumed,
            "rows_read": sum(r.rows_read for r in results),
            "batches_done": sum(r.batches_done for r in results),
            "batches_skipped": sum(r.batches_skipped for r in results),
            "stage_seconds": round(stage_seconds, 2),
        }
        publish_run(inputs, run_id, ledger, stats)
    except Exception as exc:
        pipeline.mark_failed(inputs, run_id, f"{type(exc).__name__}: {exc}")
        raise
    summary = pipeline.summary_of(inputs, run_id, ledger, stats)
    write_outputs(inputs, run_id, summary)
    _publish_artifacts(summary)
    logger.info("run %s published in %.1f s", run_id, time.perf_counter() - started)
    return summary


@flow(name="sipol-full-migration", task_runner=ThreadPoolTaskRunner(max_workers=2))
def full_migration(overrides: dict | None = None) -> dict:
    """Migrate members, units, officers and documents; check, publish, report.

    `overrides`: non-secret settings (out_dir, party_map, regions, reference_date, full, …);
    the database URLs come from SIPOL_SOURCE_URL / SIPOL_TARGET_URL.
    """
    return run_migration(Settings(**(overrides or {})))


def migration_flow_for(settings: Settings):
    """The flow with the task runner the settings ask for (threads, or a Dask cluster)."""
    if settings.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        runner = DaskTaskRunner(address=settings.dask_address) if settings.dask_address else \
            DaskTaskRunner(cluster_kwargs={"n_workers": settings.workers, "processes": False})
    else:
        runner = ThreadPoolTaskRunner(max_workers=settings.workers)
    return full_migration.with_options(task_runner=runner)
