"""Set-based management rules, in SQL on the staged run (FINDINGS.md, "Management findings").

Everything is computed where the data is: the staged units (`stg_unit`), officers
(`stg_officer`), members with their decided outcomes (`stg_member`) and the run's copy of the
2017 reference (`stg_region`, year 2017: region counts and `jumlah_penduduk`). Only the party
map and the province basis (a few dozen literals) come from the caller, as bound parameters.

- MGMT_OFFICER_MISSING (kepengurusan): an active unit of a known level lacking an active Ketua,
  Sekretaris or Bendahara; `missing=KETUA,SEKRETARIS,BENDAHARA` (those lacking).
- MGMT_PROVINCE_MISSING (partai): no active provinsi unit with a valid region for a basis
  province; one finding per province, `province=PP`.
- MGMT_KABKOTA_COVERAGE (partai): distinct kab/kota of a basis province with an active kabkota
  unit < ceil(0.75 × its kab/kota count); `province=PP;units=N;kabkota=N;required=N`.
- MGMT_KECAMATAN_COVERAGE (kepengurusan): for an active kabkota unit with a valid region,
  distinct kecamatan of its kab/kota with an active kecamatan unit of the party
  < ceil(0.5 × its kecamatan count); `units=N;kecamatan=N;required=N`.
- MGMT_WOMEN_SHARE (partai): women < 30 % of the active officers of the party's active pusat
  unit(s), or no such officer at all; `women=N;officers=N`.
- MEMBERSHIP_BELOW_MINIMUM (kepengurusan): for an active kabkota unit with a valid region, the
  party's MS members domiciled in its kab/kota < ceil(jumlah_penduduk / 1000) (1,000 when the
  population is missing); `ms=N;bms=N;required=N`. It reads member outcomes, so it runs after
  `setrules.apply_member_set_rules`.

Only units of a known level with a valid region count for coverage and minimums ("counts
nowhere" otherwise). Ceilings are integer arithmetic: ceil(3n/4) = (3n + 3) div 4,
ceil(n/2) = (n + 1) div 2, ceil(p/1000) = (p + 999) div 1000; 30 % is women × 10 < officers × 3.
The phase is idempotent: it first clears the findings an earlier attempt of the run made.
"""

from __future__ import annotations

from sqlalchemy import (
    Connection, Engine, String, Text, and_, case, cast, delete, exists, func, insert, literal, or_, select,
    true, type_coerce, union_all,
)

from . import load
from .mappings import OFFICER_ROLES, PartyMap
from .model import FEMALE, KABKOTA, KECAMATAN, KEPENGURUSAN, PARTAI, PROVINSI, PUSAT
from .regions import DISTRICT, PROVINCE, REGENCY, VILLAGE
from .schema import stg_finding, stg_member, stg_officer, stg_region, stg_unit

ORIGIN = "mgmt"  # stg_finding.origin of these findings (the member set rules clear only "set")
ACTIVE = "MIGRATED"
BMS = "BMS"
REFERENCE_YEAR = 2017
DEFAULT_POPULATION_REQUIRED = 1000

_FINDING_COLUMNS = ["run_id", "party_code", "entity", "legacy_id", "code", "status", "field",
                    "detail", "origin"]


def _text(value) -> object:
    return cast(value, Text)


def _cat(*parts) -> object:
    """`a || b || …` on every dialect (str literals become bound parameters)."""
    result = type_coerce(parts[0] if not isinstance(parts[0], str) else literal(parts[0]), String)
    for part in parts[1:]:
        result = result.op("||")(literal(part) if isinstance(part, str) else part)
    return type_coerce(result, String)


def _findings(conn: Connection, run_id: str, entity: str, code: str, party_code, legacy_id,
              detail, query_from, where, field=None) -> None:
    query = select(literal(run_id), party_code, literal(entity), legacy_id, literal(code), literal(BMS),
                   literal(field, String), detail, literal(ORIGIN)).select_from(query_from).where(where)
    conn.execute(insert(stg_finding).from_select(_FINDING_COLUMNS, query))


def _active_units(run_id: str, table=stg_unit):
    return and_(table.c.run_id == run_id, table.c.outcome == ACTIVE)


def _counting_units(run_id: str, level: str, table=stg_unit):
    """Active units of a level whose region is valid: the units that count."""
    return and_(_active_units(run_id, table), table.c.level == level, table.c.region_valid.is_(True))


def _prefix(column, length: int):
    return func.substr(column, 1, length)


def parties_select(parties: PartyMap):
    """The mapped parties as rows (party_code, partai_id); None when the map is empty."""
    rows = [select(literal(p.code, String).label("party_code"), literal(p.legacy_id).label("partai_id"))
            for p in parties.parties]
    if not rows:
        return None
    return (rows[0] if len(rows) == 1 else union_all(*rows)).subquery("parties")


def basis_select(run_id: str, basis: list[str] | None):
    """The basis provinces (column `province`): the given list, else the 2017 reference's."""
    if basis:
        rows = [select(literal(code, String).label("province")) for code in dict.fromkeys(basis)]
        return (rows[0] if len(rows) == 1 else union_all(*rows)).subquery("basis")
    r = stg_region
    return select(r.c.code.label("province")).where(
        r.c.run_id == run_id, r.c.year == REFERENCE_YEAR, r.c.level == PROVINCE).subquery("basis")


def _region_counts(run_id: str, level: int, length: int, name: str):
    """Regions of a level of the 2017 reference per parent prefix (`parent`, `n`)."""
    r = stg_region
    parent = _prefix(r.c.code, length)
    return (select(parent.label("parent"), func.count().label("n"))
            .where(r.c.run_id == run_id, r.c.year == REFERENCE_YEAR, r.c.level == level)
            .group_by(parent).subquery(name))


def _covered(run_id: str, level: str, length: int, name: str):
    """Distinct regions of a level with a counting unit, per party and parent prefix."""
    u = stg_unit
    parent = _prefix(u.c.legacy_region_code, length)
    return (select(u.c.party_code, parent.label("parent"),
                   func.count(func.distinct(u.c.legacy_region_code)).label("n"))
            .where(_counting_units(run_id, level)).group_by(u.c.party_code, parent).subquery(name))


# --- the rules ---------------------------------------------------------------------------------

def mark_officer_missing(conn: Connection, run_id: str) -> None:
    u, o = stg_unit, stg_officer

    def lacks(role: str):
        return ~exists().where(o.c.run_id == run_id, o.c.unit_legacy_id == u.c.legacy_id,
                               o.c.outcome == ACTIVE, o.c.role == role)

    lacking = _cat(*[case((lacks(role), literal(role + ",")), else_=literal("")) for role in OFFICER_ROLES])
    detail = _cat("missing=", func.rtrim(lacking, literal(",")))
    _findings(conn, run_id, KEPENGURUSAN, "MGMT_OFFICER_MISSING", u.c.party_code, u.c.legacy_id, detail, u,
              and_(_active_units(run_id), u.c.level.is_not(None), or_(*[lacks(r) for r in OFFICER_ROLES])))


def mark_province_missing(conn: Connection, run_id: str, parties, basis) -> None:
    u = stg_unit
    present = exists().where(_counting_units(run_id, PROVINSI), u.c.party_code == parties.c.party_code,
                             u.c.legacy_region_code == basis.c.province)
    _findings(conn, run_id, PARTAI, "MGMT_PROVINCE_MISSING", parties.c.party_code, parties.c.partai_id,
              _cat("province=", basis.c.province), parties.join(basis, true()), ~present)


def mark_kabkota_coverage(conn: Connection, run_id: str, parties, basis) -> None:
    regions = _region_counts(run_id, REGENCY, 2, "kabkota_count")
    covered = _covered(run_id, KABKOTA, 2, "kabkota_covered")
    units, total = func.coalesce(covered.c.n, 0), func.coalesce(regions.c.n, 0)
    required = (total * 3 + 3) // 4
    joined = (parties.join(basis, true())
              .outerjoin(regions, regions.c.parent == basis.c.province)
              .outerjoin(covered, and_(covered.c.party_code == parties.c.party_code,
                                       covered.c.parent == basis.c.province)))
    detail = _cat("province=", basis.c.province, ";units=", _text(units), ";kabkota=", _text(total),
                  ";required=", _text(required))
    _findings(conn, run_id, PARTAI, "MGMT_KABKOTA_COVERAGE", parties.c.party_code, parties.c.partai_id,
              detail, joined, units < required)


def mark_kecamatan_coverage(conn: Connection, run_id: str) -> None:
    u = stg_unit.alias("kabkota_unit")
    regions = _region_counts(run_id, DISTRICT, 5, "kecamatan_count")
    covered = _covered(run_id, KECAMATAN, 5, "kecamatan_covered")
    units, total = func.coalesce(covered.c.n, 0), func.coalesce(regions.c.n, 0)
    required = (total + 1) // 2
    joined = (u.outerjoin(regions, regions.c.parent == u.c.legacy_region_code)
              .outerjoin(covered, and_(covered.c.party_code == u.c.party_code,
                                       covered.c.parent == u.c.legacy_region_code)))
    detail = _cat("units=", _text(units), ";kecamatan=", _text(total), ";required=", _text(required))
    _findings(conn, run_id, KEPENGURUSAN, "MGMT_KECAMATAN_COVERAGE", u.c.party_code, u.c.legacy_id, detail,
              joined, and_(_counting_units(run_id, KABKOTA, u), units < required))


def mark_women_share(conn: Connection, run_id: str, parties) -> None:
    o, u = stg_officer, stg_unit
    board = (select(o.c.party_code, func.count().label("officers"),
                    func.sum(case((o.c.gender == FEMALE, 1), else_=0)).label("women"))
             .select_from(o.join(u, and_(u.c.run_id == run_id, u.c.legacy_id == o.c.unit_legacy_id)))
             .where(o.c.run_id == run_id, o.c.outcome == ACTIVE, _active_units(run_id), u.c.level == PUSAT)
             .group_by(o.c.party_code).subquery("board"))
    officers, women = func.coalesce(board.c.officers, 0), func.coalesce(board.c.women, 0)
    detail = _cat("women=", _text(women), ";officers=", _text(officers))
    _findings(conn, run_id, PARTAI, "MGMT_WOMEN_SHARE", parties.c.party_code, parties.c.partai_id, detail,
              parties.outerjoin(board, board.c.party_code == parties.c.party_code),
              or_(officers == 0, women * 10 < officers * 3))


def mark_membership_minimum(conn: Connection, run_id: str) -> None:
    m, r, u = stg_member, stg_region, stg_unit.alias("kabkota_unit")
    domiciles = select(r.c.code).where(r.c.run_id == run_id, r.c.year == REFERENCE_YEAR,
                                       r.c.level.in_((DISTRICT, VILLAGE)))
    kabkota = _prefix(m.c.legacy_region_code, 5)
    members = (select(m.c.party_code, kabkota.label("kabkota"),
                      func.sum(case((m.c.outcome == "MS", 1), else_=0)).label("ms"),
                      func.sum(case((m.c.outcome == "BMS", 1), else_=0)).label("bms"))
               .where(m.c.run_id == run_id, m.c.party_code.is_not(None), m.c.outcome.in_(("MS", "BMS")),
                      m.c.legacy_region_code.in_(domiciles))
               .group_by(m.c.party_code, kabkota).subquery("domiciled"))
    population = (select(r.c.code, r.c.population)
                  .where(r.c.run_id == run_id, r.c.year == REFERENCE_YEAR, r.c.level == REGENCY)
                  .subquery("population"))
    ms, bms = func.coalesce(members.c.ms, 0), func.coalesce(members.c.bms, 0)
    required = case((population.c.population.is_(None), DEFAULT_POPULATION_REQUIRED),
                    else_=(population.c.population + 999) // 1000)
    joined = (u.outerjoin(members, and_(members.c.party_code == u.c.party_code,
                                        members.c.kabkota == u.c.legacy_region_code))
              .outerjoin(population, population.c.code == u.c.legacy_region_code))
    detail = _cat("ms=", _text(ms), ";bms=", _text(bms), ";required=", _text(required))
    _findings(conn, run_id, KEPENGURUSAN, "MEMBERSHIP_BELOW_MINIMUM", u.c.party_code, u.c.legacy_id, detail,
              joined, and_(_counting_units(run_id, KABKOTA, u), ms < required))


def reset(conn: Connection, run_id: str) -> None:
    conn.execute(delete(stg_finding).where(stg_finding.c.run_id == run_id, stg_finding.c.origin == ORIGIN))


def apply_unit_set_rules(target: Engine, run_id: str, parties: PartyMap, basis: list[str] | None) -> None:
    with target.begin() as conn:
        # The member outcomes were just decided and stg_region was never analysed: with stale
        # statistics PostgreSQL planned the membership minimum as a nested loop of every member
        # over every region (hours at 2 M members); fresh ones give hash joins (seconds).
        load.bulk_session(conn)
        load.refresh_statistics(conn, [stg_member, stg_region, stg_unit, stg_officer], rough=True)
        reset(conn, run_id)
        mark_officer_missing(conn, run_id)
        mark_kecamatan_coverage(conn, run_id)
        mark_membership_minimum(conn, run_id)
        party_rows = parties_select(parties)
        if party_rows is None:
            return
        provinces = basis_select(run_id, basis)
        mark_province_missing(conn, run_id, party_rows, provinces)
        mark_kabkota_coverage(conn, run_id, party_rows, provinces)
        mark_women_share(conn, run_id, party_rows)
