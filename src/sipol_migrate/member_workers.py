"""Staging in worker processes, so both cores work on the member phase.

The per-row mapping and rules are pure Python: threads share one core under the GIL. The thread
task runner's partition tasks therefore share the work between this process and a persistent
pool of `Settings.workers - 1` worker processes (`ProcessPoolExecutor`, started with `spawn`: no
fork of a threaded process): one job at a time runs here, in the task's thread, the others go to
the pool. A worker costs about 190 MB before its first row (imports, the reference frames) and
about 370 MB while staging; this process has all that already, so it takes a share instead of
idling (the memory target of docs/BENCHMARKS.md). Each worker builds its engines from the
settings (the pool's initializer). The pool starts before the scan (`prepare`), so its processes
have imported and connected by the time staging begins; the rule context, built later, reaches
them as two files (`start`): the context itself, for partitions staged row by row (incremental
ones), and its `columnar.ColumnContext`, all that a partition staged as columns reads. A worker
of a first run loads only the second, about 10 MB of frames instead of about 100 MB of regions
and units as Python objects. A job is one member partition or one upload kind, staged by exactly
the function the inline path calls (`stage.stage_member_partition`, `stage.stage_uploads`), so
batches, checkpoints and resume are the same: each batch and its checkpoint commit in one
transaction in the worker. Only a `StageResult` comes back. The console progress is derived in
the parent by polling `run_checkpoint`.

Used only where it helps and is safe: a PostgreSQL target (SQLite stays single-writer), more
than one worker, the thread task runner (on Dask the partitions already run in the cluster's
worker processes), no fault injection (the kill tests exit the CLI process itself), and
`Settings.stage_processes` left on.
"""

from __future__ import annotations

import multiprocessing
import pickle
import tempfile
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from sqlalchemy import func, select

from . import memory
from .db import is_postgres, make_engine
from .picklable import dump_clause, load_clause
from .schema import run_checkpoint
from .stage import FaultPlan, Partition, StageResult

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_here = threading.Semaphore(1)  # one job at a time runs in this process instead of a worker

# --- in the worker process --------------------------------------------------------------------

_worker: dict = {}


def _init_worker(source_url: str, target_url: str) -> None:
    from . import columnar, stage  # noqa: F401  (imported now, not at the first partition)

    memory.limit_arenas()
    _worker["source"] = make_engine(source_url, pool_size=1, role="source")
    _worker["target"] = make_engine(target_url, pool_size=1, role="target")
    columnar.warm()


def _ready() -> None:
    """A job that does nothing: submitted once per worker, it makes the pool start them."""


def _context(path: str):
    """A context of the run, read from `path` once per worker (the pool lives for one run's
    staging: `shutdown`)."""
    contexts = _worker.setdefault("contexts", {})
    if path not in contexts:
        with open(path, "rb") as handle:
            contexts[path] = pickle.load(handle)
    return contexts[path]


def _stage_members(run_id: str, partition: Partition, batch_size: int | None, paths: tuple[str, str]) -> StageResult:
    """`paths`: the run's rule context and its columnar.ColumnContext. A partition staged as
    columns reads only the second, so a worker of a first run never holds the first."""
    from . import columnar
    from .stage import stage_member_partition

    source, target = _worker["source"], _worker["target"]
    full, columns = paths
    ctx = _context(columns if columnar.usable(source, target, partition.changed) else full)
    return stage_member_partition(source, target, run_id, partition, ctx, batch_size, FaultPlan())


def _stage_uploads(run_id: str, kind: str, batch_size: int | None, changed) -> StageResult:
    from .stage import stage_uploads

    return stage_uploads(_worker["source"], _worker["target"], run_id, kind, batch_size,
                         FaultPlan(), load_clause(changed))


# --- in the parent ----------------------------------------------------------------------------


def wanted(inputs) -> bool:
    settings = inputs.settings
    return (settings.task_runner == "threads" and settings.workers > 1
            and getattr(settings, "stage_processes", True) and settings.fault_exit_at_batch is None
            and inputs.source is not None and is_postgres(inputs.target))


_state: dict = {}  # the pool's settings; run_id, ctx and its file once `start` gave them


def prepare(inputs) -> bool:
    """Start the worker processes when `wanted` (they import and connect while the run scans the
    source); True when started. `shutdown` stops them, whatever happens in between."""
    shutdown()
    if not wanted(inputs):
        return False
    with _lock:
        _state.update(settings=inputs.settings)
    pool = _get_pool()
    for _ in range(inputs.settings.workers - 1):
        pool.submit(_ready)
    # This process stages too: it builds what every batch needs while the source is scanned, as
    # the workers do (0.75 s at its first batch otherwise).
    from . import columnar

    threading.Thread(target=columnar.warm, name="sipol-warm", daemon=True).start()
    return True


def prepared() -> bool:
    return "settings" in _state


def start(run_id: str, ctx) -> None:
    """Hand the prepared workers this run's rule context and its columnar.ColumnContext (built
    here, where this process's own share of the staging uses it too): files each reads when
    a partition first needs it."""
    from . import columnar

    paths = (_dump(ctx, "sipol-ctx-"), _dump(columnar.column_context(ctx), "sipol-columns-"))
    with _lock:
        _state.update(run_id=run_id, ctx=ctx, ctx_paths=paths)


def _dump(context, prefix: str) -> str:
    with tempfile.NamedTemporaryFile("wb", prefix=prefix, suffix=".pickle", delete=False) as handle:
        pickle.dump(context, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return handle.name


def active(run_id: str) -> bool:
    return _state.get("run_id") == run_id


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is not None and getattr(_pool, "_broken", False):  # a worker died: start again
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None
        if _pool is None:
            settings = _state["settings"]
            _pool = ProcessPoolExecutor(
                max_workers=settings.workers - 1,  # the parent stages too: one process fewer (memory)
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker, initargs=(settings.source(), settings.target()))
        return _pool


def shutdown() -> None:
    """Stop the worker processes (the flow calls it when staging is over, or failed)."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None
        for path in _state.get("ctx_paths", ()):
            Path(path).unlink(missing_ok=True)
        _state.clear()


def _submit(fn, *args) -> Future:
    try:
        return _get_pool().submit(fn, *args)
    except BrokenProcessPool:  # broke between the check and the submit: a new pool, once
        return _get_pool().submit(fn, *args)


def _staged_rows(target, run_id: str, phase: str, key: str) -> int:
    c = run_checkpoint
    query = select(func.coalesce(func.sum(c.c.rows), 0)).where(
        c.c.run_id == run_id, c.c.phase == phase, c.c.partition_key == key)
    with target.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _wait(future: Future, target, run_id: str, phase: str, key: str, label: str) -> StageResult:
    """The job's result; meanwhile the console progress advances as its checkpoints commit."""
    from . import stage

    hook = stage._progress_hook if phase == "member" else None
    if hook is None:
        return future.result()
    shown = _staged_rows(target, run_id, phase, key)  # batches of an earlier attempt: not news
    while True:
        try:
            result = future.result(timeout=1.0)
        except TimeoutError:
            result = None
        staged = _staged_rows(target, run_id, phase, key)
        if staged > shown:
            hook(label, staged - shown)
            shown = staged
        if result is not None:
            return result


def stage_partition(inputs, run_id: str, partition: Partition) -> StageResult:
    from .stage import stage_member_partition

    if _here.acquire(blocking=False):  # this process's own share of the work
        try:
            return stage_member_partition(inputs.source, inputs.target, run_id, partition, _state["ctx"],
                                          inputs.settings.batch_size, FaultPlan())
        finally:
            _here.release()
    future = _submit(_stage_members, run_id, partition, inputs.settings.batch_size, _state["ctx_paths"])
    return _wait(future, inputs.target, run_id, "member", partition.key, partition.label)


def stage_upload_kind(inputs, run_id: str, kind: str) -> StageResult:
    from .stage import stage_uploads

    changed = inputs.upload_filters.get(kind)
    if _here.acquire(blocking=False):
        try:
            return stage_uploads(inputs.source, inputs.target, run_id, kind, inputs.settings.batch_size,
                                 FaultPlan(), changed)
        finally:
            _here.release()
    future = _submit(_stage_uploads, run_id, kind, inputs.settings.batch_size, dump_clause(changed))
    return _wait(future, inputs.target, run_id, "upload", kind, kind)
