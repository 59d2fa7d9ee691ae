"""Fixtures of the quality-gate and scan tests: one fresh database per test (t_q_<random>).

- `q_pg`: a PostgreSQL target database (engine), dropped after the test.
- `q_maria`: a MariaDB legacy database (latin1, like the real one) holding the legacy tables,
  created by executing the statements of spec/legacy_sipol_2017.sql; dropped after the test.
- `q_sqlite_target` / `q_sqlite_legacy`: SQLite files in the test's tmp dir.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa

from sipol_migrate.db import make_engine

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
MARIA_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"
ROOT = Path(__file__).resolve().parents[2]
LEGACY_SQL_CANDIDATES = (ROOT / "src" / "sipol_migrate" / "data" / "legacy_sipol_2017.sql",
                         ROOT.parent / "shared" / "spec" / "legacy_sipol_2017.sql")


def legacy_statements() -> list[str]:
    path = next(p for p in LEGACY_SQL_CANDIDATES if p.exists())
    text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
    return [s.strip() for s in text.split(";") if s.strip()]


def new_pg_database() -> tuple[str, str]:
    name = f"t_q_{secrets.token_hex(5)}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return name, f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"


def drop_pg_database(name: str) -> None:
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def new_maria_database() -> tuple[str, str]:
    name = f"t_q_{secrets.token_hex(5)}"
    admin = sa.create_engine(MARIA_ADMIN)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET latin1")
    admin.dispose()
    url = f"mysql+pymysql://root@127.0.0.1:3306/{name}"
    engine = sa.create_engine(url + "?charset=utf8mb4")
    with engine.begin() as conn:
        for statement in legacy_statements():
            conn.exec_driver_sql(statement)
    engine.dispose()
    return name, url


def drop_maria_database(name: str) -> None:
    admin = sa.create_engine(MARIA_ADMIN)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    admin.dispose()


@pytest.fixture
def q_pg():
    name, url = new_pg_database()
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        drop_pg_database(name)


@pytest.fixture
def q_maria():
    name, url = new_maria_database()
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        drop_maria_database(name)


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
