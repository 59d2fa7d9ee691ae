"""Machine-readable outputs of a run (INTERFACE.md): findings.csv per party, the KPU file, summary.json.

Files are written to a temporary name and renamed, so a reader never sees half a file. Rows are
streamed from the target in (entity, legacy_id, code) order, which keeps diffs between runs stable.
"""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, select

from .schema import finding, member, member_holding

FINDING_COLUMNS = ["entity", "legacy_id", "code", "status", "outcome", "field", "detail"]
KPU_ONLY_CODES = ("SKIPPED_ORPHAN", "SKIPPED_PARTY_UNMAPPED", "SKIPPED_DELETED", "CONFLICT_PARTY_EDITED")
CROSS_PARTY = "NIK_DUPLICATE_ACROSS_PARTIES"


@contextmanager
def atomic_write(path: Path, newline: str | None = ""):
    """Open `path.tmp` for writing; rename over `path` only when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline=newline) as handle:
            yield handle
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _stream(target: Engine, query) -> Iterable:
    with target.connect() as conn:
        yield from conn.execute(query, execution_options={"stream_results": True, "yield_per": 20_000})


def _order(query):
    return query.order_by(finding.c.entity, finding.c.legacy_id, finding.c.code)


def write_party_findings(target: Engine, run_id: str, party_code: str, path: Path) -> int:
    f = finding
    query = _order(select(*[f.c[c] for c in FINDING_COLUMNS]).where(
        f.c.run_id == run_id, f.c.party_code == party_code, f.c.code.not_in(KPU_ONLY_CODES)))
    count = 0
    with atomic_write(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(FINDING_COLUMNS)
        for row in _stream(target, query):
            writer.writerow(row)
            count += 1
    return count


def _cross_party_others(target: Engine, run_id: str) -> dict[int, str]:
    """legacy_id → 'others=CODE:ID,…' for every NIK_DUPLICATE_ACROSS_PARTIES row of the run."""
    f = finding
    kept = select(member.c.legacy_id, member.c.party_code, member.c.nik).union_all(
        select(member_holding.c.legacy_id, member_holding.c.party_code, member_holding.c.nik)).subquery()
    flagged = select(f.c.legacy_id, f.c.party_code, kept.c.nik).join(
        kept, kept.c.legacy_id == f.c.legacy_id).where(
        f.c.run_id == run_id, f.c.code == CROSS_PARTY).order_by(kept.c.nik).subquery()
    by_nik: dict[str, list[tuple[str, int]]] = defaultdict(list)
    others: dict[int, str] = {}
    current = None
    for legacy_id, party_code, nik in _stream(target, select(flagged)):
        if nik != current:
            others.update(_others_of(by_nik.pop(current, [])))
            current = nik
        by_nik[nik].append((party_code, legacy_id))
    others.update(_others_of(by_nik.pop(current, [])))
    return others


def _others_of(group: list[tuple[str, int]]) -> dict[int, str]:
    return {legacy_id: "others=" + ",".join(f"{code}:{other}" for code, other in sorted(group)
                                            if code != party_code)
            for party_code, legacy_id in group}


def write_kpu_findings(target: Engine, run_id: str, path: Path) -> int:
    f = finding
    others = _cross_party_others(target, run_id)
    query = _order(select(f.c.party_code, *[f.c[c] for c in FINDING_COLUMNS]).where(
        f.c.run_id == run_id, f.c.code.in_((*KPU_ONLY_CODES, CROSS_PARTY))))
    count = 0
    with atomic_write(path) as handle:
        writer = csv.writer(handle)
        writer.writerow([*FINDING_COLUMNS, "party"])
        for party_code, *row in _stream(target, query):
            if row[2] == CROSS_PARTY:
                row[6] = others.get(row[1], "")
            writer.writerow([*row, party_code or ""])
            count += 1
    return count


def write_summary(path: Path, summary: dict) -> None:
    with atomic_write(path, newline=None) as handle:
        json.dump(summary, handle, indent=2, ensure_ascii=False, sort_keys=False)
        handle.write("\n")
