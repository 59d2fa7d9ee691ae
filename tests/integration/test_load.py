"""Writing polars frames into PostgreSQL (load.write_rows): binary COPY, one type per column."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
import sqlalchemy as sa

from sipol_migrate import load

pytestmark = [pytest.mark.integration]


def test_a_frame_is_written_with_every_value_and_type_kept(pg_url):
    probe = sa.Table(
        "copy_probe", sa.MetaData(),
        sa.Column("id", sa.BigInteger), sa.Column("small", sa.Integer), sa.Column("flag", sa.Boolean),
        sa.Column("day", sa.Date), sa.Column("at", sa.DateTime), sa.Column("code", sa.String(5)),
        sa.Column("note", sa.Text), sa.Column("nothing", sa.Text), sa.Column("no_day", sa.Date),
    )
    frame = pl.DataFrame({
        "id": [1, 2, 3],
        "small": [7, None, -7],  # Int64 in the frame, INTEGER in the table: cast
        "flag": [True, None, False],
        "day": [date(1950, 1, 31), None, date(2017, 12, 31)],
        "at": [datetime(2018, 2, 3, 4, 5, 6, 789012), None, datetime(1970, 1, 1)],
        "code": ["PDI", "", None],  # '' and NULL stay apart
        "note": ["Jl. Nusa\x00Indah", "Pâ€™ak → Pak", None],  # NUL dropped, UTF-8 kept
        "nothing": [None, None, None],  # a column of nulls has no type in the frame
        "no_day": [None, None, None],
    })
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        probe.create(conn)
        assert load.write_rows(conn, probe, frame) == 3
        assert load.write_rows(conn, probe, frame.clear()) == 0
    with engine.connect() as conn:
        rows = conn.execute(sa.select(probe).order_by(probe.c.id)).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [
        (1, 7, True, date(1950, 1, 31), datetime(2018, 2, 3, 4, 5, 6, 789012), "PDI", "Jl. NusaIndah", None, None),
        (2, None, None, None, None, "", "Pâ€™ak → Pak", None, None),
        (3, -7, False, date(2017, 12, 31), datetime(1970, 1, 1), None, None, None, None),
    ]
