"""The quality gate on a staged run, in PostgreSQL (and SQLite): pass, fail, warn, keep quiet,
and never let a NIK, a name or a birth date into results, errors or Data Docs."""

from __future__ import annotations

import json
import logging
import os
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from sipol_migrate import quality
from sipol_migrate.quality import QualityGateFailed, quality_result, run_gate
from sipol_migrate.schema import member, stg_member

from .staging import BIRTH, NAMES, NIKS, _finding, _member, ledger_of, small_rows, write_run

pytestmark = pytest.mark.integration

RUN = "r20240101T000000-a1b2c3"
BROKEN_NIK = "320101450785000"  # 15 digits


def stage(engine, members=None, findings=None, run_id=RUN):
    base_members, base_findings = small_rows(run_id)
    members = base_members + (members or [])
    findings = base_findings + (findings or [])
    write_run(engine, run_id, members, findings)
    return ledger_of(members)


def personal_strings() -> list[str]:
    values = [*NIKS.values(), BROKEN_NIK, *NAMES.values(), "Ma’ruf"]
    values += [d.isoformat() for d in BIRTH.values()]
    values += [d.strftime("%d-%m-%Y") for d in BIRTH.values()] + [d.strftime("%d/%m/%Y") for d in BIRTH.values()]
    return values


def assert_no_personal_data(*texts: str) -> None:
    for text in texts:
        for value in personal_strings():
            assert value not in text, f"personal value {value!r} leaked"


def docs_text(docs: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in docs.rglob("*")
                     if p.is_file() and p.suffix in (".html", ".json", ".js", ".txt", ".md"))


def stored(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(quality_result))]


def test_clean_run_passes_and_stores_results(q_pg, tmp_path, monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # GX must not write a gx/ folder into the working directory
    ledger = stage(q_pg)
    docs = tmp_path / "out" / "_kpu" / "data-docs"
    report = run_gate(q_pg, RUN, ledger, docs, results_json=tmp_path / "out" / "_kpu" / "quality.json")
    assert report.success, [r.describe() for r in report.critical_failures]
    assert not report.warnings
    names = {r.expectation for r in report.results}
    assert {"ms_nik_16_digits", "ms_region_in_2022", "code_in_catalogue", "nik_unique_in_party",
            "party_migrated_equals_ledger.PKB", "party_migrated_equals_ledger.GER",
            "staged_count_equals_ledger_read"} <= names
    assert report.data_docs_index and report.data_docs_index.exists()
    assert list(cwd.iterdir()) == []
    rows = stored(q_pg)
    assert len(rows) == len(report.results) and all(r["success"] for r in rows)
    assert {r["run_id"] for r in rows} == {RUN}
    summary = json.loads((tmp_path / "out" / "_kpu" / "quality.json").read_text())
    assert summary["success"] is True and summary["expectations"] == len(report.results)


def test_ms_member_with_15_digit_nik_fails_the_gate_naming_it(q_pg, tmp_path):
    broken = _member(RUN, 8, "PKB", "MS", nik=BROKEN_NIK, name="Siti Rahmawati",
                     birth_date=date(1985, 7, 5))
    ledger = stage(q_pg, members=[broken])
    docs = tmp_path / "data-docs"
    with pytest.raises(QualityGateFailed) as info:
        run_gate(q_pg, RUN, ledger, docs, results_json=tmp_path / "quality.json")
    error = info.value
    message = str(error)
    assert "\n" not in message
    assert "member.ms_nik_16_digits broken by 1 row" in message
    assert "(e.g. 8)" in message  # the failing legacy id
    failed = [r for r in error.results if not r.success]
    assert [r.expectation for r in failed] == ["ms_nik_16_digits"]
    assert failed[0].unexpected_count == 1 and failed[0].failing_keys == [8]
    assert error.report is not None and not error.report.success
    assert error.exit_code != 0
    # Nothing was published: the live member table is as it was (empty), the staged row is there.
    with q_pg.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(member)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(stg_member)).scalar() == 8
    # Results are kept per run, failing ones included, with counts and ids only.
    row = next(r for r in stored(q_pg) if r["expectation"] == "ms_nik_16_digits")
    assert (row["success"], row["unexpected_count"], json.loads(row["failing_keys"])) == (False, 1, [8])
    # No NIK, name or birth date anywhere: error, stored results, results JSON, Data Docs.
    assert_no_personal_data(message, json.dumps(stored(q_pg), default=str),
                            (tmp_path / "quality.json").read_text(), docs_text(docs))
    assert (docs / "index.html").exists()


def test_a_warning_is_reported_and_does_not_fail(q_pg, tmp_path):
    late = _member(RUN, 8, "PKB", "BMS", birth_date=date(2023, 1, 1), nik="3201014101230008")
    ledger = stage(q_pg, members=[late], findings=[_finding(RUN, 8, "PKB", "KTA_MISSING", "BMS")])
    report = run_gate(q_pg, RUN, ledger, None)
    assert report.success
    assert [w.expectation for w in report.warnings] == ["birth_date_not_after_reference"]
    assert report.warnings[0].failing_keys == [8]
    assert report.data_docs_index is None


def test_each_materialized_asset_is_computed_once_into_a_table_dropped_after(q_pg, monkeypatch):
    from sipol_migrate import quality

    made = []
    real = quality._materialised
    monkeypatch.setattr(quality, "_materialised", lambda *args: made.append(real(*args)) or made[-1])
    broken = _member(RUN, 8, "PKB", "MS", nik=BROKEN_NIK)
    with pytest.raises(QualityGateFailed) as info:  # a failing row: its id is asked for again
        run_gate(q_pg, RUN, stage(q_pg, members=[broken]), None)
    assert {tuple(r.failing_keys) for r in info.value.results if not r.success} == {(8,)}
    wanted = [name for suite in quality.load_suites() for name, asset in suite.assets.items() if asset.materialize]
    assert len(made) == len(set(made)) == len(wanted)
    assert all(name.startswith(f"gx_{RUN.replace('-', '_').lower()}_") for name in made)
    assert not [t for t in sa.inspect(q_pg).get_table_names() if t.startswith("gx_")]
    # A gate killed before its end leaves them: clearing the run's staging drops them.
    from sipol_migrate.publish import clear_staging

    left = real(q_pg, "member.members", RUN, "SELECT 1 AS legacy_id")
    with q_pg.begin() as conn:
        clear_staging(conn, RUN)
    assert left not in sa.inspect(q_pg).get_table_names()


def test_ledger_mismatch_names_the_party(q_pg):
    ledger = stage(q_pg)
    ledger["parties"]["PKB"]["MS"] += 1
    with pytest.raises(QualityGateFailed) as info:
        run_gate(q_pg, RUN, ledger, None)
    assert "member.party_migrated_equals_ledger.PKB: 3 rows counted, 4 expected" in str(info.value)
    failed = {r.expectation for r in info.value.results if not r.success}
    assert failed == {"party_migrated_equals_ledger.PKB"}


def test_unknown_finding_code_and_wrong_status_fail_naming_the_code(q_pg):
    ledger = stage(q_pg, findings=[_finding(RUN, 1, "PKB", "NIK_TYPO", "BMS"),
                                   _finding(RUN, 2, "PKB", "UNDERAGE", "BMS")])
    with pytest.raises(QualityGateFailed) as info:
        run_gate(q_pg, RUN, ledger, None)
    failed = {r.expectation: r for r in info.value.results if not r.success}
    assert failed["code_in_catalogue"].failing_keys == ["NIK_TYPO"]
    assert "UNDERAGE" in failed["code_status_in_catalogue"].failing_keys
    # MS rows with a BMS finding contradict their outcome, and the gate says so.
    assert sorted(failed["outcome_matches_findings"].failing_keys) == [1, 2]


def test_shared_nik_in_a_party_fails(q_pg):
    twin = _member(RUN, 8, "PKB", "BMS", nik=NIKS[1])
    ledger = stage(q_pg, members=[twin], findings=[_finding(RUN, 8, "PKB", "KTA_MISSING", "BMS")])
    with pytest.raises(QualityGateFailed, match=r"member.nik_unique_in_party broken by 1 row \(e.g. 1\)"):
        run_gate(q_pg, RUN, ledger, None)


def test_other_runs_rows_are_not_checked(q_pg):
    """A broken row of another (abandoned) run does not touch this run's verdict."""
    ledger = stage(q_pg)
    other = "r20231231T000000-ffffff"
    members, findings = small_rows(other)
    members.append(_member(other, 8, "PKB", "MS", nik=BROKEN_NIK))
    write_run(q_pg, other, members, findings)
    assert run_gate(q_pg, RUN, ledger, None).success


def test_gate_is_quiet(q_pg, tmp_path, capfd, caplog):
    ledger = stage(q_pg)
    with caplog.at_level(logging.INFO):
        run_gate(q_pg, RUN, ledger, tmp_path / "docs")
    captured = capfd.readouterr()
    assert "Calculating Metrics" not in captured.err + captured.out
    assert "%|" not in captured.err  # no progress bars
    assert not [r for r in caplog.records if r.name.startswith("great_expectations")]


def test_asset_queries_return_no_personal_columns_or_values(q_pg):
    """Run every asset query as the gate does: only ids, codes, counts and 0/1 flags come back."""
    broken = _member(RUN, 8, "PKB", "MS", nik=BROKEN_NIK)
    ledger = stage(q_pg, members=[broken])
    assets, _ = quality.plan(quality.load_suites(), quality.load_catalogue(), RUN, ledger, date(2022, 8, 1))
    with q_pg.connect() as conn:
        for name, (_, sql) in assets.items():
            result = conn.exec_driver_sql(sql)
            columns = set(result.keys())
            assert not columns & {"nik", "name", "birth_date", "birth_place", "address", "no_kk"}, name
            assert_no_personal_data(json.dumps([list(r) for r in result], default=str))


def test_sqlite_target_passes_and_fails_like_postgres(q_sqlite_target, tmp_path):
    ledger = stage(q_sqlite_target)
    report = run_gate(q_sqlite_target, RUN, ledger, tmp_path / "docs")
    assert report.success, [r.describe() for r in report.critical_failures]
    with q_sqlite_target.begin() as conn:
        conn.execute(stg_member.insert(), [_member(RUN, 8, "PKB", "MS", nik=BROKEN_NIK)])
    ledger["parties"]["PKB"]["read"] += 1
    ledger["parties"]["PKB"]["MS"] += 1
    ledger["total"]["read"] += 1
    ledger["total"]["MS"] += 1
    with pytest.raises(QualityGateFailed, match=r"member.ms_nik_16_digits broken by 1 row \(e.g. 8\)"):
        run_gate(q_sqlite_target, RUN, ledger, tmp_path / "docs")
    assert_no_personal_data(docs_text(tmp_path / "docs"), json.dumps(stored(q_sqlite_target), default=str))
    assert not (Path(os.getcwd()) / "gx").exists()


def test_a_gate_that_cannot_run_fails_closed(q_pg):
    """No staged tables at all (schema missing): the gate raises, it does not pass silently."""
    with pytest.raises(QualityGateFailed, match="could not run|broken|counted"):
        run_gate(q_pg, RUN, {"parties": {}, "total": {"read": 0, "MS": 0, "BMS": 0}}, None)


def test_the_target_password_never_reaches_data_docs_or_errors(q_pg, tmp_path):
    """PostgreSQL trusts local connections here, so a made-up password connects all the same."""
    from sipol_migrate.db import make_engine

    url = q_pg.url.set(password="s3cretpw").render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        broken = _member(RUN, 8, "PKB", "MS", nik=BROKEN_NIK)
        ledger = stage(engine, members=[broken])
        with pytest.raises(QualityGateFailed) as info:
            run_gate(engine, RUN, ledger, tmp_path / "docs", results_json=tmp_path / "q.json")
        texts = [str(info.value), docs_text(tmp_path / "docs"), (tmp_path / "q.json").read_text(),
                 json.dumps(stored(engine), default=str)]
        assert not [t for t in texts if "s3cretpw" in t]
    finally:
        engine.dispose()
