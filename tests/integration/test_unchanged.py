"""A rerun with nothing changed publishes the last run's result again (unchanged.py, issue 7);
any change in the legacy tables, the live tables or the previous outputs makes it recompute."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from sipol_migrate.synth import synthesize

from ..helpers import execute, run_args, run_cli, scalar, summary
from ..truth import assert_matches_truth

pytestmark = [pytest.mark.integration]
MEMBERS = 1200


@pytest.fixture
def legacy(maria_url, tmp_path):
    folder = tmp_path / "legacy"
    synthesize(maria_url, folder / "truth.jsonl", members=MEMBERS, seed=31)
    return folder


def _run(maria_url: str, pg_url: str, legacy: Path, out: Path, *extra: str) -> dict:
    result = run_cli(*run_args(maria_url, pg_url, legacy, out, *extra))
    assert result.returncode == 0, result.stderr
    return summary(out)


def _findings(pg_url: str, run_id: str) -> list[tuple]:
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT party_code, entity, legacy_id, code, status, outcome, field, detail FROM finding "
            "WHERE run_id = :run ORDER BY entity, legacy_id, code, detail"), {"run": run_id}).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def _page_data(page: str) -> dict:
    start = page.index('<script type="application/json" id="data">') + len('<script type="application/json" id="data">')
    return json.loads(page[start:page.index("</script>", start)])


def _live_snapshot(pg_url: str) -> dict:
    tables = ("member", "member_holding", "member_document", "member_row_finding", "unit", "officer")
    return {t: scalar(pg_url, f"SELECT md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))) FROM {t} t")
            for t in tables}


def test_unchanged_rerun_publishes_the_same_result_under_a_new_run(maria_url, pg_url, legacy, tmp_path,
                                                                   prefect_api):
    first = _run(maria_url, pg_url, legacy, tmp_path / "o1")
    assert "unchanged_since" not in first["stats"]
    live = _live_snapshot(pg_url)
    second = _run(maria_url, pg_url, legacy, tmp_path / "o2")

    assert second["stats"]["unchanged_since"] == first["run_id"]
    assert second["run_id"] != first["run_id"]
    assert second["stats"]["rows_read"] == 0
    assert (second["parties"], second["total"]) == (first["parties"], first["total"])
    # The interface: the migrated data is untouched, the new run has its own (identical) findings.
    assert _live_snapshot(pg_url) == live
    assert _findings(pg_url, second["run_id"]) == _findings(pg_url, first["run_id"])
    assert scalar(pg_url, "SELECT count(*) FROM migration_run WHERE state = 'published'") == 2
    assert_matches_truth(legacy / "truth.jsonl", tmp_path / "o2", pg_url)

    o1, o2 = tmp_path / "o1", tmp_path / "o2"
    code = next(iter(first["parties"]))
    for same in (f"{code}/findings.csv", f"{code}/laporan.xlsx", "_kpu/findings.csv", "_kpu/scan.json"):
        assert (o2 / same).read_bytes() == (o1 / same).read_bytes(), same
    assert list((o2 / "_kpu" / "data-docs").rglob("index.html"))
    page = (o2 / code / "laporan.html").read_text(encoding="utf-8")
    assert f"Proses {second['run_id']}" in page and first["run_id"] in page  # progress since run 1
    # The page's records, rendered from the first run's laporan.json, are those its page had.
    assert _page_data(page) == _page_data((o1 / code / "laporan.html").read_text(encoding="utf-8"))
    assert json.loads((o2 / code / "laporan.json").read_text(encoding="utf-8"))["run_id"] == second["run_id"]
    assert _page_data(page)["records"]
    assert (o2 / code / "ringkasan.pdf").exists() and (o2 / "_kpu" / "laporan.xlsx").exists()
    # Progress against the first run: nothing fixed, nothing new, every finding still open.
    with open(o2 / code / "progress.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with open(o2 / code / "findings.csv", encoding="utf-8") as handle:
        party_rows = {(r["entity"], r["legacy_id"], r["code"]) for r in csv.DictReader(handle)}
    assert {r["progress"] for r in rows} == {"still_open"}
    assert {(r["entity"], r["legacy_id"], r["code"]) for r in rows} == party_rows
    assert second["progress"][code]["fixed"] == second["progress"][code]["new"] == 0

    # --recompute (and --full) go the whole way and reach the same state.
    third = _run(maria_url, pg_url, legacy, tmp_path / "o3", "--recompute")
    assert "unchanged_since" not in third["stats"] and third["stats"]["incremental"] is True
    assert _live_snapshot(pg_url) == live
    assert Counter(_findings(pg_url, third["run_id"])) == Counter(_findings(pg_url, first["run_id"]))
    # The second run's progress, counted without comparing (progress.repeats), equals the third's,
    # compared finding by finding with the second's.
    def counts(summary):
        return {party: {k: v for k, v in p.items() if k != "previous_run_id"} for party, p in summary["progress"].items()}
    assert counts(third) == counts(second)


def _recomputed(run: dict) -> bool:
    return "unchanged_since" not in run["stats"]


def test_any_change_makes_the_rerun_recompute(maria_url, pg_url, legacy, tmp_path, prefect_api):
    _run(maria_url, pg_url, legacy, tmp_path / "o1")

    # A legacy row changed (a checksum of every legacy table is compared).
    member_id = scalar(maria_url, "SELECT min(id) FROM t_anggota WHERE is_deleted = 0 AND nama <> ''")
    execute(maria_url, "UPDATE t_anggota SET nama = 'Siti Rahmawati Baru', updated_at = '2026-11-20 08:00:00' "
                       "WHERE id = :id", id=member_id)
    run = _run(maria_url, pg_url, legacy, tmp_path / "o2")
    assert _recomputed(run) and run["stats"]["rows_read"] > 0
    assert scalar(pg_url, "SELECT count(*) FROM member WHERE name = 'Siti Rahmawati Baru'") \
        + scalar(pg_url, "SELECT count(*) FROM member_holding WHERE name = 'Siti Rahmawati Baru'") == 1

    # A party corrected a member in the new database (a checksum of every live table is compared).
    edited = scalar(pg_url, "SELECT min(legacy_id) FROM member")
    execute(pg_url, "UPDATE member SET kta_number = 'KTA-KOREKSI-1' WHERE legacy_id = :id", id=edited)
    run = _run(maria_url, pg_url, legacy, tmp_path / "o4")
    assert _recomputed(run) and run["stats"]["party_edited"] == 1
    assert scalar(pg_url, "SELECT kta_number FROM member WHERE legacy_id = :id", id=edited) == "KTA-KOREKSI-1"

    # The previous outputs are no longer intact: they are written again in full.
    base = tmp_path / "o4"
    code = next(p.name for p in base.iterdir() if p.is_dir() and p.name != "_kpu")
    (base / code / "laporan.xlsx").write_bytes(b"damaged")
    run = _run(maria_url, pg_url, legacy, tmp_path / "o6")
    assert _recomputed(run)
    assert (tmp_path / "o6" / code / "laporan.xlsx").read_bytes()[:2] == b"PK"
    # So is the page data an unchanged rerun would render its pages from.
    (tmp_path / "o6" / code / "laporan.json").write_text('{"run_id": "edited"}', encoding="utf-8")
    run = _run(maria_url, pg_url, legacy, tmp_path / "o8")
    assert _recomputed(run)
    assert json.loads((tmp_path / "o8" / code / "laporan.json").read_text(encoding="utf-8"))["run_id"] == run["run_id"]

    # The settings differ (another reference date): recomputed.
    run = _run(maria_url, pg_url, legacy, tmp_path / "o7", "--reference-date", "2023-01-01")
    assert _recomputed(run)
    stored = json.loads(scalar(pg_url, "SELECT stats FROM migration_run WHERE run_id = :id", id=run["run_id"]))
    assert set(stored["base"]["source"]) >= {"t_anggota", "t_kepengurusan", "t_pengurus", "t_upload_ktp"}
