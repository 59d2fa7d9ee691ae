"""Management findings (FINDINGS.md "Management findings", "Skipped rows" for units and officers).

The set rules run in SQL on a small hand-made staged run, in SQLite and in PostgreSQL (a fresh
database per test). Every code has cases on both sides of its boundary: exactly 75 % of the
kab/kota, exactly 50 % of the kecamatan, exactly 30 % women, the ceilings, a population of
1,000,001 (required 1,001) and a missing one (required 1,000).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from sipol_migrate import load
from sipol_migrate.errors import LedgerError
from sipol_migrate.mappings import PartyMap, load_codes
from sipol_migrate.model import FEMALE, MALE, OfficerRecord, UnitRecord
from sipol_migrate.regions import RegionBook
from sipol_migrate.schema import (
    create_schema, officer, stg_finding, stg_member, stg_officer, stg_region, stg_unit, unit,
)
from sipol_migrate.setrules_units import apply_unit_set_rules
from sipol_migrate.units import (
    StructureContext, publish_structure, structure_ledger, transform_officers, transform_units,
    verify_structure,
)

CODES = load_codes(Path(__file__).resolve().parents[2] / "mappings" / "codes.yaml")
RUN = "r-test"
PARTIES = PartyMap.model_validate({"parties": [
    {"legacy_id": 1, "code": "AAA", "name": "Partai A"},
    {"legacy_id": 2, "code": "BBB", "name": "Partai B"},
    {"legacy_id": 3, "code": "CCC", "name": "Partai C"},
]})
PARTAI_ID = {"AAA": 1, "BBB": 2, "CCC": 3}

# The 2017 reference: province 11 has 4 kab/kota (75 % → 3 required), province 12 has 5
# (ceil(3.75) → 4). 11.01 has 4 kecamatan (2 required), 11.02 has 5 (ceil(2.5) → 3), 11.03 none.
REGIONS = [("11", 1, None), ("12", 1, None)]
REGIONS += [(f"11.0{i}", 2, pop) for i, pop in ((1, 1_000_001), (2, None), (3, 999), (4, 1000))]
REGIONS += [(f"12.0{i}", 2, 5000) for i in range(1, 6)]
REGIONS += [(f"11.01.0{i}", 3, None) for i in range(1, 5)] + [(f"11.02.0{i}", 3, None) for i in range(1, 6)]
REGIONS += [("11.01.01.2001", 4, None)]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'target.sqlite'}"
    else:
        url = request.getfixturevalue("pg_url")
    eng = sa.create_engine(url)
    create_schema(eng)
    yield eng
    eng.dispose()


class Run:
    """Builds the staged rows of one run (several runs may share a database)."""

    def __init__(self, run_id: str = RUN):
        self.run_id = run_id
        self.units, self.officers, self.member_rows = [], [], []

    def unit(self, party: str, level: str | None, code: str | None = None, *, valid: bool = True,
             outcome: str = "MIGRATED", officers: tuple = ("KETUA", "SEKRETARIS", "BENDAHARA")) -> int:
        legacy_id = len(self.units) + 1
        self.units.append({"run_id": RUN, "legacy_id": legacy_id, "party_code": party,
                           "partai_id": PARTAI_ID[party], "level": level, "level_raw": level or "??",
                           "legacy_region_code": code, "region_code": code, "region_valid": valid,
                           "is_deleted": outcome == "SKIPPED", "outcome": outcome})
        for role in officers:
            self.officer(legacy_id, party, role)
        return legacy_id

    def officer(self, unit_id: int, party: str, role: str | None = None, gender: str | None = MALE,
                outcome: str = "MIGRATED") -> None:
        self.officers.append({"run_id": RUN, "legacy_id": len(self.officers) + 1, "unit_legacy_id": unit_id,
                              "party_code": party, "partai_id": PARTAI_ID[party], "role": role,
                              "role_raw": role or "Wakil Ketua", "gender": gender,
                              "is_deleted": outcome == "SKIPPED", "outcome": outcome})

    def members(self, party: str, code: str, outcome: str, n: int) -> None:
        for _ in range(n):
            self.member_rows.append({"run_id": RUN, "legacy_id": len(self.member_rows) + 1, "party_code": party,
                                 "partai_id": PARTAI_ID[party], "legacy_region_code": code,
                                 "is_deleted": False, "nik_valid": True, "outcome": outcome,
                                 "origin": "legacy"})

    def findings(self, engine, basis=None) -> set[tuple]:
        regions = [{"year": 2017, "code": code, "name": code, "level": level,
                    "parent": code.rpartition(".")[0] or None, "population": pop} for code, level, pop in REGIONS]
        with engine.begin() as conn:
            for table, rows in ((stg_region, regions), (stg_unit, self.units), (stg_officer, self.officers),
                                (stg_member, self.member_rows)):
                load.write_rows(conn, table, [{**row, "run_id": self.run_id} for row in rows])
        apply_unit_set_rules(engine, self.run_id, PARTIES, basis)
        f = stg_finding
        with engine.connect() as conn:
            rows = conn.execute(sa.select(f.c.party_code, f.c.entity, f.c.legacy_id, f.c.code, f.c.status,
                                          f.c.detail).where(f.c.run_id == self.run_id)).all()
        assert all(r.status == "BMS" for r in rows)
        return {(r.party_code, r.entity, r.legacy_id, r.code, r.detail) for r in rows}


def _complete_structure(run: Run, party: str, provinces=("11", "12")) -> None:
    """A pusat unit with 3 of 10 officers women, and provinsi units: no partai finding but coverage."""
    pusat = run.unit(party, "pusat")
    for i in range(7):
        run.officer(pusat, party, gender=FEMALE if i < 3 else MALE)
    for province in provinces:
        run.unit(party, "provinsi", province)


def _codes(found: set[tuple], code: str) -> set[tuple]:
    return {(party, entity, legacy_id, detail) for party, entity, legacy_id, c, detail in found if c == code}


def test_province_missing_one_finding_per_basis_province(engine):
    run = Run()
    _complete_structure(run, "AAA", provinces=("11",))
    run.unit("AAA", "provinsi", "12", valid=False)  # an invalid region counts nowhere
    run.unit("AAA", "provinsi", "12", outcome="SKIPPED")  # nor does a skipped unit
    _complete_structure(run, "BBB")
    found = run.findings(engine)
    assert _codes(found, "MGMT_PROVINCE_MISSING") == {
        ("AAA", "partai", 1, "province=12"),
        ("CCC", "partai", 3, "province=11"), ("CCC", "partai", 3, "province=12")}


def test_province_basis_from_settings(engine):
    run = Run()
    _complete_structure(run, "AAA", provinces=("11",))
    found = run.findings(engine, basis=["11"])
    assert _codes(found, "MGMT_PROVINCE_MISSING") == {("BBB", "partai", 2, "province=11"),
                                                     ("CCC", "partai", 3, "province=11")}
    assert {d for *_, d in _codes(found, "MGMT_KABKOTA_COVERAGE")} == {"province=11;units=0;kabkota=4;required=3"}


def test_kabkota_coverage_exactly_75_percent_passes(engine):
    run = Run()
    for kab in ("11.01", "11.02", "11.03", "11.03"):  # 3 distinct of 4 = 75 %: passes
        run.unit("AAA", "kabkota", kab)
    for kab in ("12.01", "12.02", "12.03"):  # 3 of 5 < ceil(3.75) = 4
        run.unit("AAA", "kabkota", kab)
    for kab in ("12.01", "12.02", "12.03", "12.04"):  # 4 of 5 = 80 %: passes
        run.unit("BBB", "kabkota", kab)
    run.unit("BBB", "kabkota", "11.01")
    run.unit("BBB", "kabkota", "11.02", valid=False)
    run.unit("BBB", "kabkota", "11.03", outcome="SKIPPED")
    run.unit("BBB", "kecamatan", "11.04")  # of another level
    found = run.findings(engine)
    assert {(p, d) for p, _e, _i, d in _codes(found, "MGMT_KABKOTA_COVERAGE")} == {
        ("AAA", "province=12;units=3;kabkota=5;required=4"),
        ("BBB", "province=11;units=1;kabkota=4;required=3"),
        ("CCC", "province=11;units=0;kabkota=4;required=3"),
        ("CCC", "province=12;units=0;kabkota=5;required=4")}


def test_kecamatan_coverage_exactly_half_passes(engine):
    run = Run()
    half = run.unit("AAA", "kabkota", "11.01")  # 2 of 4 = 50 %: passes
    for kec in ("11.01.01", "11.01.02", "11.01.02"):
        run.unit("AAA", "kecamatan", kec)
    under = run.unit("AAA", "kabkota", "11.02")  # 2 of 5 < ceil(2.5) = 3
    for kec in ("11.02.01", "11.02.02"):
        run.unit("AAA", "kecamatan", kec)
    run.unit("AAA", "kecamatan", "11.02.03", valid=False)
    run.unit("AAA", "kecamatan", "11.02.04", outcome="SKIPPED")
    run.unit("BBB", "kecamatan", "11.02.05")  # another party's unit does not count
    run.unit("AAA", "kabkota", "11.03")  # no kecamatan in the reference: required 0
    run.unit("AAA", "kabkota", "11.02", valid=False)  # invalid region: counts nowhere
    run.unit("AAA", "kabkota", "11.02", outcome="SKIPPED")
    other = run.unit("BBB", "kabkota", "11.01")
    found = run.findings(engine)
    assert _codes(found, "MGMT_KECAMATAN_COVERAGE") == {
        ("AAA", "kepengurusan", under, "units=2;kecamatan=5;required=3"),
        ("BBB", "kepengurusan", other, "units=0;kecamatan=4;required=2")}
    assert half not in {i for _p, _e, i, _d in _codes(found, "MGMT_KECAMATAN_COVERAGE")}


WOMEN_CASES = [(3, 10, False), (29, 100, True), (30, 100, False), (0, 1, True), (1, 3, False), (2, 7, True)]


def test_women_share_boundary(engine):
    for number, (women, officers, fails) in enumerate(WOMEN_CASES):  # one database, a run per case
        run = Run(f"women-{number}")
        pusat = run.unit("AAA", "pusat", officers=())
        for i in range(officers):
            gender = FEMALE if i < women else (None if i == officers - 1 else MALE)  # unknown: in the total
            run.officer(pusat, "AAA", gender=gender)
        run.officer(pusat, "AAA", gender=FEMALE, outcome="SKIPPED")  # a deleted woman does not count
        provinsi = run.unit("AAA", "provinsi", "11", officers=())
        for _ in range(5):
            run.officer(provinsi, "AAA", gender=FEMALE)  # only the pusat board counts
        found = _codes(run.findings(engine), "MGMT_WOMEN_SHARE")
        expected = {("AAA", "partai", 1, f"women={women};officers={officers}")} if fails else set()
        assert {f for f in found if f[0] == "AAA"} == expected, (women, officers)
        assert {(p, d) for p, _e, _i, d in found if p != "AAA"} == {("BBB", "women=0;officers=0"),
                                                                   ("CCC", "women=0;officers=0")}


def test_women_share_counts_every_active_pusat_unit(engine):
    run = Run("women-two-boards")
    first = run.unit("AAA", "pusat", officers=())
    second = run.unit("AAA", "pusat", officers=())
    run.officer(first, "AAA", gender=FEMALE)
    for _ in range(2):
        run.officer(second, "AAA", gender=MALE)
    deleted = run.unit("AAA", "pusat", officers=(), outcome="SKIPPED")
    run.officer(deleted, "AAA", gender=MALE, outcome="SKIPPED")
    found = _codes(run.findings(engine), "MGMT_WOMEN_SHARE")
    assert not {f for f in found if f[0] == "AAA"}  # 1 of 3 = 33 %


def test_officer_missing(engine):
    run = Run()
    complete = run.unit("AAA", "kabkota", "11.01")
    only_wakil = run.unit("AAA", "kecamatan", "11.01.01", officers=(None,))
    no_bendahara = run.unit("AAA", "provinsi", "11", officers=("KETUA", "SEKRETARIS"))
    run.officer(no_bendahara, "AAA", "BENDAHARA", outcome="SKIPPED")  # deleted: lacking
    invalid = run.unit("AAA", "kabkota", "99.99", valid=False, officers=("KETUA",))
    run.unit("AAA", None, "11.02", officers=())  # unknown level: no other unit finding
    run.unit("AAA", "kabkota", "11.02", officers=(), outcome="SKIPPED")
    found = _codes(run.findings(engine), "MGMT_OFFICER_MISSING")
    assert found == {("AAA", "kepengurusan", only_wakil, "missing=KETUA,SEKRETARIS,BENDAHARA"),
                     ("AAA", "kepengurusan", no_bendahara, "missing=BENDAHARA"),
                     ("AAA", "kepengurusan", invalid, "missing=SEKRETARIS,BENDAHARA")}
    assert complete not in {i for _p, _e, i, _d in found}


def test_membership_minimum_ceilings(engine):
    run = Run()
    million = run.unit("AAA", "kabkota", "11.01")  # 1,000,001 inhabitants: 1,001 required
    run.members("AAA", "11.01.01", "MS", 600)
    run.members("AAA", "11.01.01.2001", "MS", 400)  # a kelurahan domicile counts for its kab/kota
    run.members("AAA", "11.01.01", "BMS", 7)
    run.members("AAA", "11.01.09", "MS", 5)  # not a domicile of the reference: counts nowhere
    run.members("AAA", "11.01.02", "TMS", 3)
    run.members("BBB", "11.01.02", "MS", 2000)  # another party's members
    enough = run.unit("BBB", "kabkota", "11.01")
    no_population = run.unit("AAA", "kabkota", "11.02")  # missing: 1,000 required
    run.members("AAA", "11.02.01", "MS", 999)
    small = run.unit("AAA", "kabkota", "11.03")  # 999 inhabitants: 1 required, none there
    run.unit("AAA", "kabkota", "11.04", valid=False)  # invalid region: counts nowhere
    one = run.unit("BBB", "kabkota", "11.04")  # 1,000 inhabitants: 1 required, 1 member
    run.members("BBB", "11.02.01", "MS", 1)
    found = _codes(run.findings(engine), "MEMBERSHIP_BELOW_MINIMUM")
    assert found == {("AAA", "kepengurusan", million, "ms=1000;bms=7;required=1001"),
                     ("AAA", "kepengurusan", no_population, "ms=999;bms=0;required=1000"),
                     ("AAA", "kepengurusan", small, "ms=0;bms=0;required=1"),
                     ("BBB", "kepengurusan", one, "ms=0;bms=0;required=1")}
    assert enough not in {i for _p, _e, i, _d in found}
    exact = Run("exact")  # 1,001 MS members meet 1,001 required
    exact.unit("AAA", "kabkota", "11.01")
    exact.members("AAA", "11.01.01", "MS", 1001)
    exact.unit("AAA", "kabkota", "11.03")
    assert {d for *_, d in _codes(exact.findings(engine), "MEMBERSHIP_BELOW_MINIMUM")} == {"ms=0;bms=0;required=1"}


def test_set_rules_are_idempotent_and_publish_replaces_units(engine):
    run = Run()
    _complete_structure(run, "AAA")
    first = run.findings(engine)
    apply_unit_set_rules(engine, RUN, PARTIES, None)
    with engine.connect() as conn:
        again = conn.execute(sa.select(sa.func.count()).select_from(stg_finding)).scalar()
    assert again == len(first)
    with engine.begin() as conn:
        publish_structure(conn, RUN)
    with engine.begin() as conn:
        publish_structure(conn, RUN)  # a second publish of the same rows changes nothing
        assert conn.execute(sa.select(sa.func.count()).select_from(unit)).scalar() == len(run.units)
        assert conn.execute(sa.select(sa.func.count()).select_from(officer)).scalar() == len(run.officers)


# --- staging decisions (pure) --------------------------------------------------------------------

BOOK = RegionBook([{"kode": code, "nama": code, "tingkat": level} for code, level, _ in REGIONS],
                  [{"kode": code, "nama": code, "tingkat": level} for code, level, _ in REGIONS])


def _unit(legacy_id, partai_id, level="kabkota", code="11.01", deleted=False) -> UnitRecord:
    return UnitRecord(legacy_id=legacy_id, partai_id=partai_id, level=level, level_raw=level, region_2017=code,
                      no_sk=None, sk_date=None, office_address=None, office_status="sewa",
                      office_valid_until=date(2024, 2, 14), is_deleted=deleted)


def _officer(legacy_id, unit_id, deleted=False, nik=None, gender=None) -> OfficerRecord:
    return OfficerRecord(legacy_id=legacy_id, unit_legacy_id=unit_id, role=None, role_raw="Anggota", nik=nik,
                         nik_scientific=False, name="X", name_repaired=False, gender=gender, phone=None,
                         is_deleted=deleted)


UNITS = {1: _unit(1, 1), 2: _unit(2, 7), 3: _unit(3, 9), 4: _unit(4, 1, deleted=True),
         5: _unit(5, 7, deleted=True), 6: _unit(6, 1, level=None), 7: _unit(7, 1, code="11.01.01")}
CTX = StructureContext(regions=BOOK, codes=CODES, required_until=date(2024, 2, 14), known=frozenset({1, 7}),
                       mapped={1: "AAA"}, units=UNITS)


def _by_id(findings: list[dict]) -> dict[int, list]:
    out: dict[int, list] = {}
    for f in findings:
        out.setdefault(f["legacy_id"], []).append((f["code"], f["detail"]))
    return out


def test_unit_skips_in_order_and_row_findings():
    rows, findings = transform_units(RUN, UNITS.values(), CTX)
    outcomes = {r["legacy_id"]: (r["outcome"], r["party_code"]) for r in rows}
    assert outcomes == {1: ("MIGRATED", "AAA"), 2: ("SKIPPED", None), 3: ("SKIPPED", None),
                        4: ("SKIPPED", "AAA"), 5: ("SKIPPED", None), 6: ("MIGRATED", "AAA"),
                        7: ("MIGRATED", "AAA")}
    found = _by_id(findings)
    assert 1 not in found  # its lease runs until exactly the required date: enough
    assert found[2] == [("SKIPPED_PARTY_UNMAPPED", None)] and found[3] == [("SKIPPED_ORPHAN", None)]
    assert found[4] == [("SKIPPED_DELETED", None)] and found[5] == [("SKIPPED_PARTY_UNMAPPED", None)]
    assert found[6] == [("UNIT_LEVEL_UNKNOWN", None)]
    assert found[7] == [("UNIT_REGION_INVALID", "code=11.01.01")]
    assert {r["legacy_id"]: r["region_valid"] for r in rows}[6] is False


def test_officer_skips_follow_their_unit():
    officers = [_officer(1, 1, nik="3201010101900001", gender=MALE), _officer(2, 99), _officer(3, 3),
                _officer(4, 2), _officer(5, 4), _officer(6, 1, deleted=True), _officer(7, 5), _officer(8, 6)]
    rows, findings = transform_officers(RUN, officers, CTX)
    found = _by_id(findings)
    assert found[2] == [("SKIPPED_ORPHAN", None)] and found[3] == [("SKIPPED_ORPHAN", None)]
    assert found[4] == [("SKIPPED_PARTY_UNMAPPED", None)] and found[7] == [("SKIPPED_PARTY_UNMAPPED", None)]
    assert found[5] == [("SKIPPED_DELETED", None)] and found[6] == [("SKIPPED_DELETED", None)]
    assert found[1] == [("OFFICER_NIK_INVALID", None)]  # 32.01.01 is no kecamatan of this book
    assert found[8] == [("OFFICER_NIK_INVALID", None), ("OFFICER_GENDER_UNKNOWN", None)]
    parties = {r["legacy_id"]: (r["party_code"], r["partai_id"], r["outcome"]) for r in rows}
    assert parties[2] == (None, None, "SKIPPED") and parties[6] == ("AAA", 1, "SKIPPED")
    assert parties[8] == ("AAA", 1, "MIGRATED")


def test_structure_ledger_balances_and_checks_the_source():
    staged = {"unit": [(1, "AAA", "MIGRATED", 5, 15), (1, "AAA", "SKIPPED", 1, 6), (7, None, "SKIPPED", 2, 15)],
              "officer": [(1, "AAA", "MIGRATED", 3, 6), (None, None, "SKIPPED", 1, 9)]}
    ledger = structure_ledger(staged, PARTIES)
    assert ledger["parties"]["AAA"] == {"kepengurusan": {"read": 6, "migrated": 5, "SKIPPED": 1},
                                        "pengurus": {"read": 3, "migrated": 3, "SKIPPED": 0}}
    assert ledger["parties"]["CCC"]["kepengurusan"] == {"read": 0, "migrated": 0, "SKIPPED": 0}
    assert ledger["total"]["kepengurusan"] == {"read": 8, "migrated": 5, "SKIPPED": 3}
    source = {"unit": {1: (6, 21), 7: (2, 15)}, "officer": {1: (3, 6), None: (1, 9)}}
    verify_structure(staged, source, ledger)
    verify_structure(staged, None, ledger)
    with pytest.raises(LedgerError, match="partai_id 7 has 3 kepengurusan rows"):
        verify_structure(staged, {**source, "unit": {1: (6, 21), 7: (3, 20)}}, ledger)
    with pytest.raises(LedgerError, match="no outcome"):
        verify_structure({**staged, "officer": [(1, "AAA", None, 1, 1)]}, None, ledger)
