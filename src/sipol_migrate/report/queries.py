"""The reads behind a party's report, in SQLAlchemy Core (PostgreSQL and SQLite alike).

Aggregates are computed in the database; record lists are streamed (server-side cursor on
PostgreSQL, `yield_per` batches) and grouped into one record per legacy row in Python, so memory
does not grow with the party's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter

from sqlalchemy import Engine, and_, distinct, func, inspect, select

from ..model import ANGGOTA, KEPENGURUSAN, PARTAI, PENGURUS
from ..output import KPU_ONLY_CODES
from ..progress import repeats
from ..schema import finding, member, member_holding

STRUCTURE_ENTITIES = (KEPENGURUSAN, PENGURUS, PARTAI)
STREAM_BATCH = 10_000

# Record categories: which sheet a member row goes to, by its outcome.
BMS, TMS, MERGED, NOTE = "BMS", "TMS", "MERGED", "NOTE"
CATEGORIES = (BMS, TMS, MERGED, NOTE)
OUTCOME_OF = {BMS: "BMS", TMS: "TMS", MERGED: "MERGED", NOTE: "MS"}
CATEGORY_OF = {outcome: category for category, outcome in OUTCOME_OF.items()}
_SOURCE = {BMS: member, NOTE: member, TMS: member_holding, MERGED: member_holding}


@dataclass(slots=True)
class RecordRow:
    """One member row of the party with all its findings (the party's own data only)."""

    legacy_id: int
    nik: str | None
    name: str | None
    region_code: str | None
    legacy_region_code: str | None
    kta_number: str | None
    codes: list[str] = field(default_factory=list)
    details: list[tuple[str, str | None]] = field(default_factory=list)


def stream(target: Engine, query) -> Iterator:
    with target.connect() as conn:
        yield from conn.execute(query, execution_options={"stream_results": True, "yield_per": STREAM_BATCH})


def _party_filter(run_id: str, party_code: str) -> tuple:
    f = finding
    return f.c.run_id == run_id, f.c.party_code == party_code, f.c.code.not_in(KPU_ONLY_CODES)


def code_counts(target: Engine, run_id: str, party_code: str) -> list[tuple[str, str, str, int]]:
    """(entity, code, status, findings) of the party, every entity."""
    f = finding
    query = (select(f.c.entity, f.c.code, f.c.status, func.count())
             .where(*_party_filter(run_id, party_code)).group_by(f.c.entity, f.c.code, f.c.status))
    with target.connect() as conn:
        return [(e, c, s, int(n)) for e, c, s, n in conn.execute(query)]


def _member_places(party_code: str):
    """The finding table joined to the party's member rows (live or holding) for their places."""
    f, m, h = finding, member.alias("m"), member_holding.alias("h")
    joined = f.outerjoin(m, and_(m.c.legacy_id == f.c.legacy_id, m.c.party_code == party_code)) \
        .outerjoin(h, and_(h.c.legacy_id == f.c.legacy_id, h.c.party_code == party_code))
    kab22 = func.substr(func.coalesce(m.c.region_code, h.c.region_code), 1, 5).label("kab22")
    kab17 = func.substr(func.coalesce(m.c.legacy_region_code, h.c.legacy_region_code), 1, 5).label("kab17")
    return joined, kab22, kab17


def region_code_counts(target: Engine, run_id: str, party_code: str) -> list[tuple]:
    """(kab 2022, kab 2017, code, findings) of the party's member findings."""
    f = finding
    joined, kab22, kab17 = _member_places(party_code)
    query = (select(kab22, kab17, f.c.code, func.count()).select_from(joined)
             .where(*_party_filter(run_id, party_code), f.c.entity == ANGGOTA)
             .group_by(kab22, kab17, f.c.code))
    with target.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def region_record_counts(target: Engine, run_id: str, party_code: str) -> list[tuple]:
    """(kab 2022, kab 2017, category, records) of the party's member rows with findings."""
    f = finding
    joined, kab22, kab17 = _member_places(party_code)
    query = (select(kab22, kab17, f.c.outcome, func.count(distinct(f.c.legacy_id))).select_from(joined)
             .where(*_party_filter(run_id, party_code), f.c.entity == ANGGOTA,
                    f.c.outcome.in_(tuple(CATEGORY_OF)))
             .group_by(kab22, kab17, f.c.outcome))
    with target.connect() as conn:
        return [(k22, k17, CATEGORY_OF[outcome], int(n)) for k22, k17, outcome, n in conn.execute(query)]


def record_counts(target: Engine, run_id: str, party_code: str) -> dict[str, int]:
    """Member rows with findings per category (the row counts of the XLSX action sheets)."""
    f = finding
    query = (select(f.c.outcome, func.count(distinct(f.c.legacy_id)))
             .where(*_party_filter(run_id, party_code), f.c.entity == ANGGOTA,
                    f.c.outcome.in_(tuple(CATEGORY_OF)))
             .group_by(f.c.outcome))
    counts = dict.fromkeys(CATEGORIES, 0)
    with target.connect() as conn:
        for outcome, n in conn.execute(query):
            counts[CATEGORY_OF[outcome]] = int(n)
    return counts


def record_rows(target: Engine, run_id: str, party_code: str, category: str) -> Iterator[RecordRow]:
    """The party's member rows of one category, in legacy id order, each with all its findings."""
    f, src = finding, _SOURCE[category]
    query = (select(f.c.legacy_id, f.c.code, f.c.detail, src.c.nik, src.c.name, src.c.region_code,
                    src.c.legacy_region_code, src.c.kta_number)
             .select_from(f.outerjoin(src, and_(src.c.legacy_id == f.c.legacy_id,
                                                src.c.party_code == party_code)))
             .where(*_party_filter(run_id, party_code), f.c.entity == ANGGOTA,
                    f.c.outcome == OUTCOME_OF[category])
             .order_by(f.c.legacy_id, f.c.code))
    for legacy_id, rows in groupby(stream(target, query), key=itemgetter(0)):
        record = None
        for _, code, detail, nik, name, region_code, legacy_region_code, kta in rows:
            if record is None:
                record = RecordRow(int(legacy_id), nik, name, region_code, legacy_region_code, kta)
            record.codes.append(code)
            record.details.append((code, detail))
        yield record


def structure_rows(target: Engine, run_id: str, party_code: str) -> Iterator[tuple]:
    """(entity, legacy_id, code, status, detail) of the party's units, officers and party."""
    f = finding
    query = (select(f.c.entity, f.c.legacy_id, f.c.code, f.c.status, f.c.detail)
             .where(*_party_filter(run_id, party_code), f.c.entity.in_(STRUCTURE_ENTITIES))
             .order_by(f.c.entity, f.c.legacy_id, f.c.code))
    yield from stream(target, query)


def structure_count(target: Engine, run_id: str, party_code: str) -> int:
    """Rows of `structure_rows` (the length of the XLSX structure sheet)."""
    f = finding
    query = select(func.count()).where(*_party_filter(run_id, party_code), f.c.entity.in_(STRUCTURE_ENTITIES))
    with target.connect() as conn:
        return int(conn.execute(query).scalar())


def _finding_keys(run_id: str, party_code: str | None):
    f = finding
    where = [f.c.run_id == run_id, f.c.code.not_in(KPU_ONLY_CODES), f.c.party_code.is_not(None)]
    if party_code is not None:
        where.append(f.c.party_code == party_code)
    return select(f.c.party_code, f.c.entity, f.c.legacy_id, f.c.code).where(*where).distinct().subquery()


def progress_counts(target: Engine, run_id: str, previous_run_id: str,
                    party_code: str | None = None) -> dict[str, dict[str, dict[str, int]]]:
    """{party: {code: {fixed, new, still_open}}}, comparing findings by (entity, legacy_id, code)."""
    cur, prev = _finding_keys(run_id, party_code), _finding_keys(previous_run_id, party_code)
    on = and_(*[cur.c[name] == prev.c[name] for name in ("party_code", "entity", "legacy_id", "code")])
    queries = {
        "current": select(cur.c.party_code, cur.c.code, func.count()).group_by(cur.c.party_code, cur.c.code),
        "previous": select(prev.c.party_code, prev.c.code, func.count()).group_by(prev.c.party_code, prev.c.code),
        "still_open": select(cur.c.party_code, cur.c.code, func.count()).select_from(cur.join(prev, on))
        .group_by(cur.c.party_code, cur.c.code),
    }
    counts: dict[str, dict[tuple[str, str], int]] = {}
    if repeats(target, run_id, previous_run_id):  # the same findings again: all still open
        with target.connect() as conn:
            counts["current"] = {(p, c): int(n) for p, c, n in conn.execute(queries["current"])}
        counts["previous"] = counts["still_open"] = counts["current"]
    else:
        with target.connect() as conn:
            for name, query in queries.items():
                counts[name] = {(p, c): int(n) for p, c, n in conn.execute(query)}
    result: dict[str, dict[str, dict[str, int]]] = {}
    for key in set(counts["current"]) | set(counts["previous"]):
        still = counts["still_open"].get(key, 0)
        result.setdefault(key[0], {})[key[1]] = {
            "fixed": counts["previous"].get(key, 0) - still,
            "new": counts["current"].get(key, 0) - still, "still_open": still}
    return result


def table_columns(target: Engine, name: str) -> set[str]:
    """Columns of a table that another issue may add (units, officers); empty when absent."""
    inspector = inspect(target)
    if not inspector.has_table(name):
        return set()
    return {column["name"] for column in inspector.get_columns(name)}
