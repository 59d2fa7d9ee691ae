"""Progress since the previous published run: what each party fixed, what is new, what is open.

Findings are compared by (entity, legacy_id, code) — the party-facing findings only (KPU-only
codes are left out) — in SQL, per party; the lists go to `<CODE>/progress.csv`. A run that
published the previous run's findings again (an unchanged rerun, unchanged.py) has every finding
still open: they are listed without comparing the two runs.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import Engine, exists, literal, select, union_all

from .output import KPU_ONLY_CODES, atomic_write
from .schema import finding, migration_run

KEY = ("entity", "legacy_id", "code")


def previous_run(target: Engine, run_id: str) -> str | None:
    """The published run (migration or reconcile) before `run_id`."""
    r = migration_run
    started = select(r.c.started_at).where(r.c.run_id == run_id).scalar_subquery()
    query = (select(r.c.run_id).where(r.c.state == "published", r.c.run_id != run_id,
                                      r.c.started_at <= started)
             .order_by(r.c.started_at.desc()).limit(1))
    with target.connect() as conn:
        return conn.execute(query).scalar()


def repeats(target: Engine, run_id: str, previous: str) -> bool:
    """True when `run_id` published the findings of `previous` again, unchanged."""
    r = migration_run
    with target.connect() as conn:
        stats = conn.execute(select(r.c.stats).where(r.c.run_id == run_id)).scalar()
    return bool(stats) and json.loads(stats).get("unchanged_since") == previous


def _side(run_id: str, party_code: str):
    f = finding
    return select(f.c.entity, f.c.legacy_id, f.c.code).where(
        f.c.run_id == run_id, f.c.party_code == party_code, f.c.code.not_in(KPU_ONLY_CODES))


def _only_in(first: str, second: str, party_code: str, label: str):
    a = _side(first, party_code).subquery()
    b = finding
    missing = ~exists().where(b.c.run_id == second, b.c.party_code == party_code,
                              b.c.entity == a.c.entity, b.c.legacy_id == a.c.legacy_id, b.c.code == a.c.code)
    return select(literal(label).label("progress"), a.c.entity, a.c.legacy_id, a.c.code).where(missing)


def _both(current: str, previous: str, party_code: str):
    a = _side(current, party_code).subquery()
    b = finding
    present = exists().where(b.c.run_id == previous, b.c.party_code == party_code,
                             b.c.entity == a.c.entity, b.c.legacy_id == a.c.legacy_id, b.c.code == a.c.code)
    return select(literal("still_open").label("progress"), a.c.entity, a.c.legacy_id, a.c.code).where(present)


def write_progress(target: Engine, run_id: str, previous: str, party_code: str, path: Path) -> dict:
    """Write the party's progress list; return its counts."""
    if repeats(target, run_id, previous):
        current = _side(run_id, party_code).subquery()
        rows = select(literal("still_open").label("progress"), current).subquery()
    else:
        rows = union_all(_only_in(previous, run_id, party_code, "fixed"),
                         _only_in(run_id, previous, party_code, "new"),
                         _both(run_id, previous, party_code)).subquery()
    counts = {"fixed": 0, "new": 0, "still_open": 0}
    with target.connect() as conn, atomic_write(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(["progress", *KEY])
        result = conn.execute(
            select(rows).order_by(rows.c.progress, rows.c.entity, rows.c.legacy_id, rows.c.code),
            execution_options={"stream_results": True, "yield_per": 20_000})
        for row in result:
            writer.writerow(row)
            counts[row[0]] += 1
    return {**counts, "previous_run_id": previous}
