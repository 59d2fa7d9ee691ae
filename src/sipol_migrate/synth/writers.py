"""Writing the legacy database: MariaDB (bulk LOAD DATA) or SQLite, on a background thread.

MariaDB: the connection speaks utf8mb4 to latin1 tables, as the legacy application's readers
do; strings go in as they should read back (a double-encoded name as its mojibake, which the
server stores as the original UTF-8 bytes). Zero dates need a session sql_mode without
NO_ZERO_DATE / NO_ZERO_IN_DATE. Batches go through `LOAD DATA LOCAL INFILE` from a temporary
file (about twice as fast as multi-row INSERTs here); when the server refuses LOCAL INFILE the
writer falls back to pymysql's executemany, which sends multi-row INSERTs.

Both targets create the spec's tables, load them without their secondary indexes and build
those indexes at the end (`add_indexes`): with random NIKs, keeping ix_anggota_nik up to date
row by row made MariaDB ten times slower than one sorted build.
"""

from __future__ import annotations

import queue
import re
import sqlite3
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import pymysql
from sqlalchemy.engine import make_url

from ..errors import ConnectionFailed, InputError
from ..settings import redact_url
from .schema import (TABLES, mysql_add_index_statements, mysql_drop_index_statements,
                     mysql_statements, sqlite_index_statements, sqlite_statements)

_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"})
_LOCAL_INFILE_REFUSED = {1148, 2068, 3948}


class LegacyTarget(ABC):
    """Where the synthetic legacy rows go."""

    @abstractmethod
    def reset_schema(self) -> None: ...

    @abstractmethod
    def insert(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None: ...

    @abstractmethod
    def add_indexes(self) -> None:
        """Build the secondary indexes after the bulk load (faster than keeping them up)."""

    @abstractmethod
    def close(self) -> None: ...


def open_target(url: str) -> LegacyTarget:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise InputError("synth needs a file for SQLite: sqlite:///path/to/legacy.sqlite")
        return SqliteTarget(Path(parsed.database))
    if parsed.get_backend_name() in ("mysql", "mariadb"):
        return MariaDbTarget(url)
    raise InputError(f"synth writes MariaDB or SQLite, not {parsed.get_backend_name()}")


class SqliteTarget(LegacyTarget):
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA synchronous = OFF")
        self.conn.execute("PRAGMA journal_mode = MEMORY")

    def reset_schema(self) -> None:
        for table in reversed(TABLES):
            self.conn.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in sqlite_statements():
            self.conn.execute(statement)

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        self.conn.execute("BEGIN")
        self.conn.executemany(sql, rows)
        self.conn.execute("COMMIT")

    def add_indexes(self) -> None:
        for statement in sqlite_index_statements():
            self.conn.execute(statement)

    def close(self) -> None:
        self.conn.close()


class MariaDbTarget(LegacyTarget):
    def __init__(self, url: str):
        parsed = make_url(url)
        self.database = parsed.database
        if not self.database or not re.fullmatch(r"[A-Za-z0-9_$]+", self.database):
            raise InputError("the MariaDB URL must name a database (letters, digits, _ and $ only)")
        try:
            self.conn = pymysql.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 3306,
                                        user=parsed.username, password=parsed.password or "",
                                        charset="utf8mb4", local_infile=True, autocommit=False)
        except pymysql.err.OperationalError as error:
            raise ConnectionFailed(f"cannot reach {redact_url(url)} (error {error.args[0]})") from None
        self.use_local_infile = True
        self._tmp = tempfile.TemporaryDirectory(prefix="sipol-synth-")
        with self.conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{self.database}` CHARACTER SET latin1")
            cursor.execute(f"USE `{self.database}`")
            cursor.execute("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'")

    def reset_schema(self) -> None:
        with self.conn.cursor() as cursor:
            for table in reversed(TABLES):
                cursor.execute(f"DROP TABLE IF EXISTS `{table}`")
            for statement in mysql_statements() + mysql_drop_index_statements():
                cursor.execute(statement)
        self.conn.commit()

    def add_indexes(self) -> None:
        with self.conn.cursor() as cursor:
            for statement in mysql_add_index_statements():
                cursor.execute(statement)
        self.conn.commit()

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        if self.use_local_infile:
            try:
                self._load_data(table, columns, rows)
                return
            except (pymysql.err.OperationalError, pymysql.err.InternalError) as error:
                if error.args[0] not in _LOCAL_INFILE_REFUSED:
                    raise
                self.conn.rollback()
                self.use_local_infile = False
        sql = f"INSERT INTO `{table}` ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
        with self.conn.cursor() as cursor:
            for start in range(0, len(rows), 5000):
                cursor.executemany(sql, rows[start:start + 5000])
        self.conn.commit()

    def _load_data(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        path = Path(self._tmp.name) / f"{table}.tsv"
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.writelines("\t".join([_tsv(value) for value in row]) + "\n" for row in rows)
        sql = (f"LOAD DATA LOCAL INFILE %s INTO TABLE `{table}` CHARACTER SET utf8mb4 "
               f"FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' "
               f"({', '.join(columns)})")
        with self.conn.cursor() as cursor:
            cursor.execute(sql, (str(path),))
            cursor.execute("SHOW COUNT(*) WARNINGS")
            warnings = cursor.fetchone()[0]
            if warnings:
                cursor.execute("SHOW WARNINGS LIMIT 3")
                raise RuntimeError(f"loading {table} gave {warnings} warnings: {cursor.fetchall()}")
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()
        self._tmp.cleanup()


def _tsv(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, int):
        return str(value)
    return value.translate(_TSV_ESCAPES)


class BackgroundWriter:
    """Runs a target's inserts on one thread, at most `depth` batches behind the producer."""

    _STOP = object()

    def __init__(self, target: LegacyTarget, depth: int = 3):
        self.target = target
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="synth-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is self._STOP:
                return
            if self._error is None:
                try:
                    self.target.insert(*job)
                except BaseException as error:  # handed to the producer thread
                    self._error = error

    def submit(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        self._raise()
        if rows:
            self._queue.put((table, columns, rows))

    def finish(self) -> None:
        """Wait until every submitted batch is written; raise the writer's error, if any."""
        if self._thread.is_alive():
            self._queue.put(self._STOP)
            self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error
