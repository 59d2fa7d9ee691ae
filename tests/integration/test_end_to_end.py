"""End to end on synthesised data: MariaDB → PostgreSQL and SQLite → SQLite.

The truth was recorded by `synth` by construction; every finding code's precision and recall must
be 100 %, outcomes must agree, the ledger must balance, and the member table must hold exactly
the MS and BMS rows.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from sipol_migrate.cli import execute_run
from sipol_migrate.settings import Settings
from sipol_migrate.synth import synthesize

from ..truth import assert_ledger_balances, assert_matches_truth, load_truth

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
MEMBERS = 3000


@pytest.fixture(scope="session")
def sqlite_legacy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("legacy")
    truth = folder / "truth.jsonl"
    synthesize(f"sqlite:///{folder / 'legacy.sqlite'}", truth, members=MEMBERS, seed=11)
    return folder


def _settings(source: str, target: str, legacy: Path, out: Path, **extra) -> Settings:
    return Settings(source_url=source, target_url=target, out_dir=out,
                    party_map=legacy / "parties.yaml", regions=legacy / "regions-2022.csv",
                    progress=False, **extra)


def _table_snapshot(url: str) -> dict[str, list]:
    engine = sa.create_engine(url)
    tables = ("member", "member_holding", "member_document", "party", "region")
    with engine.connect() as conn:
        snap = {t: sorted(map(tuple, conn.execute(sa.text(f"SELECT * FROM {t}")).all()), key=repr)
                for t in tables}
        snap["finding"] = sorted(map(tuple, conn.execute(sa.text(
            "SELECT party_code, entity, legacy_id, code, status, outcome, field, detail FROM finding "
            "WHERE run_id = (SELECT max(run_id) FROM migration_run WHERE state = 'published')")).all()),
            key=repr)
    engine.dispose()
    return snap


def test_sqlite_to_sqlite_matches_truth(sqlite_legacy, tmp_path, prefect_api):
    target = f"sqlite:///{tmp_path / 'target.sqlite'}"
    settings = _settings(f"sqlite:///{sqlite_legacy / 'legacy.sqlite'}", target, sqlite_legacy, tmp_path / "out")
    summary = execute_run(settings)
    assert_matches_truth(sqlite_legacy / "truth.jsonl", tmp_path / "out", target)
    assert_ledger_balances(json.loads((tmp_path / "out" / "summary.json").read_text()),
                           load_truth(sqlite_legacy / "truth.jsonl"))
    engine = sa.create_engine(target)
    with engine.connect() as conn:
        members = conn.execute(sa.text("SELECT count(*) FROM member")).scalar_one()
    total = summary["total"]["anggota"]
    assert members == total["MS"] + total["BMS"]
    # The source scan ran first and the quality gate ran on the staged run; both are reported.
    kpu = tmp_path / "out" / "_kpu"
    scan = json.loads((kpu / "scan.json").read_text())
    assert scan["tables"]["t_anggota"]["total"]["rows"] == total["read"]
    assert "pemeriksaan-sumber" in (kpu / "laporan.html").read_text(encoding="utf-8")
    assert summary["stats"]["quality"]["expectations"] > 0
    assert list((kpu / "data-docs").rglob("index.html"))


def test_mariadb_to_postgresql_matches_truth(maria_url, pg_url, tmp_path, prefect_api):
    legacy = tmp_path / "legacy"
    synthesize(maria_url, legacy / "truth.jsonl", members=MEMBERS, seed=12)
    out = tmp_path / "out"
    summary = execute_run(_settings(maria_url, pg_url, legacy, out))
    assert_matches_truth(legacy / "truth.jsonl", out, pg_url)
    assert_ledger_balances(summary, load_truth(legacy / "truth.jsonl"))
    # The first publish built the member table's key and indexes, and member_document's key,
    # after filling them: they are all there, under their own names.
    engine = sa.create_engine(pg_url)
    inspector = sa.inspect(engine)
    indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("member")}
    assert indexes == {"ix_member_party": ["party_code"], "ix_member_nik": ["nik"]}
    for table, key, columns in (("member", "member_pkey", ["legacy_id"]),
                                ("member_document", "member_document_pkey", ["member_legacy_id"])):
        pk = inspector.get_pk_constraint(table)
        assert (pk["name"], pk["constrained_columns"]) == (key, columns)
    # Running again on the same inputs changes nothing but the run history.
    before = _table_snapshot(pg_url)
    execute_run(_settings(maria_url, pg_url, legacy, tmp_path / "out2"))
    assert _table_snapshot(pg_url) == before
    with engine.connect() as conn:
        runs = conn.execute(sa.text("SELECT count(*) FROM migration_run WHERE state='published'")).scalar_one()
    engine.dispose()
    assert runs == 2


def test_failure_before_publish_leaves_live_tables_unchanged(sqlite_legacy, pg_url, tmp_path, prefect_api):
    source = f"sqlite:///{sqlite_legacy / 'legacy.sqlite'}"
    execute_run(_settings(source, pg_url, sqlite_legacy, tmp_path / "out"))
    before = _table_snapshot(pg_url)
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:  # the party corrects a record; the failed run must not touch it
        conn.execute(sa.text("UPDATE member SET name = 'Koreksi Partai' WHERE legacy_id = "
                             "(SELECT min(legacy_id) FROM member)"))
    before = _table_snapshot(pg_url)
    with pytest.raises(Exception, match="fault injected"):
        execute_run(_settings(source, pg_url, sqlite_legacy, tmp_path / "out2", fault_fail_before_publish=True))
    assert _table_snapshot(pg_url) == before
    with engine.connect() as conn:
        states = dict(conn.execute(sa.text("SELECT state, count(*) FROM migration_run GROUP BY state")).all())
    engine.dispose()
    assert states == {"published": 1, "staging": 1}


def _set_rule_state(engine) -> tuple:
    with engine.connect() as conn:
        members = sorted(conn.execute(sa.text("SELECT legacy_id, outcome, kept_id FROM stg_member")).all())
        findings = sorted(conn.execute(sa.text(
            "SELECT legacy_id, code, status, detail FROM stg_finding WHERE origin = 'set'")).all(), key=repr)
        marks = conn.execute(sa.text("SELECT count(*) FROM run_checkpoint WHERE phase = 'set'")).scalar_one()
        leftovers = [name for name in sa.inspect(conn).get_table_names() if name.startswith("set_rule")]
    return members, findings, marks, leftovers


def test_set_rules_applied_again_give_the_same_result(sqlite_legacy, pg_url, tmp_path, prefect_api):
    """A run resumed after its set rules committed applies them again: the second attempt first
    puts back what the first changed (its "set" mark says there was one)."""
    from sipol_migrate import setrules

    source = f"sqlite:///{sqlite_legacy / 'legacy.sqlite'}"
    with pytest.raises(Exception, match="fault injected"):
        execute_run(_settings(source, pg_url, sqlite_legacy, tmp_path / "out", fault_fail_before_publish=True))
    engine = sa.create_engine(pg_url)
    first = _set_rule_state(engine)
    members, findings, marks, leftovers = first
    assert marks == 1 and leftovers == []
    assert {"NIK_DUPLICATE_IN_PARTY", "NIK_DUPLICATE_ACROSS_PARTIES", "DOC_KTP_MISSING",
            "DOC_KTA_MISSING"} <= {code for _, code, _, _ in findings}
    assert {outcome for _, outcome, _ in members} >= {"MERGED", "BMS", "MS"}
    with engine.connect() as conn:
        run_id = conn.execute(sa.text("SELECT run_id FROM migration_run WHERE state = 'staging'")).scalar_one()
    setrules.apply_member_set_rules(engine, run_id)
    assert _set_rule_state(engine) == first
    engine.dispose()


def test_cli_run_prints_ledger_and_report_path(sqlite_legacy, tmp_path, prefect_api):
    out = tmp_path / "out"
    env = {**os.environ, "SIPOL_TARGET_URL": f"sqlite:///{tmp_path / 't.sqlite'}"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "sipol-migrate"), "run",
         "--source", f"sqlite:///{sqlite_legacy / 'legacy.sqlite'}", "--out", str(out),
         "--party-map", str(sqlite_legacy / "parties.yaml"),
         "--regions", str(sqlite_legacy / "regions-2022.csv"), "--quiet"],
        env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert f"{summary['total']['anggota']['read']:,}" in result.stdout
    assert str(out.resolve()) in result.stdout


def test_run_publishes_ledger_and_report_paths_as_artifacts(sqlite_legacy, tmp_path, prefect_api):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    target = f"sqlite:///{tmp_path / 'target.sqlite'}"
    summary = execute_run(_settings(f"sqlite:///{sqlite_legacy / 'legacy.sqlite'}", target, sqlite_legacy,
                                    tmp_path / "out"))
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["member-ledger", "report-paths"])))
    mine = [a for a in artifacts if summary["run_id"] in (a.description or "") + str(a.data)]
    ledger = next(a for a in mine if a.key == "member-ledger")
    rows = json.loads(ledger.data) if isinstance(ledger.data, str) else ledger.data
    by_party = {row["party"]: row for row in rows}
    for code, entities in summary["parties"].items():
        assert by_party[code]["MS"] == entities["anggota"]["MS"]
    paths = next(a for a in mine if a.key == "report-paths")
    assert str((tmp_path / "out" / "PKB" / "laporan.html").resolve()) in paths.data
    text = str(ledger.data) + str(paths.data)
    assert not re.search(r"\d{16}", text)  # counts and paths only
