"""Scale out: the migration on a 2-worker Dask LocalCluster gives results identical to the default.

The cluster's workers are separate processes, so every task argument travels pickled (the
engines are made again from the settings on the worker, the where-clauses of an incremental
run are re-bound to the legacy tables) — as on a cluster of several machines.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sipol_migrate.cli import execute_run
from sipol_migrate.settings import Settings
from sipol_migrate.synth import synthesize

from ..conftest import create_pg_database, drop_pg_database
from ..truth import assert_ledger_balances, assert_matches_truth, load_truth

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
MEMBERS = 2000
TABLES = ("member", "member_holding", "member_document", "unit", "officer", "party", "region")
RUN_SPECIFIC = {"run_id", "migrated_run_id", "published_at", "migrated_at"}


def _settings(source: str, target: str, legacy, out, **extra) -> Settings:
    return Settings(source_url=source, target_url=target, out_dir=out, party_map=legacy / "parties.yaml",
                    regions=legacy / "regions-2022.csv", progress=False, **extra)


def _snapshot(url: str) -> dict[str, list]:
    """Every live table and the last run's findings, without the columns that name the run."""
    engine = sa.create_engine(url)
    snap = {}
    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        for table in (t for t in TABLES if t in names):
            columns = [c["name"] for c in sa.inspect(conn).get_columns(table) if c["name"] not in RUN_SPECIFIC]
            rows = conn.execute(sa.text(f"SELECT {', '.join(columns)} FROM {table}")).all()
            snap[table] = sorted(map(tuple, rows), key=repr)
        snap["finding"] = sorted(map(tuple, conn.execute(sa.text(
            "SELECT party_code, entity, legacy_id, code, status, outcome, field, detail FROM finding")).all()),
            key=repr)
    engine.dispose()
    return snap


def test_dask_cluster_gives_the_same_results_as_threads(maria_url, pg_url, tmp_path, prefect_api):
    from distributed import LocalCluster

    legacy = tmp_path / "legacy"
    synthesize(maria_url, legacy / "truth.jsonl", members=MEMBERS, seed=21)
    summary_threads = execute_run(_settings(maria_url, pg_url, legacy, tmp_path / "out-threads"))
    dask_target = create_pg_database()
    try:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            settings = _settings(maria_url, dask_target, legacy, tmp_path / "out-dask", task_runner="dask",
                                 dask_address=cluster.scheduler_address, partition_rows=150)
            summary_dask = execute_run(settings)
            with cluster.get_client() as client:  # the partitions really ran on the cluster
                assert any(client.run(lambda: __import__("sys").modules.get("sipol_migrate.stage") is not None)
                           .values())
        assert summary_dask["stats"]["partitions"] > summary_threads["stats"]["partitions"]  # id ranges
        assert summary_dask["parties"] == summary_threads["parties"]
        assert summary_dask["total"] == summary_threads["total"]
        assert _snapshot(dask_target) == _snapshot(pg_url)
        assert_matches_truth(legacy / "truth.jsonl", tmp_path / "out-dask", dask_target)
        assert_ledger_balances(summary_dask, load_truth(legacy / "truth.jsonl"))
    finally:
        drop_pg_database(dask_target)
