"""Worker processes for staging: when they are used, and the console progress they feed."""

from __future__ import annotations

import pickle
import threading
from pathlib import Path
from concurrent.futures import Future
from datetime import date, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from sipol_migrate import columnar, member_workers, stage
from sipol_migrate.copytext import copy_field, line_encoder
from sipol_migrate.incremental import changed_rows
from sipol_migrate.legacy import t_anggota
from sipol_migrate.mappings import load_codes
from sipol_migrate.normalize import map_unit
from sipol_migrate.picklable import Shipped, unbox
from sipol_migrate.prefetch import prefetched
from sipol_migrate.regions import RegionBook, load_region_csv
from sipol_migrate.rules.member import MemberRuleContext
from sipol_migrate.schema import stg_member
from sipol_migrate.settings import MAPPINGS_DIR, PACKAGE_DATA, Settings
from sipol_migrate.stage import FaultPlan, Partition


def _inputs(target_url: str, **settings) -> SimpleNamespace:
    return SimpleNamespace(settings=Settings(**settings), source=object(), target=sa.create_engine(target_url))


def test_processes_only_for_postgresql_threads_and_no_fault_injection():
    pg = "postgresql+psycopg2://u@127.0.0.1/db"
    assert member_workers.wanted(_inputs(pg))
    assert not member_workers.wanted(_inputs("sqlite://"))  # SQLite: one writer
    assert not member_workers.wanted(_inputs(pg, task_runner="dask"))
    assert not member_workers.wanted(_inputs(pg, workers=1))
    assert not member_workers.wanted(_inputs(pg, stage_processes=False))
    assert not member_workers.wanted(_inputs(pg, fault_exit_at_batch=3))
    assert not member_workers.prepare(_inputs("sqlite://")) and not member_workers.prepared()


def test_prepared_workers_start_at_once_and_read_the_context_given_later():
    settings = Settings(source_url="mysql+pymysql://u@127.0.0.1/db", target_url="postgresql+psycopg2://u@127.0.0.1/db")
    inputs = SimpleNamespace(settings=settings, source=object(), target=sa.create_engine(settings.target()))
    try:
        assert member_workers.prepare(inputs) and member_workers.prepared()
        pool = member_workers._get_pool()
        assert len(pool._processes) == settings.workers - 1  # spawned before any job of the run
        assert not member_workers.active("r1")
        ctx = _rule_context()
        member_workers.start("r1", ctx)
        paths = member_workers._state["ctx_paths"]
        assert member_workers.active("r1")
        assert pool.submit(member_workers._context, paths[0]).result(timeout=60).units == ctx.units
        shipped = pool.submit(member_workers._context, paths[1]).result(timeout=60)
        assert shipped.domiciles.equals(columnar.column_context(ctx).domiciles)
    finally:
        member_workers.shutdown()
    assert not member_workers.prepared() and not any(Path(path).exists() for path in paths)


def _rule_context() -> MemberRuleContext:
    codes = load_codes(MAPPINGS_DIR / "codes.yaml")
    book = RegionBook(load_region_csv(PACKAGE_DATA / "wilayah_sample_2017.csv"),
                      load_region_csv(PACKAGE_DATA / "wilayah_sample_2022.csv"))
    unit = map_unit({"id": 1, "partai_id": 1, "tingkat": "pusat", "kode_wilayah": None, "is_deleted": 0}, codes)
    return MemberRuleContext(regions=book, units={1: unit}, reference_date=date(2022, 8, 1), codes=codes)


def test_a_worker_reads_the_rule_context_only_for_partitions_staged_row_by_row(monkeypatch, tmp_path):
    paths = (str(tmp_path / "ctx.pickle"), str(tmp_path / "columns.pickle"))
    for path, content in zip(paths, ("rule context", "column context")):
        Path(path).write_bytes(pickle.dumps(content))
    monkeypatch.setattr(member_workers, "_worker", {
        "source": sa.create_engine("mysql+pymysql://u@127.0.0.1/db"),
        "target": sa.create_engine("postgresql+psycopg2://u@127.0.0.1/db")})
    given = []
    monkeypatch.setattr(stage, "stage_member_partition", lambda *args: given.append(args[4]))
    member_workers._stage_members("r1", Partition(1, "PKB", None), None, paths)  # read whole: as columns
    assert given == ["column context"] and list(member_workers._worker["contexts"]) == [paths[1]]
    changed = changed_rows(t_anggota, "updated_at", 10, datetime(2022, 1, 1))
    member_workers._stage_members("r1", Partition(1, "PKB", None, changed), None, paths)  # incremental: by row
    assert given == ["column context", "rule context"]


def test_progress_is_derived_from_committed_checkpoints(monkeypatch):
    staged = iter([5, 15, 40])  # an earlier attempt's 5 rows, then batches committing

    def rows(*_args):
        return next(staged, 40)

    monkeypatch.setattr(member_workers, "_staged_rows", rows)
    seen: list[tuple[str, int]] = []
    monkeypatch.setattr(stage, "_progress_hook", lambda label, n: seen.append((label, n)))
    future: Future = Future()
    timer = threading.Timer(2.5, future.set_result, args=("done",))
    timer.start()
    assert member_workers._wait(future, None, "r1", "member", "3", "PKB") == "done"
    timer.join()
    assert sum(n for _label, n in seen) == 35 and {label for label, _n in seen} == {"PKB"}


def test_task_arguments_survive_pickling():
    part = Partition(3, "PKB", None, changed_rows(t_anggota, "updated_at", 10, datetime(2022, 1, 1)))
    again = pickle.loads(pickle.dumps(part))
    query = sa.select(t_anggota.c.id).where(t_anggota.c.partai_id == 3, again.changed)
    assert str(query).count("FROM t_anggota") == 1  # bound to the same table, not a copy
    assert pickle.loads(pickle.dumps(FaultPlan(4))).exit_at_batch == 4
    assert unbox(pickle.loads(pickle.dumps(Shipped(None)))) is None


def test_generated_copy_encoder_equals_the_field_by_field_one():
    columns = [c.name for c in stg_member.columns]
    values = [None, "a\tb\\c\nd\re\x00f", "", 7, True, False, datetime(2020, 1, 2, 3, 4), 1.5, "x"]
    rows = [{name: values[(i + j) % len(values)] for j, name in enumerate(columns)} for i in range(50)]
    expected = ["\t".join(copy_field(row.get(name)) for name in columns) for row in rows]
    assert line_encoder(stg_member, columns)(rows) == expected


def test_prefetch_keeps_order_and_raises_the_producers_error():
    assert list(prefetched(iter(range(100)))) == list(range(100))

    def failing():
        yield 1
        raise ValueError("boom")

    got = []
    with pytest.raises(ValueError, match="boom"):
        for item in prefetched(failing()):
            got.append(item)
    assert got == [1]


def test_prefetch_reads_at_most_one_batch_ahead():
    """Memory: while batch i is worked on, only batch i+1 may have been read (not i+2)."""
    import time

    produced = []

    def batches():
        for i in range(15):
            produced.append(i)
            yield i

    for i in prefetched(batches()):
        time.sleep(0.02)  # the reader has all the time it wants to run ahead
        assert len(produced) <= i + 2, (i, produced)


def test_one_job_runs_in_this_process_the_others_in_the_pool(monkeypatch):
    started, release = threading.Event(), threading.Event()

    def here(*_args):  # stands in for stage.stage_member_partition in this process
        started.set()
        release.wait(5)
        return "here"

    submitted = []

    def submit(_fn, *args):
        submitted.append(args[1].key)
        future: Future = Future()
        future.set_result("pool")
        return future

    monkeypatch.setattr(stage, "stage_member_partition", here)
    monkeypatch.setattr(member_workers, "_submit", submit)
    monkeypatch.setattr(member_workers, "_wait", lambda future, *_args: future.result())
    monkeypatch.setitem(member_workers._state, "ctx", None)
    monkeypatch.setitem(member_workers._state, "ctx_paths", ("ctx.pickle", "columns.pickle"))
    inputs = SimpleNamespace(settings=Settings(), source=None, target=None)
    results = {}
    first = threading.Thread(target=lambda: results.update(
        first=member_workers.stage_partition(inputs, "r1", Partition(1, "PKB", None))))
    first.start()
    assert started.wait(5)
    assert member_workers.stage_partition(inputs, "r1", Partition(2, "PDIP", None)) == "pool"
    release.set()
    first.join()
    assert results["first"] == "here" and submitted == ["2"]


def test_the_pool_has_one_process_fewer_than_workers_and_spawns_them(monkeypatch):
    made = {}

    class Recorder:
        def __init__(self, **kwargs):
            made.update(kwargs)

    monkeypatch.setattr(member_workers, "_pool", None)
    monkeypatch.setattr(member_workers, "ProcessPoolExecutor", Recorder)
    settings = Settings(workers=3, source_url="mysql+pymysql://u@h/db", target_url="postgresql://u@h/db")
    monkeypatch.setattr(member_workers, "_state", {"settings": settings, "ctx": None})
    member_workers._get_pool()
    assert made["max_workers"] == 2 and made["mp_context"].get_start_method() == "spawn"
