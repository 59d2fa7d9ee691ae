"""Shared fixtures: real databases (one fresh database per test), the region lists, Prefect.

- PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and MariaDB at 127.0.0.1:3306 (root):
  `pg_url` / `maria_url` create a uniquely named database and drop it after the test.
- The Kemendagri lists are found through SIPOL_WILAYAH_DIR (set by the Makefile), never copied.
- One Prefect API server per test process (`prefect server start`), shared by in-process flow
  runs and by the CLI subprocesses the tests start.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
MARIA_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"


def pytest_configure(config):
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


@pytest.fixture(scope="session")
def wilayah_dir() -> Path:
    path = Path(os.environ.get("SIPOL_WILAYAH_DIR", ROOT.parent / "shared" / "data" / "wilayah"))
    assert (path / "kemendagri_2017.csv").exists(), f"region lists not found in {path}"
    return path


def _unique(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(5)}"


def create_pg_database() -> str:
    name = _unique("t_pg")
    engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def create_maria_database() -> str:
    name = _unique("t_my")
    engine = sa.create_engine(MARIA_ADMIN)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET latin1")
    engine.dispose()
    return f"mysql+pymysql://root@127.0.0.1:3306/{name}"


def drop_maria_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = sa.create_engine(MARIA_ADMIN)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    engine.dispose()


@pytest.fixture
def pg_url():
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture
def maria_url():
    url = create_maria_database()
    yield url
    drop_maria_database(url)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """A real Prefect server for this test process; its URL is exported to the environment."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_UI_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "prefect"), "server", "start", "--host", "127.0.0.1",
         "--port", str(port), "--no-ui"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    import urllib.request

    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/health", timeout=2)
            break
        except Exception:
            time.sleep(0.5)
    else:
        server.kill()
        raise RuntimeError("Prefect server did not start")
    os.environ["PREFECT_API_URL"] = url  # for the CLI subprocesses
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url}):  # for in-process flow runs
        yield url
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
