"""Fixtures of the report tests: a fresh PostgreSQL database each, holding a published state."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa

from report_state import build_state

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def rep_db():
    """A fresh PostgreSQL database (t_rep_<random>), dropped after the test."""
    name = f"t_rep_{secrets.token_hex(5)}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def state(rep_db):
    return build_state(rep_db)


