"""Streaming reads from the legacy database: keyset pagination on `id`, never a whole table.

Each batch is one bounded query (`WHERE id > :last ORDER BY id LIMIT :n`), so memory is bounded
by the batch size whatever the driver, and a resumed run starts after its last checkpointed id.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, Table, func, inspect, select

from .errors import InputError
from .legacy import LEGACY_TABLES, m_partai, m_wilayah, t_anggota


def reflect_source(engine: Engine) -> dict[str, set[str]]:
    """Tables and columns the source really has (for the column-map check)."""
    inspector = inspect(engine)
    names = set(inspector.get_table_names())
    return {name: {c["name"] for c in inspector.get_columns(name)} for name in LEGACY_TABLES if name in names}


def iter_batches(engine: Engine, table: Table, *, batch_size: int, after_id: int = 0,
                 where=None, columns: list[str] | None = None) -> Iterator[list[dict]]:
    """Yield lists of row dicts in id order, `batch_size` at a time, starting after `after_id`."""
    cols = [table.c[name] for name in columns] if columns else list(table.c)
    keys = [c.name for c in cols]
    id_index = keys.index("id")
    last = after_id
    while True:
        query = select(*cols).where(table.c.id > last)
        if where is not None:
            query = query.where(where)
        query = query.order_by(table.c.id).limit(batch_size)
        with engine.connect() as conn:
            rows = conn.execute(query).fetchall()
        if not rows:
            return
        yield [dict(zip(keys, row)) for row in rows]
        if len(rows) < batch_size:
            return
        last = rows[-1][id_index]


def read_all(engine: Engine, table: Table, batch_size: int = 50_000) -> Iterator[dict]:
    """Every row of a small table (parties, regions, units, officers), streamed."""
    if "id" not in table.c:
        with engine.connect() as conn:
            result = conn.execute(select(table), execution_options={"yield_per": batch_size})
            keys = list(result.keys())
            for row in result:
                yield dict(zip(keys, row))
        return
    for batch in iter_batches(engine, table, batch_size=batch_size):
        yield from batch


def member_counts_by_party(engine: Engine) -> dict[int, tuple[int, int]]:
    """Per legacy partai_id: (rows, sum of ids) of t_anggota — the source side of the checksum."""
    query = select(t_anggota.c.partai_id, func.count(), func.sum(t_anggota.c.id)).group_by(
        t_anggota.c.partai_id)
    with engine.connect() as conn:
        return {int(p): (int(n), int(s or 0)) for p, n, s in conn.execute(query)}


def member_id_bounds(engine: Engine) -> dict[int, tuple[int, int]]:
    """Per legacy partai_id: the smallest and the largest id of its t_anggota rows."""
    query = select(t_anggota.c.partai_id, func.min(t_anggota.c.id), func.max(t_anggota.c.id)).group_by(
        t_anggota.c.partai_id)
    with engine.connect() as conn:
        return {int(p): (int(low), int(high)) for p, low, high in conn.execute(query)}


def party_ids(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return {int(r[0]) for r in conn.execute(select(m_partai.c.id))}


def region_rows(engine: Engine) -> list[dict]:
    """The legacy region reference (tens of thousands of rows: small enough to hold)."""
    rows = list(read_all(engine, m_wilayah))
    if not rows:
        raise InputError("legacy table m_wilayah is empty: the 2017 region reference is missing")
    return rows


def source_digest(engine: Engine) -> dict[str, str] | None:
    """A checksum of every legacy table the run reads, to tell an unchanged source (unchanged.py).

    MariaDB / MySQL: `CHECKSUM TABLE` (the server reads every row on one core; about 1 s per
    million rows here), one table per statement on two connections at once. SQLite (the
    embedded demo source): every row hashed here. Other dialects: None (no unchanged-rerun
    shortcut; the incremental rerun still applies).
    """
    names = sorted(LEGACY_TABLES)
    if engine.dialect.name in ("mysql", "mariadb"):
        def checksum(name: str):
            with engine.connect() as conn:
                return conn.exec_driver_sql(f"CHECKSUM TABLE `{name}`").one()[1]

        with ThreadPoolExecutor(max_workers=2) as pool:
            digest = dict(zip(names, pool.map(checksum, names)))
        if any(value is None for value in digest.values()):
            return None
        return {name: str(digest[name]) for name in names}
    if engine.dialect.name == "sqlite":
        from .db import rows_digest

        with engine.connect() as conn:
            return {name: rows_digest(conn, LEGACY_TABLES[name])[1] for name in names}
    return None
