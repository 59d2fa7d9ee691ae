"""Staging a MariaDB source into PostgreSQL as columns (connectorx → polars → binary COPY) writes
exactly the staged rows, findings and uploads the per-row path writes (driver → dicts → COPY
text), on synthesised legacy data with every planted problem."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from sipol_migrate import columnar, partitions, pipeline
from sipol_migrate.schema import create_schema, stg_finding, stg_member, stg_upload
from sipol_migrate.settings import Settings
from sipol_migrate.stage import FaultPlan, stage_member_partition, stage_uploads
from sipol_migrate.synth import synthesize

pytestmark = [pytest.mark.integration]


def _stage_all(inputs, ctx, run_id: str, parts=None) -> None:
    for partition in parts or inputs.partitions:
        stage_member_partition(inputs.source, inputs.target, run_id, partition, ctx, 300, FaultPlan())
    for kind in ("ktp", "kta"):
        stage_uploads(inputs.source, inputs.target, run_id, kind, 300, FaultPlan())


def _content(engine, table, run_id: str) -> Counter:
    columns = [c for c in table.c if c.name != "run_id"]
    with engine.connect() as conn:
        return Counter(tuple(row) for row in conn.execute(sa.select(*columns).where(table.c.run_id == run_id)))


def test_columnar_staging_writes_what_the_per_row_path_writes(maria_url, pg_url, tmp_path, monkeypatch):
    legacy = tmp_path / "legacy"
    synthesize(maria_url, legacy / "truth.jsonl", members=2500, seed=5)
    with sa.create_engine(maria_url).begin() as conn:  # NUL in text: PostgreSQL cannot store it
        conn.exec_driver_sql("UPDATE t_anggota SET alamat = CONCAT('Jl. Nusa', CHAR(0), 'Indah'), "
                             "nama = CONCAT(nama, CHAR(0)) WHERE MOD(id, 97) = 0 AND is_deleted = 0")
    settings = Settings(source_url=maria_url, target_url=pg_url, party_map=legacy / "parties.yaml",
                        regions=legacy / "regions-2022.csv")
    inputs = pipeline.check_inputs(settings)
    create_schema(inputs.target)
    ctx = pipeline.member_context(inputs)
    assert all(columnar.usable(inputs.source, inputs.target, p.changed) for p in inputs.partitions)
    assert {p.skip_code for p in inputs.partitions} >= {None, "SKIPPED_ORPHAN", "SKIPPED_PARTY_UNMAPPED"}

    read = []
    real_read = columnar.read_batches
    monkeypatch.setattr(columnar, "read_batches", lambda *a, **k: read.append(a[1]) or real_read(*a, **k))
    _stage_all(inputs, ctx, "r-columns")
    assert {"t_anggota", "t_upload_ktp", "t_upload_kta"} <= set(read)  # the columnar path really ran

    cuts = partitions.id_cuts(inputs.partitions, inputs.source_counts, inputs.id_bounds, 700)
    spans = partitions.split(inputs.partitions, cuts, inputs.source_counts, inputs.party_codes)
    assert len(spans) > 3 and all(p.partai_id is None for p in spans)
    _stage_all(inputs, ctx, "r-spans", spans)  # every party's rows in id order

    monkeypatch.setattr(columnar, "usable", lambda *a, **k: False)
    _stage_all(inputs, ctx, "r-rows")
    for table in (stg_member, stg_finding, stg_upload):
        rows = _content(inputs.target, table, "r-rows")
        assert sum(rows.values()) > 500, table.name
        assert _content(inputs.target, table, "r-columns") == rows, table.name
        assert _content(inputs.target, table, "r-spans") == rows, table.name
    with inputs.target.connect() as conn:  # planted repairs, deletions and skipped parties were there
        codes = set(conn.execute(sa.select(stg_finding.c.code).where(stg_finding.c.run_id == "r-columns")).scalars())
        addresses = set(conn.execute(sa.select(stg_member.c.address).where(
            stg_member.c.run_id == "r-columns", stg_member.c.legacy_id % 97 == 0)).scalars())
    assert {"NAME_ENCODING_REPAIRED", "SKIPPED_DELETED", "SKIPPED_ORPHAN", "SKIPPED_PARTY_UNMAPPED",
            "NIK_MALFORMED", "REGION_RECODED"} <= codes
    assert "Jl. NusaIndah" in addresses  # the NUL dropped, as the per-row path drops it


def test_columnar_path_only_where_it_applies(maria_url, pg_url):
    maria, pg, lite = (sa.create_engine(u) for u in (maria_url, pg_url, "sqlite://"))
    assert columnar.usable(maria, pg)
    assert not columnar.usable(maria, lite)  # SQLite target: the per-row path
    assert not columnar.usable(lite, pg)  # SQLite source
    assert not columnar.usable(maria, pg, changed=sa.true())  # an incremental read


def _index_names(engine) -> set[str]:
    return {ix["name"] for table in ("stg_member", "stg_finding", "stg_upload")
            for ix in sa.inspect(engine).get_indexes(table)}


def _keyed(engine) -> set[str]:
    return {table for table in ("stg_member", "stg_upload")
            if sa.inspect(engine).get_pk_constraint(table)["constrained_columns"]}


def _unlogged(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relpersistence = 'u'"
            " AND relnamespace = current_schema()::regnamespace")).scalars())


def test_bulk_staging_only_on_postgresql(pg_url, tmp_path):
    from sipol_migrate.schema import BULK_STAGING_INDEXES, UNLOGGED_TABLES

    pg, lite = sa.create_engine(pg_url), sa.create_engine(f"sqlite:///{tmp_path / 't.sqlite'}")
    create_schema(pg)
    create_schema(lite)
    expected_unlogged = {t.name for t in UNLOGGED_TABLES}
    assert {"stg_member", "stg_upload", "stg_finding", "run_checkpoint"} <= expected_unlogged
    assert "stg_region" not in expected_unlogged  # written once per run: it must survive a crash
    assert not _index_names(pg) & set(BULK_STAGING_INDEXES) and not _keyed(pg)
    assert _unlogged(pg) == expected_unlogged
    assert set(BULK_STAGING_INDEXES) <= _index_names(lite)  # SQLite has no hash joins
    assert _keyed(lite) == {"stg_member", "stg_upload"}
    with pg.begin() as conn:  # a database an earlier version created
        conn.exec_driver_sql("CREATE INDEX ix_stg_member_nik ON stg_member (run_id, nik)")
        conn.exec_driver_sql("ALTER TABLE stg_member ADD CONSTRAINT stg_member_pkey PRIMARY KEY (run_id, legacy_id)")
        conn.exec_driver_sql("ALTER TABLE stg_member SET LOGGED")
        conn.exec_driver_sql("ALTER TABLE run_checkpoint SET LOGGED")
    assert "ix_stg_member_nik" in _index_names(pg) and _keyed(pg) == {"stg_member"}
    create_schema(pg)
    assert not _index_names(pg) & set(BULK_STAGING_INDEXES) and not _keyed(pg)
    assert _unlogged(pg) == expected_unlogged


def test_clearing_a_run_keeps_the_staged_rows_of_another(pg_url):
    from sipol_migrate.publish import clear_staging

    pg = sa.create_engine(pg_url)
    create_schema(pg)
    rows = [{"run_id": run, "legacy_id": i, "partai_id": 1, "is_deleted": False, "origin": "legacy"}
            for run in ("r-a", "r-b") for i in range(3)]
    with pg.begin() as conn:
        conn.execute(stg_member.insert(), rows)
        clear_staging(conn, "r-a")  # r-b's rows are there: deleted row by row
    with pg.connect() as conn:
        assert conn.execute(sa.select(stg_member.c.run_id).distinct()).scalars().all() == ["r-b"]
    with pg.begin() as conn:
        clear_staging(conn, "r-b")  # the only run left: truncated
    with pg.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(stg_member)).scalar_one() == 0
    pg.dispose()
