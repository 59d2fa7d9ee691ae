"""Safe reruns (issue 5): resumable after kills, incremental, party corrections win, reconcile."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sipol_migrate.synth import synthesize

from ..helpers import execute, run_args, run_cli, scalar, summary
from ..truth import assert_ledger_balances, assert_matches_truth, load_truth

pytestmark = [pytest.mark.integration]
MEMBERS = 1500


@pytest.fixture(scope="module")
def legacy(tmp_path_factory):
    """A SQLite legacy database shared read-only by the tests of this module."""
    folder = tmp_path_factory.mktemp("legacy-reruns")
    synthesize(f"sqlite:///{folder / 'legacy.sqlite'}", folder / "truth.jsonl", members=MEMBERS, seed=5)
    return folder


def _source(legacy: Path) -> str:
    return f"sqlite:///{legacy / 'legacy.sqlite'}"


def _assert_complete(legacy: Path, out: Path, target: str) -> None:
    assert_matches_truth(legacy / "truth.jsonl", out, target)
    assert_ledger_balances(summary(out), load_truth(legacy / "truth.jsonl"))
    staged = scalar(target, "SELECT count(*) FROM stg_member")
    assert staged == 0, "staging rows left behind after publishing"


@pytest.mark.parametrize("fault", [
    {"SIPOL_FAULT_EXIT_AT_BATCH": "3"},
    {"SIPOL_FAULT_EXIT_AT_BATCH": "7", "SIPOL_FAULT_EXIT_DURING": "load"},
    {"SIPOL_FAULT_EXIT_AT_PHASE": "publish"},
], ids=["between-batches", "during-load", "during-publish"])
def test_killed_run_resumes_without_duplicates(legacy, pg_url, tmp_path, prefect_api, fault):
    args = run_args(_source(legacy), pg_url, legacy, tmp_path / "out", "--batch-size", "100")
    killed = run_cli(*args, env=fault)
    assert killed.returncode == 137, killed.stderr
    assert scalar(pg_url, "SELECT count(*) FROM migration_run WHERE state = 'published'") == 0
    committed = scalar(pg_url, "SELECT count(*) FROM run_checkpoint")
    assert committed > 0
    resumed = run_cli(*args)
    assert resumed.returncode == 0, resumed.stderr
    stats = summary(tmp_path / "out")["stats"]
    assert stats["resumed"] is True
    assert stats["batches_skipped"] >= min(committed, 3), stats
    _assert_complete(legacy, tmp_path / "out", pg_url)
    assert scalar(pg_url, "SELECT count(*) FROM migration_run") == 1


def test_resumed_run_reads_the_id_ranges_it_started_with(legacy, pg_url, tmp_path, prefect_api):
    """Large parties are read in id ranges whose bounds key the checkpoints: a resumed run keeps
    the ranges of its first attempt even when --partition-rows asks for others."""
    args = run_args(_source(legacy), pg_url, legacy, tmp_path / "out", "--batch-size", "100")
    killed = run_cli(*args, "--partition-rows", "200", env={"SIPOL_FAULT_EXIT_AT_BATCH": "4"})
    assert killed.returncode == 137, killed.stderr
    assert scalar(pg_url, "SELECT count(*) FROM run_checkpoint WHERE partition_key LIKE '%:%-%'") > 0
    resumed = run_cli(*args, "--partition-rows", "450")
    assert resumed.returncode == 0, resumed.stderr
    stats = summary(tmp_path / "out")["stats"]
    assert stats["resumed"] is True and stats["batches_skipped"] >= 3, stats
    assert stats["partitions"] >= MEMBERS // 200 and stats["rows_read"] < MEMBERS  # the rest: first attempt
    _assert_complete(legacy, tmp_path / "out", pg_url)


def test_run_stages_again_when_a_server_crash_emptied_staging(legacy, pg_url, tmp_path, prefect_api):
    """Staging is UNLOGGED on PostgreSQL: crash recovery empties those tables, checkpoints included
    (simulated here table by table, as recovery resets them). The resumed run must find no
    checkpoint, stage everything again, and publish the same complete result."""
    from sipol_migrate.schema import UNLOGGED_TABLES

    # Member spans of 200 rows keep both threads on members (submitted before the uploads) until
    # the crash, so member rows are what recovery empties.
    args = run_args(_source(legacy), pg_url, legacy, tmp_path / "out", "--batch-size", "100", "--partition-rows", "200")
    killed = run_cli(*args, env={"SIPOL_FAULT_EXIT_AT_BATCH": "7", "SIPOL_FAULT_EXIT_DURING": "load"})
    assert killed.returncode == 137, killed.stderr
    assert scalar(pg_url, "SELECT count(*) FROM stg_member") > 0
    for table in UNLOGGED_TABLES:
        execute(pg_url, f"TRUNCATE {table.name}")
    resumed = run_cli(*args)
    assert resumed.returncode == 0, resumed.stderr
    stats = summary(tmp_path / "out")["stats"]
    assert stats["resumed"] is True and stats["batches_skipped"] == 0, stats
    assert stats["rows_read"] == MEMBERS
    _assert_complete(legacy, tmp_path / "out", pg_url)


def test_killed_during_reporting_next_run_completes(legacy, pg_url, tmp_path, prefect_api):
    args = run_args(_source(legacy), pg_url, legacy, tmp_path / "out")
    killed = run_cli(*args, env={"SIPOL_FAULT_EXIT_AT_PHASE": "report"})
    assert killed.returncode == 137
    assert not (tmp_path / "out" / "summary.json").exists()
    assert run_cli(*args).returncode == 0
    _assert_complete(legacy, tmp_path / "out", pg_url)


def _kpu_rows(out: Path, code: str) -> list[dict]:
    with open(out / "_kpu" / "findings.csv", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["code"] == code]


def test_party_edit_survives_full_rerun_and_conflict_is_reported(legacy, tmp_path, pg_url, prefect_api):
    source_file = tmp_path / "legacy.sqlite"
    source_file.write_bytes((legacy / "legacy.sqlite").read_bytes())
    source = f"sqlite:///{source_file}"
    assert run_cli(*run_args(source, pg_url, legacy, tmp_path / "o1")).returncode == 0
    member_id = scalar(pg_url, "SELECT min(legacy_id) FROM member WHERE status = 'MS'")
    execute(pg_url, "UPDATE member SET name = 'Nama Koreksi Partai', nik = '3201010101900001' "
                    "WHERE legacy_id = :id", id=member_id)
    assert run_cli(*run_args(source, pg_url, legacy, tmp_path / "o2", "--full")).returncode == 0
    assert scalar(pg_url, "SELECT name FROM member WHERE legacy_id = :id", id=member_id) == "Nama Koreksi Partai"
    assert _kpu_rows(tmp_path / "o2", "CONFLICT_PARTY_EDITED") == []
    code = scalar(pg_url, "SELECT party_code FROM member WHERE legacy_id = :id", id=member_id)
    reconciliation = summary(tmp_path / "o2")["reconciliation"]
    assert reconciliation[code]["party_edited"] == 1  # counted as edited, not as a difference
    assert all(r["differing"] == 0 and r["present"] == r["expected"] for r in reconciliation.values())
    execute(source, "UPDATE t_anggota SET nama = 'Nama Baru Di Sipol Lama', "
                    "updated_at = '2026-11-01 09:00:00' WHERE id = :id", id=member_id)
    assert run_cli(*run_args(source, pg_url, legacy, tmp_path / "o3")).returncode == 0
    assert scalar(pg_url, "SELECT name FROM member WHERE legacy_id = :id", id=member_id) == "Nama Koreksi Partai"
    assert scalar(pg_url, "SELECT nik FROM member WHERE legacy_id = :id", id=member_id) == "3201010101900001"
    conflicts = _kpu_rows(tmp_path / "o3", "CONFLICT_PARTY_EDITED")
    assert [int(r["legacy_id"]) for r in conflicts] == [member_id]
    assert conflicts[0]["status"] == "INFO"


def test_incremental_rerun_reads_only_changed_rows(legacy, tmp_path, pg_url, prefect_api):
    source_file = tmp_path / "legacy.sqlite"
    source_file.write_bytes((legacy / "legacy.sqlite").read_bytes())
    source = f"sqlite:///{source_file}"
    assert run_cli(*run_args(source, pg_url, legacy, tmp_path / "o1")).returncode == 0
    full = summary(tmp_path / "o1")
    undated = scalar(source, "SELECT count(*) FROM t_anggota WHERE updated_at IS NULL "
                             "OR updated_at < '1000-01-01'")
    # The watermark keeps a 24-hour safety overlap below the newest updated_at it saw.
    overlap_start = scalar(source, "SELECT datetime(max(updated_at), '-1 day') FROM t_anggota")
    in_overlap = scalar(source, "SELECT count(*) FROM t_anggota WHERE updated_at >= :start",
                        start=overlap_start)
    execute(source, "UPDATE t_anggota SET nama = nama || ' Putra', updated_at = '2026-11-20 08:00:00' "
                    "WHERE id IN (SELECT id FROM t_anggota WHERE updated_at >= '1000-01-01' "
                    "AND updated_at < :start AND is_deleted = 0 ORDER BY id LIMIT 10)", start=overlap_start)
    assert run_cli(*run_args(source, pg_url, legacy, tmp_path / "o2")).returncode == 0
    rerun = summary(tmp_path / "o2")
    assert full["stats"]["rows_read"] == MEMBERS
    assert rerun["stats"]["incremental"] is True
    # The 10 changed rows, the rows whose updated_at is missing (they cannot be dated), and the
    # rows inside the safety overlap.
    assert rerun["stats"]["rows_read"] == 10 + undated + in_overlap
    assert rerun["total"]["anggota"] == full["total"]["anggota"]
    changed = scalar(pg_url, "SELECT count(*) FROM member WHERE name LIKE '% Putra'")
    assert 0 < changed <= 10


def test_reconcile_shows_fixed_records(legacy, tmp_path, pg_url, prefect_api):
    assert run_cli(*run_args(_source(legacy), pg_url, legacy, tmp_path / "o1")).returncode == 0
    fixed = [int(i) for i in _ids(pg_url, "SELECT f.legacy_id FROM finding f JOIN member m ON "
                                  "m.legacy_id = f.legacy_id WHERE f.code = 'KTA_MISSING' ORDER BY 1 LIMIT 5")]
    assert fixed
    for legacy_id in fixed:
        execute(pg_url, "UPDATE member SET kta_number = :kta WHERE legacy_id = :id",
                kta=f"KTA-{legacy_id}", id=legacy_id)
    result = run_cli("reconcile", "--target", pg_url, "--out", str(tmp_path / "r1"),
                     "--party-map", str(legacy / "parties.yaml"))
    assert result.returncode == 0, result.stderr
    progress = summary(tmp_path / "r1")["progress"]
    assert sum(p["fixed"] for p in progress.values()) == len(fixed)
    listed = set()
    for path in (tmp_path / "r1").glob("*/progress.csv"):
        with open(path, encoding="utf-8") as handle:
            listed |= {(int(r["legacy_id"]), r["code"]) for r in csv.DictReader(handle) if r["progress"] == "fixed"}
    assert listed == {(i, "KTA_MISSING") for i in fixed}


def _ids(url: str, sql: str) -> list:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = [r[0] for r in conn.execute(sa.text(sql))]
    engine.dispose()
    return rows


def test_rows_no_longer_kept_leave_the_live_table_unless_the_party_edited_them(legacy, tmp_path, pg_url,
                                                                                prefect_api):
    source_file = tmp_path / "legacy.sqlite"
    source_file.write_bytes((legacy / "legacy.sqlite").read_bytes())
    source = f"sqlite:///{source_file}"
    assert run_cli(*run_args(source, pg_url, legacy, tmp_path / "o1")).returncode == 0
    gone, edited = (scalar(pg_url, "SELECT legacy_id FROM member WHERE status = 'MS' ORDER BY legacy_id "
                                   "LIMIT 1 OFFSET :n", n=n) for n in (0, 1))
    execute(pg_url, "UPDATE member SET name = 'Nama Koreksi Partai' WHERE legacy_id = :id", id=edited)
    execute(source, "UPDATE t_anggota SET is_deleted = 1, updated_at = '2026-11-02 09:00:00' "
                    "WHERE id IN (:a, :b)", a=gone, b=edited)
    assert run_cli(*run_args(source, pg_url, legacy, tmp_path / "o2")).returncode == 0
    assert scalar(pg_url, "SELECT count(*) FROM member WHERE legacy_id = :id", id=gone) == 0
    assert scalar(pg_url, "SELECT name FROM member WHERE legacy_id = :id", id=edited) == "Nama Koreksi Partai"
    assert scalar(pg_url, "SELECT count(*) FROM member") == summary(tmp_path / "o2")["total"]["anggota"]["MS"] \
        + summary(tmp_path / "o2")["total"]["anggota"]["BMS"] + 1  # the edited row stays besides the kept
