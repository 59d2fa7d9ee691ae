"""Golden examples: one folder per case, a legacy row beside the record and findings it becomes.

Each `tests/golden/<case>/` holds
  source.yaml    `about` (what the case shows), `entity` (anggota | kepengurusan | pengurus),
                 `row` (the legacy row, keyed by its column names, values as the database returns
                 them: dates as raw strings), and for anggota the `units` (t_kepengurusan rows) it
                 may refer to; for kepengurusan optionally its `officers` (t_pengurus rows).
                 Optional: `reference_date`, `office_required_until`, `regions_2017_extra`
                 (m_wilayah rows the legacy reference holds beyond the official 2017 list).
  expected.yaml  `record` (every field of the normalised record), `findings` (code, status,
                 field, detail, in rule order) and for anggota the row `status` (MS/BMS/TMS
                 before the set rules) and the `region_code` it is migrated under.

The region references are the real Kemendagri lists (SIPOL_WILAYAH_DIR); the 2017 list stands
in for the legacy m_wilayah.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path

import pytest
import yaml

from sipol_migrate.mappings import load_codes
from sipol_migrate.normalize import map_member, map_officer, map_unit
from sipol_migrate.regions import RegionBook, load_region_csv
from sipol_migrate.rules.member import (
    MemberRuleContext,
    member_findings,
    row_status,
    translated_region,
)
from sipol_migrate.rules.officer import officer_findings, officer_missing_finding, unit_findings

GOLDEN = Path(__file__).resolve().parent
CODES = load_codes(GOLDEN.parents[1] / "mappings" / "codes.yaml")
CASES = sorted(p for p in GOLDEN.iterdir() if (p / "source.yaml").exists())
REFERENCE_DATE = date(2022, 8, 1)
OFFICE_REQUIRED_UNTIL = date(2024, 2, 14)


@pytest.fixture(scope="module")
def region_rows(wilayah_dir: Path) -> tuple[list[dict], list[dict]]:
    return (
        load_region_csv(wilayah_dir / "kemendagri_2017.csv"),
        load_region_csv(wilayah_dir / "kemendagri_2022.csv"),
    )


@pytest.fixture(scope="module")
def real_book(region_rows) -> RegionBook:
    return RegionBook(*region_rows)


def read_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def findings_of(found) -> list[dict]:
    return [
        {"code": f.code, "status": f.status, "field": f.field, "detail": f.detail} for f in found
    ]


def run_case(source: dict, book: RegionBook) -> dict:
    entity, row = source["entity"], source["row"]
    if entity == "anggota":
        units = {u.legacy_id: u for u in (map_unit(raw, CODES) for raw in source.get("units", []))}
        ctx = MemberRuleContext(
            regions=book,
            units=units,
            codes=CODES,
            reference_date=source.get("reference_date", REFERENCE_DATE),
        )
        rec = map_member(row, CODES)
        found = member_findings(rec, ctx)
        return {
            "record": asdict(rec),
            "findings": findings_of(found),
            "status": row_status(found),
            "region_code": translated_region(rec, ctx),
        }
    if entity == "kepengurusan":
        unit = map_unit(row, CODES)
        until = source.get("office_required_until", OFFICE_REQUIRED_UNTIL)
        found = unit_findings(unit, book, until, CODES)
        if "officers" in source:
            officers = [map_officer(raw, CODES) for raw in source["officers"]]
            missing = officer_missing_finding(unit, [o.role for o in officers if not o.is_deleted])
            found += [missing] if missing else []
        return {"record": asdict(unit), "findings": findings_of(found)}
    if entity == "pengurus":
        officer = map_officer(row, CODES)
        return {"record": asdict(officer), "findings": findings_of(officer_findings(officer, book))}
    raise AssertionError(f"unknown entity {entity!r}")


def test_there_are_golden_cases():
    assert len(CASES) >= 10


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_golden_case(case: Path, region_rows, real_book):
    source = read_yaml(case / "source.yaml")
    assert source.get("about"), f"{case.name}: say what the case shows in `about`"
    extra = source.get("regions_2017_extra")
    book = RegionBook(region_rows[0] + extra, region_rows[1]) if extra else real_book
    assert run_case(source, book) == read_yaml(case / "expected.yaml")
