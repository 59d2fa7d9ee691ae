"""The checksums an unchanged rerun relies on: legacy tables (MariaDB and SQLite), live tables
(PostgreSQL and SQLite) and the output manifest. Each must move when one value changes."""

from __future__ import annotations

import sqlalchemy as sa

from sipol_migrate import extract, unchanged
from sipol_migrate.schema import create_schema, unit
from sipol_migrate.synth import synthesize

from ..helpers import execute


def _digest(url: str) -> dict:
    engine = sa.create_engine(url)
    try:
        return extract.source_digest(engine)
    finally:
        engine.dispose()


def _changes_only(url: str, table: str, sql: str) -> None:
    before = _digest(url)
    assert before == _digest(url), "the digest of an unchanged source must be stable"
    execute(url, sql)
    after = _digest(url)
    assert {name for name in before if before[name] != after[name]} == {table}


def test_mariadb_source_digest_moves_with_one_value(maria_url, tmp_path):
    synthesize(maria_url, tmp_path / "truth.jsonl", members=300, seed=3)
    _changes_only(maria_url, "t_anggota", "UPDATE t_anggota SET alamat = 'Jl. Baru 1' WHERE id = 7")
    _changes_only(maria_url, "t_upload_kta", "DELETE FROM t_upload_kta ORDER BY id LIMIT 1")


def test_sqlite_source_digest_moves_with_one_value(tmp_path):
    url = f"sqlite:///{tmp_path / 'legacy.sqlite'}"
    synthesize(url, tmp_path / "truth.jsonl", members=300, seed=3)
    assert set(_digest(url)) == set(extract.LEGACY_TABLES)
    _changes_only(url, "t_pengurus", "UPDATE t_pengurus SET nama = 'Ahmad Fauzi' WHERE id = (SELECT min(id) FROM t_pengurus)")


def _live(engine) -> dict:
    with engine.connect() as conn:
        return unchanged.live_state(conn)


def _correct_unit(engine, no_sk: str) -> None:
    with engine.begin() as conn:
        conn.execute(unit.update().where(unit.c.legacy_id == 2).values(no_sk=no_sk))


def test_live_state_moves_with_one_value(pg_url, tmp_path):
    for url in (pg_url, f"sqlite:///{tmp_path / 'target.sqlite'}"):
        engine = sa.create_engine(url)
        create_schema(engine)
        with engine.begin() as conn:  # the publish records the state inside its transaction
            conn.execute(unit.insert(), [
                {"legacy_id": i, "party_code": "PKB", "partai_id": 1, "level": "kabkota", "region_code": "32.01",
                 "no_sk": f"SK-{i}"} for i in (1, 2)])
            published = unchanged.live_state(conn)
        assert _live(engine) == published, url  # the same once committed
        _correct_unit(engine, "SK-2b")  # a party's correction
        corrected = _live(engine)
        assert corrected["unit"][0] == 2
        assert {t for t in published if published[t] != corrected[t]} == {"unit"}, url
        if url == pg_url:  # row versions: writing the same value again counts as a change
            _correct_unit(engine, "SK-2b")
            assert _live(engine)["unit"] != corrected["unit"]
        engine.dispose()


def test_manifest_lists_only_reusable_files(tmp_path):
    for relative in ("PKB/findings.csv", "PKB/laporan.xlsx", "PKB/laporan.html", "PKB/progress.csv",
                     "_kpu/laporan.xlsx", "_kpu/findings.csv", "_kpu/data-docs/index.html", "summary.json"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(relative)
    assert sorted(unchanged.manifest(tmp_path)) == [
        "PKB/findings.csv", "PKB/laporan.xlsx", "_kpu/data-docs/index.html", "_kpu/findings.csv"]
