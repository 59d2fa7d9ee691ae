"""Fixtures of the quality-gate and scan tests: one fresh database per test (t_q_<random>).

- `q_pg`: a PostgreSQL target database (engine), dropped after the test.
- `q_maria`: a MariaDB legacy database (latin1, like the real one) holding the legacy tables,
  created by executing the statements of spec/legacy_sipol_2017.sql; dropped after the test.
- `q_sqlite_target` / `q_sqlite_legacy`: SQLite files in the test's tmp dir.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from sipol_migrate.db import make_engine

from ..conftest import create_maria_database, create_pg_database, drop_maria_database, drop_pg_database

ROOT = Path(__file__).resolve().parents[2]
LEGACY_SQL_CANDIDATES = (ROOT / "src" / "sipol_migrate" / "data" / "legacy_sipol_2017.sql",
                         ROOT.parent / "shared" / "spec" / "legacy_sipol_2017.sql")


def legacy_statements() -> list[str]:
    path = next(p for p in LEGACY_SQL_CANDIDATES if p.exists())
    text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
    return [s.strip() for s in text.split(";") if s.strip()]


def new_maria_database() -> str:
    """A fresh latin1 MariaDB database holding the (empty) legacy tables."""
    url = create_maria_database()
    engine = sa.create_engine(url + "?charset=utf8mb4")
    with engine.begin() as conn:
        for statement in legacy_statements():
            conn.exec_driver_sql(statement)
    engine.dispose()
    return url


@pytest.fixture
def q_pg():
    url = create_pg_database()
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        drop_pg_database(url)


@pytest.fixture
def q_maria():
    url = new_maria_database()
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        drop_maria_database(url)


@pytest.fixture
def q_sqlite_target(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'target.sqlite'}")
    yield engine
    engine.dispose()


@pytest.fixture
def q_sqlite_legacy(tmp_path):
    from sipol_migrate.legacy import legacy_metadata

    engine = make_engine(f"sqlite:///{tmp_path / 'legacy.sqlite'}")
    legacy_metadata.create_all(engine)
    yield engine
    engine.dispose()
