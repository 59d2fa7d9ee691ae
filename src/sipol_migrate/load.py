"""Writes into the target: COPY on PostgreSQL, executemany elsewhere (SQLite).

Both paths take the same input — a list of dicts keyed by column name — inside a connection the
caller's transaction owns, so a batch and its checkpoint commit together. On PostgreSQL a polars
frame (columnar.py) is written too, as COPY csv.
"""

from __future__ import annotations

import io
from contextlib import contextmanager

from psycopg2.extensions import encodings
from sqlalchemy import Connection, Table, insert

from .copytext import TEXT_ESCAPES as _TEXT_ESCAPES, copy_field as _copy_field, line_encoder  # noqa: F401

_COPY_CHUNK = 100_000


def _copy_from(conn: Connection, table: Table, columns: list[str], buffer: io.BytesIO, options: str = "") -> None:
    column_list = ", ".join(f'"{name}"' for name in columns)
    with conn.connection.dbapi_connection.cursor() as cursor:
        cursor.copy_expert(f'COPY "{table.name}" ({column_list}) FROM STDIN{options}', buffer, size=1 << 20)


def _copy(conn: Connection, table: Table, columns: list[str], rows: list[dict]) -> None:
    """COPY … FROM STDIN in text format (NULL is \\N, so '' and NULL stay apart)."""
    encode = line_encoder(table, columns)  # one generated function per column list (copytext.py)
    codec = encodings.get(conn.connection.dbapi_connection.encoding, "utf-8")  # as psycopg2 encodes a str
    for start in range(0, len(rows), _COPY_CHUNK):
        lines = encode(rows[start:start + _COPY_CHUNK])
        _copy_from(conn, table, columns, io.BytesIO(("\n".join(lines) + "\n").encode(codec)))


def _copy_frame(conn: Connection, table: Table, frame) -> int:
    """COPY a polars frame as CSV: every string quoted, so NULL (unquoted, empty) and '' stay apart.
    NUL characters are dropped, as the text format drops them (copytext.py): PostgreSQL's text
    cannot hold them."""
    if frame.height:
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=False, quote_style="non_numeric", null_value="",
                        datetime_format="%Y-%m-%d %H:%M:%S%.f", date_format="%Y-%m-%d")
        data = buffer.getvalue()
        if b"\x00" in data:  # a byte search: about a millisecond per batch
            buffer = io.BytesIO(data.replace(b"\x00", b""))
        buffer.seek(0)
        _copy_from(conn, table, frame.columns, buffer, " WITH (FORMAT csv)")
    return frame.height


def write_rows(conn: Connection, table: Table, rows) -> int:
    """Append rows (dicts; or a polars frame, PostgreSQL only) through the fastest path the dialect has."""
    if not isinstance(rows, list):
        return _copy_frame(conn, table, rows)
    if not rows:
        return 0
    columns = [c.name for c in table.columns if c.name in rows[0]]
    if conn.dialect.name == "postgresql":
        _copy(conn, table, columns, rows)
    else:
        conn.execute(insert(table), [{name: row.get(name) for name in columns} for row in rows])
    return len(rows)


def bulk_session(conn: Connection, work_mem: str = "256MB") -> None:
    """For this transaction only: memory for the sorts and hash joins of the set rules and the
    publish statements over millions of staged rows (PostgreSQL's default 4 MB spills them to
    disk). Server memory, per sort or hash node; not the pipeline's own."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{work_mem}'")


def refresh_statistics(conn: Connection, tables: list[Table], rough: bool = False) -> None:
    """Let the planner see what staging now holds (freshly loaded tables look empty to it,
    and an anti-join planned for an empty table takes minutes on a full one).

    `rough`: sample a tenth of the usual rows (statistics target 10). Sizes and rough value
    counts are all the staging statements' scans and hash joins need; the full sample of a
    2 M-row staging table took 0.7 s, this one 0.05 s."""
    if conn.dialect.name == "postgresql":
        if rough:
            conn.exec_driver_sql("SET LOCAL default_statistics_target = 10")
        for table in tables:
            conn.exec_driver_sql(f'ANALYZE "{table.name}"')
        if rough:
            conn.exec_driver_sql("SET LOCAL default_statistics_target TO DEFAULT")
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("ANALYZE")


@contextmanager
def indexes_built_after(conn: Connection, table: Table):
    """PostgreSQL: drop the secondary indexes of `table` for a bulk insert into it and build them
    again afterwards, in the caller's transaction (which holds the table exclusively meanwhile).
    Into an empty member table 2 M rows went in 20.8 s keeping its two indexes, 6.7 s without
    them, and the indexes then took 4.3 s to build."""
    secondary = list(table.indexes) if conn.dialect.name == "postgresql" else []
    for index in secondary:
        index.drop(conn)
    yield
    for index in secondary:
        index.create(conn)
