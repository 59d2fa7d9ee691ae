"""Engines for the legacy source and the new target, configured once.

- MySQL/MariaDB (pymysql, or mysqlclient through `mysql+mysqldb://` — the C driver reads rows
  several times faster): utf8mb4 connection, DATE/DATETIME/TIMESTAMP left as raw strings so
  zero dates ('0000-00-00', '1985-00-12') never reach a converter; normalisation parses them.
- SQLite: an `md5()` SQL function is registered, so party-edit fingerprints are computed by the
  same SQL expression on every dialect.
"""

from __future__ import annotations

import hashlib
import threading
from contextlib import contextmanager

from pymysql.constants import FIELD_TYPE
from pymysql.converters import conversions
from sqlalchemy import Engine, create_engine, event, inspection
from sqlalchemy.engine import make_url

from .errors import ConnectionFailed, InputError
from .settings import redact_url

_RAW_DATE_TYPES = (FIELD_TYPE.DATE, FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP, FIELD_TYPE.NEWDATE)


def _mysql_conversions() -> dict:
    conv = dict(conversions)
    for field_type in _RAW_DATE_TYPES:
        conv.pop(field_type, None)
    return conv


def _mysqldb_conversions() -> dict:
    """mysqlclient (`mysql+mysqldb://`, the C driver, extra `[fast]`): dates as raw text too.

    Without a converter mysqlclient returns bytes; `str` makes its C code decode the value
    with the connection's charset, so both drivers hand normalisation the same raw strings."""
    from MySQLdb.converters import conversions as mysqldb_conversions

    conv = dict(mysqldb_conversions)
    for field_type in _RAW_DATE_TYPES:
        conv[field_type] = str
    return conv


def _md5(value):
    return None if value is None else hashlib.md5(value.encode("utf-8")).hexdigest()


def _register_sqlite_functions(dbapi_connection, _record) -> None:
    dbapi_connection.create_function("md5", 1, _md5, deterministic=True)


def make_engine(url: str, *, pool_size: int = 4, role: str | None = None) -> Engine:
    """An engine for `url`; `role` ("source", "target") names the URL in error messages."""
    try:
        parsed = make_url(url)
    except Exception:
        what = f"the {role} URL" if role else "URL"
        raise InputError(f"{what} is not a database URL: {redact_url(url)}") from None
    backend = parsed.get_backend_name()
    if backend in ("mysql", "mariadb"):
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        conv = _mysqldb_conversions() if parsed.get_driver_name() == "mysqldb" else _mysql_conversions()
        engine = create_engine(parsed, connect_args={"conv": conv},
                               pool_size=pool_size, pool_pre_ping=True, hide_parameters=True)
    elif backend == "sqlite":
        engine = create_engine(parsed, hide_parameters=True)
        event.listen(engine, "connect", _register_sqlite_functions)
    elif backend == "postgresql":
        engine = create_engine(parsed, pool_size=pool_size, pool_pre_ping=True, hide_parameters=True)
    else:
        raise InputError(f"unsupported database in {f'the {role} URL' if role else 'URL'} {redact_url(url)}: "
                         "use mysql, postgresql or sqlite")
    return engine


_ENGINES: dict[tuple[str, str], Engine] = {}
_ENGINES_LOCK = threading.Lock()


def cached_engine(url: str, role: str) -> Engine:
    """One engine per URL and role in this process (objects unpickled on a Dask worker, worker
    processes): made on first use, then shared, so its connection pool is too."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get((url, role))
        if engine is None:
            engine = _ENGINES[(url, role)] = make_engine(url, role=role)
        return engine


def check_reachable(engine: Engine, role: str) -> None:
    """Open and close one connection; a failure becomes a one-line ConnectionFailed."""
    try:
        with engine.connect() as conn:  # SQLite: read the schema, or a non-database file passes
            conn.exec_driver_sql("SELECT count(*) FROM sqlite_master" if engine.dialect.name == "sqlite"
                                 else "SELECT 1")
    except Exception as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ConnectionFailed(
            f"cannot reach the {role} database {redact_url(engine.url.render_as_string(hide_password=True))}: {reason}"
        ) from None


def rows_digest(conn, table) -> tuple[int, str]:
    """(rows, sha256) over every row of `table` in key order, hashed here (for small databases:
    the SQLite demo source and target; see extract.source_digest, unchanged.live_state)."""
    from sqlalchemy import select

    order = list(table.primary_key.columns) or ([table.c.id] if "id" in table.c else list(table.c))
    digest, count = hashlib.sha256(), 0
    for row in conn.execute(select(table).order_by(*order), execution_options={"yield_per": 10_000}):
        digest.update(repr(tuple(row)).encode())
        count += 1
    return count, digest.hexdigest()


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


class TransactionView:
    """An Engine-like view of one open connection, its uncommitted transaction included.

    `connect()` and `begin()` hand out that same connection and leave it open, so code written
    against an Engine (the output writers, the reports) reads what the caller's transaction has
    written but not yet committed. Publishing uses it to write every output before it commits
    (see docs/HARDENING.md, "A full output disk").
    """

    def __init__(self, conn):
        self.connection = conn

    @contextmanager
    def connect(self):
        yield self.connection

    begin = connect

    def __getattr__(self, name):  # dialect, url, name, …: those of the underlying engine
        return getattr(self.connection.engine, name)


@inspection._inspects(TransactionView)
def _inspect_view(view: TransactionView):
    return inspection.inspect(view.connection)
