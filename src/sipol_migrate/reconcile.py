"""`reconcile`: the rules again on the new database as it stands, without the legacy database.

Parties correct their records in the new Sipol; a reconcile stages the live state (every member,
migrated or held, with its row findings and documents), judges party-edited records again on
their current content, re-runs the set rules, and publishes a findings-only run, so every
party's report shows what it fixed, what is new and what is still open.
"""

from __future__ import annotations

from sqlalchemy import func, inspect, select, union_all

from . import pipeline
from .db import check_reachable, make_engine
from .errors import InputError
from .mappings import load_codes, load_party_map
from .model import UnitRecord
from .regions import RegionBook, load_region_csv
from .rules.member import MemberRuleContext
from .schema import member, member_holding, region
from .settings import Settings
from .stage import Partition


def _region_rows(conn, year: int) -> list[dict]:
    rows = conn.execute(select(region).where(region.c.year == year)).all()
    return [{"kode": r.code, "nama": r.name, "tingkat": r.level, "induk": r.parent,
             "jumlah_penduduk": r.population} for r in rows]


def live_counts(target) -> dict[int, tuple[int, int]]:
    """Per legacy partai_id: rows and id sum of the live state (member + holding)."""
    both = union_all(select(member.c.partai_id, member.c.legacy_id),
                     select(member_holding.c.partai_id, member_holding.c.legacy_id)).subquery()
    query = select(both.c.partai_id, func.count(), func.sum(both.c.legacy_id)).group_by(both.c.partai_id)
    with target.connect() as conn:
        return {int(p): (int(n), int(s or 0)) for p, n, s in conn.execute(query)}


def check_inputs(settings: Settings) -> pipeline.Inputs:
    """The target must hold a published migration; the party map and region file must be valid."""
    parties = load_party_map(settings.party_map)
    codes = load_codes(settings.codes_file)
    target = make_engine(settings.target())
    check_reachable(target, "target")
    if "member" not in inspect(target).get_table_names():
        raise InputError("the target holds no migration yet: run `sipol-migrate run` first")
    with target.connect() as conn:
        rows_2017 = _region_rows(conn, 2017)
        rows_2022 = load_region_csv(settings.regions) if settings.regions_given else _region_rows(conn, 2022)
    counts = live_counts(target)
    mapped = {p.legacy_id: p.code for p in parties.parties}
    partitions = [Partition(pid, mapped.get(pid), None if pid in mapped else "SKIPPED_PARTY_UNMAPPED",
                            changed=True) for pid in counts]
    region_rows = [pipeline._region_row(2017, r) for r in rows_2017] + \
        [pipeline._region_row(2022, r) for r in rows_2022]
    return pipeline.Inputs(settings=settings, source=None, target=target, parties=parties, codes=codes,
                           regions=RegionBook(rows_2017, rows_2022), region_rows=region_rows,
                           partitions=partitions, source_counts=counts,
                           fingerprint=pipeline._fingerprint(settings, "reconcile"),
                           party_codes={pid: mapped.get(pid) for pid in counts})


def member_context(inputs: pipeline.Inputs) -> MemberRuleContext:
    """Units come from the new database's `unit` table when it has one."""
    units: dict[int, UnitRecord] = {}
    if "unit" in inspect(inputs.target).get_table_names():
        from .schema import metadata

        unit = metadata.tables["unit"]
        with inputs.target.connect() as conn:
            for row in conn.execute(select(unit)):
                units[int(row.legacy_id)] = _unit_record(row)
    return MemberRuleContext(regions=inputs.regions, units=units,
                             reference_date=inputs.settings.reference_date, codes=inputs.codes)


def _unit_record(row) -> UnitRecord:
    m = row._mapping
    return UnitRecord(legacy_id=int(m["legacy_id"]), partai_id=int(m["partai_id"]), level=m.get("level"),
                      level_raw=m.get("level_raw"), region_2017=m.get("legacy_region_code"),
                      no_sk=None, sk_date=None, office_address=None, office_status=m.get("office_status"),
                      office_valid_until=m.get("office_valid_until"), is_deleted=False)
