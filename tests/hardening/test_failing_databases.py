"""Issue 8, item 2: failing databases and a full output disk.

- The target connection is killed mid-load: the test holds a lock on `stg_member` until a batch's
  COPY waits for it, then `pg_terminate_backend`s every connection of the run (inside its batch
  transaction). The source connection is killed mid-extract: the test holds `LOCK TABLES t_anggota
  WRITE` until the next batch query waits for it, then `KILL`s every connection of the run's
  account. Either way the run retries the batch (tasks have retries) or fails with one line, and
  a rerun completes with a balanced ledger, no duplicates, and exactly the expected outcomes.
- A full disk while the outputs are written (`ulimit -f`: EFBIG): one line, non-zero exit, the
  target's live tables and the previous outputs exactly as before; the rerun publishes.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from sipol_migrate.cli import execute_run
from sipol_migrate.settings import Settings
from sipol_migrate.synth import synthesize

from ..conftest import MARIA_ADMIN, create_maria_database, drop_maria_database
from ..truth import assert_ledger_balances, assert_matches_truth, load_truth
from .helpers import (
    assert_balanced_without_duplicates, assert_clean_failure, cli, create_read_only_account, drop_account,
    live_snapshot, read_summary, run_args,
)

pytestmark = [pytest.mark.integration]
MEMBERS = 1500


@pytest.fixture(scope="module")
def maria_legacy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults-legacy")
    url = create_maria_database()
    synthesize(url, folder / "truth.jsonl", members=MEMBERS, seed=83)
    yield url, folder
    drop_maria_database(url)


@pytest.fixture
def read_only(maria_legacy):
    account = create_read_only_account(maria_legacy[0])
    yield account
    drop_account(account)


def _settings(source: str, target: str, legacy: Path, out: Path) -> Settings:
    return Settings(source_url=source, target_url=target, out_dir=out, party_map=legacy / "parties.yaml",
                    regions=legacy / "regions-2022.csv", progress=False)


def _wait_for(predicate, timeout: float, step: float = 0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(step)
    return None


def _checkpoints(engine) -> int:
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM run_checkpoint WHERE phase = 'member'")).scalar_one()
    except sa.exc.DBAPIError:  # the schema is not created yet
        return 0


def _outcome_of_faulted_run(process) -> str:
    stdout, stderr = process.communicate(timeout=300)
    if process.returncode == 0:
        return "retried and completed"
    line = assert_clean_failure(type("R", (), {"returncode": process.returncode, "stdout": stdout,
                                               "stderr": stderr})())
    return f"failed cleanly: {line}"


def _assert_rerun_completes(source: str, target: str, legacy: Path, out: Path) -> dict:
    summary = execute_run(_settings(source, target, legacy, out))
    assert_balanced_without_duplicates(summary, target, MEMBERS)
    assert_ledger_balances(summary, load_truth(legacy / "truth.jsonl"))
    assert_matches_truth(legacy / "truth.jsonl", out, target)
    return summary


def test_target_connection_killed_mid_load(maria_legacy, read_only, pg_url, tmp_path, prefect_api):
    maria, legacy = maria_legacy
    process = cli(*run_args(read_only.url, pg_url, legacy, tmp_path / "out1", "--batch-size", "100"), wait=False)
    target = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    database = pg_url.rsplit("/", 1)[1]
    try:
        assert _wait_for(lambda: _checkpoints(target) >= 2, 120), "staging never started"
        with target.connect() as conn:
            trans = conn.begin()
            conn.execute(sa.text("LOCK TABLE stg_member IN ACCESS EXCLUSIVE MODE"))
            waiting = lambda: conn.execute(sa.text(  # noqa: E731
                "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid() "
                "AND wait_event_type = 'Lock'"), {"db": database}).scalar_one()
            loads_waiting = _wait_for(waiting, 30)
            killed = conn.execute(sa.text(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": database}).scalar_one()
            trans.rollback()
    finally:
        target.dispose()
    outcome = _outcome_of_faulted_run(process)
    print(f"target killed mid-load ({loads_waiting} batch loads waiting, {killed} backends): {outcome}")
    assert loads_waiting and killed >= 1  # a batch was inside its transaction when it was killed
    _assert_rerun_completes(read_only.url, pg_url, legacy, tmp_path / "out2")


def test_source_connection_killed_mid_extract(maria_legacy, read_only, pg_url, tmp_path, prefect_api):
    maria, legacy = maria_legacy
    process = cli(*run_args(read_only.url, pg_url, legacy, tmp_path / "out1", "--batch-size", "100"), wait=False)
    target = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    admin = sa.create_engine(MARIA_ADMIN + read_only.database, poolclass=sa.pool.NullPool)
    try:
        assert _wait_for(lambda: _checkpoints(target) >= 2, 120), "staging never started"
        with admin.connect() as conn:
            conn.exec_driver_sql("LOCK TABLES t_anggota WRITE")
            waiting_ids = lambda: [r[0] for r in conn.exec_driver_sql(  # noqa: E731
                "SELECT id FROM information_schema.processlist WHERE user = %s AND state LIKE 'Waiting%%'",
                (read_only.user,))]
            extracts_waiting = _wait_for(waiting_ids, 30)
            connections = [r[0] for r in conn.exec_driver_sql(
                "SELECT id FROM information_schema.processlist WHERE user = %s", (read_only.user,))]
            for connection_id in connections:
                conn.exec_driver_sql(f"KILL CONNECTION {int(connection_id)}")
            conn.exec_driver_sql("UNLOCK TABLES")
    finally:
        admin.dispose()
        target.dispose()
    outcome = _outcome_of_faulted_run(process)
    print(f"source killed mid-extract ({len(extracts_waiting or [])} queries waiting, "
          f"{len(connections)} connections): {outcome}")
    assert extracts_waiting  # a batch query was running when its connection was killed
    _assert_rerun_completes(read_only.url, pg_url, legacy, tmp_path / "out2")


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_full_output_disk_leaves_target_and_outputs_as_they_were(pg_url, tmp_path, prefect_api):
    legacy = tmp_path / "legacy"
    legacy_db = legacy / "legacy.sqlite"
    source = f"sqlite:///{legacy_db}"
    synthesize(source, legacy / "truth.jsonl", members=MEMBERS, seed=84)
    out = tmp_path / "out"
    execute_run(_settings(source, pg_url, legacy, out))
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        changed = conn.execute(sa.text("SELECT min(legacy_id) FROM member")).scalar_one()
    with sqlite3.connect(legacy_db) as db:  # a change for the next run to publish
        latest = db.execute("SELECT max(updated_at) FROM t_anggota").fetchone()[0]
        db.execute("UPDATE t_anggota SET nama = 'Nama Sesudah Koreksi', updated_at = ? WHERE id = ?",
                   (latest, changed))
    before, outputs = live_snapshot(pg_url), _files(out)
    largest_kb = max(len(data) for data in outputs.values()) // 1024
    result = cli(*run_args(source, pg_url, legacy, out), ulimit_kb=max(1, largest_kb // 2))
    line = assert_clean_failure(result)
    print(f"full output disk (ulimit -f {max(1, largest_kb // 2)}): exit {result.returncode}: {line}")
    assert "File too large" in line and "nothing was published" in line
    assert live_snapshot(pg_url) == before  # the live tables exactly as before the run
    assert _files(out) == outputs  # the previous outputs untouched, no partial file, no temp folder
    with engine.connect() as conn:
        states = conn.execute(sa.text("SELECT state, error FROM migration_run ORDER BY started_at")).all()
    assert [s for s, _ in states] == ["published", "staging"] and "File too large" in states[1][1]
    summary = execute_run(_settings(source, pg_url, legacy, out))  # the next run resumes and publishes
    with engine.connect() as conn:
        name = conn.execute(sa.text("SELECT name FROM member WHERE legacy_id = :id"), {"id": changed}).scalar()
        states = [r[0] for r in conn.execute(sa.text("SELECT state FROM migration_run ORDER BY started_at"))]
    engine.dispose()
    assert name == "Nama Sesudah Koreksi" and states == ["published", "published"]
    assert read_summary(out)["run_id"] == summary["run_id"]
    assert not list(out.glob(".tmp-*"))
    assert_balanced_without_duplicates(summary, pg_url, MEMBERS)
