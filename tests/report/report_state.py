"""Test data of the report tests: a small published state, written straight into the target.

Two parties: PXA (the party whose folder the privacy tests scan) and PQZ. One person is on both
lists (same NIK, ids 1004 and 2000000001); one member is on PQZ's list only (id 987654321, NIK
3273016509990777). A previous run lets the progress section be checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from sipol_migrate.mappings import Party, PartyMap
from sipol_migrate.schema import (
    create_schema, finding, member, member_holding, migration_run, party, region,
)

RUN, PREVIOUS = "r20240101T000000-aaaaaa", "r20231201T000000-bbbbbb"
SHARED_NIK = "3201011203850001"
B_ONLY_ID, B_ONLY_NIK, B_SHARED_ID = 987654321, "3273016509990777", 2000000001
A_NIKS = {1001: "3201010101800001", 1002: "9105014502900002", 1004: SHARED_NIK,
          1005: "3201016611750003", 1006: "3201012010100004", 1007: "3201019988770005"}

REGIONS = [
    (2017, "32", "JAWA BARAT", 1, None), (2017, "32.01", "KAB. BOGOR", 2, "32"),
    (2017, "32.01.01", "Cibinong", 3, "32.01"), (2017, "32.73", "KOTA BANDUNG", 2, "32"),
    (2017, "32.73.01", "Sukasari", 3, "32.73"), (2017, "91", "PAPUA", 1, None),
    (2017, "91.05", "KAB. NABIRE", 2, "91"), (2017, "91.05.01", "Nabire", 3, "91.05"),
    (2022, "32", "JAWA BARAT", 1, None), (2022, "32.01", "KAB. BOGOR", 2, "32"),
    (2022, "32.01.01", "Cibinong", 3, "32.01"), (2022, "32.73", "KOTA BANDUNG", 2, "32"),
    (2022, "32.73.01", "Sukasari", 3, "32.73"), (2022, "94", "PAPUA TENGAH", 1, None),
    (2022, "94.01", "KAB. NABIRE", 2, "94"), (2022, "94.01.01", "Nabire", 3, "94.01"),
]


def _member(legacy_id, code, partai_id, nik, name, region_code="32.01.01", legacy_region="32.01.01",
            kta="KTA-001"):
    return {"legacy_id": legacy_id, "party_code": code, "partai_id": partai_id, "nik": nik,
            "name": name, "region_code": region_code, "legacy_region_code": legacy_region,
            "kta_number": kta}


def _live(row, status, run=RUN):
    return {**row, "status": status, "migrated_hash": "0" * 32, "migrated_run_id": run}


def _held(row, outcome, run=RUN):
    return {**row, "outcome": outcome, "run_id": run}


MEMBERS = [
    _live(_member(1001, "PXA", 1, A_NIKS[1001], "Ahmad Fauzi"), "MS"),
    _live(_member(1002, "PXA", 1, A_NIKS[1002], "Maria Wonda", "94.01.01", "91.05.01"), "MS"),
    _live(_member(1003, "PXA", 1, None, "Siti Aminah", kta=None), "BMS"),
    _live(_member(1004, "PXA", 1, SHARED_NIK, "Budi Santoso"), "BMS"),
    _live(_member(1005, "PXA", 1, A_NIKS[1005], "Dewi Lestari <b>", "32.73.01", "32.73.01"), "BMS"),
    _live(_member(B_SHARED_ID, "PQZ", 2, SHARED_NIK, "Budi Santoso"), "BMS"),
    _live(_member(B_ONLY_ID, "PQZ", 2, B_ONLY_NIK, "Qzwx Hanyadisini", "32.73.01", "32.73.01", None), "BMS"),
]
HOLDING = [
    _held(_member(1006, "PXA", 1, A_NIKS[1006], "Rudi Kecil"), "TMS"),
    _held(_member(1007, "PXA", 1, A_NIKS[1007], "Siti Aminah"), "MERGED"),
    _held({"legacy_id": 1008, "party_code": "PXA", "partai_id": 1}, "SKIPPED"),
    _held(_member(2003, "PQZ", 2, "3273010101700009", "Qzwx Polisi"), "TMS"),
    _held({"legacy_id": 3001, "party_code": None, "partai_id": 99}, "SKIPPED"),
]


def _f(party_code, entity, legacy_id, code, status, outcome=None, detail=None, run=RUN, field=None):
    return {"run_id": run, "party_code": party_code, "entity": entity, "legacy_id": legacy_id,
            "code": code, "status": status, "outcome": outcome, "field": field, "detail": detail}


FINDINGS = [
    _f("PXA", "anggota", 1002, "REGION_RECODED", "INFO", "MS", "from=91.05.01;to=94.01.01"),
    _f("PXA", "anggota", 1003, "NIK_MISSING", "BMS", "BMS", field="nik"),
    _f("PXA", "anggota", 1003, "KTA_MISSING", "BMS", "BMS", field="no_kta"),
    _f("PXA", "anggota", 1004, "NIK_DUPLICATE_ACROSS_PARTIES", "BMS", "BMS"),
    _f("PXA", "anggota", 1005, "DOC_KTP_MISSING", "BMS", "BMS"),
    _f("PXA", "anggota", 1005, "BIRTHDATE_NIK_MISMATCH", "WARN", "BMS"),
    _f("PXA", "anggota", 1006, "UNDERAGE", "TMS", "TMS"),
    _f("PXA", "anggota", 1006, "KTA_MISSING", "BMS", "TMS"),
    _f("PXA", "anggota", 1007, "NIK_DUPLICATE_IN_PARTY", "MERGED", "MERGED", "kept=1003"),
    _f("PXA", "anggota", 1008, "SKIPPED_DELETED", "SKIPPED", "SKIPPED"),
    _f("PXA", "kepengurusan", 501, "MGMT_OFFICER_MISSING", "BMS", detail="missing=KETUA,BENDAHARA"),
    _f("PXA", "partai", 1, "MGMT_PROVINCE_MISSING", "BMS", detail="province=32"),
    _f("PXA", "pengurus", 601, "OFFICER_NIK_INVALID", "BMS"),
    _f("PQZ", "anggota", B_SHARED_ID, "NIK_DUPLICATE_ACROSS_PARTIES", "BMS", "BMS"),
    _f("PQZ", "anggota", B_ONLY_ID, "KTA_MISSING", "BMS", "BMS"),
    _f("PQZ", "anggota", 2003, "BARRED_OCCUPATION", "TMS", "TMS"),
    _f(None, "anggota", 3001, "SKIPPED_ORPHAN", "SKIPPED", "SKIPPED"),
    # The previous run: 1003 NIK_MISSING still open, 1003 NAME_MISSING and 1001 KTA_MISSING fixed.
    _f("PXA", "anggota", 1003, "NIK_MISSING", "BMS", "BMS", run=PREVIOUS),
    _f("PXA", "anggota", 1003, "NAME_MISSING", "BMS", "BMS", run=PREVIOUS),
    _f("PXA", "anggota", 1001, "KTA_MISSING", "BMS", "BMS", run=PREVIOUS),
]


def ledger(ms=0, bms=0, tms=0, merged=0, skipped=0) -> dict:
    return {"read": ms + bms + tms + merged + skipped, "MS": ms, "BMS": bms, "TMS": tms,
            "MERGED": merged, "SKIPPED": skipped}


SUMMARY = {
    "run_id": RUN,
    "parties": {"PXA": {"anggota": ledger(2, 3, 1, 1, 1)}, "PQZ": {"anggota": ledger(0, 2, 1)}},
    "total": {"anggota": ledger(2, 5, 2, 1, 2)},
    "settings": {"reference_date": "2022-08-01"},
    "stats": {"seconds": 1.5, "uploads_without_member": 2},
}
PARTIES = PartyMap(parties=[Party(legacy_id=1, code="PXA", name="Partai Xavier Aman"),
                            Party(legacy_id=2, code="PQZ", name="Partai Qzwx Bersatu")])


@dataclass
class State:
    engine: sa.Engine
    run_id: str
    previous_run_id: str
    summary: dict
    parties: PartyMap


def build_state(engine: sa.Engine) -> State:
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(party.insert(), [{"code": p.code, "legacy_id": p.legacy_id, "name": p.name}
                                      for p in PARTIES.parties])
        conn.execute(region.insert(), [dict(zip(("year", "code", "name", "level", "parent"), r)) for r in REGIONS])
        conn.execute(member.insert(), MEMBERS)
        blank = dict.fromkeys(("nik", "name", "region_code", "legacy_region_code", "kta_number"))
        conn.execute(member_holding.insert(), [{**blank, **h} for h in HOLDING])
        conn.execute(finding.insert(), FINDINGS)
        for run_id, day in ((PREVIOUS, 1), (RUN, 2)):
            conn.execute(migration_run.insert().values(
                run_id=run_id, kind="run", started_at=datetime(2024, 1, day), state="published",
                fingerprint="f" * 64, ledger=json.dumps({}), settings="{}"))
    return State(engine, RUN, PREVIOUS, json.loads(json.dumps(SUMMARY)), PARTIES)


def write_all(state: State, out, **options) -> dict:
    """What pipeline.write_outputs does: the CSV files and summary.json, then the reports."""
    from sipol_migrate import output
    from sipol_migrate.report import write_reports

    for p in state.parties.parties:
        output.write_party_findings(state.engine, state.run_id, p.code, out / p.code / "findings.csv")
    output.write_kpu_findings(state.engine, state.run_id, out / "_kpu" / "findings.csv")
    output.write_summary(out / "summary.json", state.summary)
    options.setdefault("previous_run_id", state.previous_run_id)
    options.setdefault("pdf", False)
    return write_reports(state.engine, state.run_id, out, state.summary, state.parties, **options)
