"""Staged runs written straight into the target schema, for the quality-gate tests and bench.

`seed_small_run` writes a handful of hand-made rows (both dialects); `seed_bulk_run_pg` writes
N members with INSERT … SELECT generate_series (PostgreSQL only) for the timing.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa

from sipol_migrate.model import OUTCOMES
from sipol_migrate.schema import (
    create_schema, migration_run, stg_finding, stg_member, stg_region, stg_upload,
)

# NIKs and names of the hand-made members: the privacy tests grep every output for them.
NIKS = {1: "3201014507850001", 2: "3201011203900002", 3: "3273015508920003", 4: "3201010101700004",
        5: "3201011111110005", 6: "3201012202020006"}
NAMES = {1: "Siti Rahmawati", 2: "Budi Santoso", 3: "Maâ€™ruf Amin", 4: "Dewi Lestari",
         5: "Agus Salim", 6: "Rina Marlina"}
BIRTH = {1: date(1985, 7, 5), 2: date(1990, 12, 3), 3: date(1992, 8, 15), 4: date(1970, 1, 1),
         5: date(1911, 11, 11), 6: date(2002, 2, 22)}

REGIONS_2022 = ["32", "32.01", "32.01.01", "32.01.01.2001", "32.73", "32.73.01"]
REGIONS_2017 = ["32", "32.01", "32.01.01", "32.73", "32.73.01"]


def _member(run_id: str, legacy_id: int, party: str | None, outcome: str, **overrides) -> dict:
    row = {c.name: None for c in stg_member.columns}
    row.update(run_id=run_id, legacy_id=legacy_id, party_code=party,
               partai_id={"PKB": 3, "GER": 5}.get(party, 99), nik=NIKS.get(legacy_id),
               name=NAMES.get(legacy_id), birth_date=BIRTH.get(legacy_id), gender="P",
               region_code="32.01.01", legacy_region_code="32.01.01", is_deleted=False,
               nik_valid=True, nik_scientific=False, row_status=outcome if outcome in ("MS", "BMS", "TMS") else None,
               outcome=outcome, kept_id=None, origin="legacy")
    row.update(overrides)
    return row


def _finding(run_id: str, legacy_id: int, party: str | None, code: str, status: str,
             entity: str = "anggota") -> dict:
    return {"run_id": run_id, "party_code": party, "entity": entity, "legacy_id": legacy_id,
            "code": code, "status": status, "field": None, "detail": None, "origin": "row"}


def small_rows(run_id: str) -> tuple[list[dict], list[dict]]:
    """Six members of two parties plus a skipped one; findings consistent with the outcomes."""
    members = [
        _member(run_id, 1, "PKB", "MS"),
        _member(run_id, 2, "PKB", "MS", gender="L"),
        _member(run_id, 3, "PKB", "BMS", region_code=None, nik_valid=False, nik="320101"),
        _member(run_id, 4, "GER", "MS", region_code="32.73.01"),
        _member(run_id, 5, "GER", "TMS"),
        _member(run_id, 6, "GER", "MERGED", kept_id=4, nik=NIKS[4]),
        _member(run_id, 7, None, "SKIPPED", nik=None, name=None, birth_date=None, nik_valid=False),
    ]
    findings = [
        _finding(run_id, 2, "PKB", "REGION_RECODED", "INFO"),
        _finding(run_id, 3, "PKB", "NIK_MALFORMED", "BMS"),
        _finding(run_id, 3, "PKB", "REGION_UNKNOWN", "BMS"),
        _finding(run_id, 5, "GER", "UNDERAGE", "TMS"),
        _finding(run_id, 6, "GER", "NIK_DUPLICATE_IN_PARTY", "MERGED"),
        _finding(run_id, 7, None, "SKIPPED_ORPHAN", "SKIPPED"),
        _finding(run_id, 11, "PKB", "MGMT_OFFICER_MISSING", "BMS", entity="kepengurusan"),
        _finding(run_id, 3, "PKB", "MGMT_WOMEN_SHARE", "BMS", entity="partai"),
    ]
    return members, findings


def ledger_of(members: list[dict]) -> dict:
    """The ledger as pipeline.finish_staging returns it, counted from the rows."""
    def empty():
        return {"read": 0, **{o: 0 for o in OUTCOMES}}
    ledger = {"parties": {"PKB": empty(), "GER": empty()}, "total": empty()}
    for row in members:
        for counts in [ledger["total"]] + ([ledger["parties"][row["party_code"]]] if row["party_code"] else []):
            counts["read"] += 1
            counts[row["outcome"]] += 1
    return ledger


def write_run(engine: sa.Engine, run_id: str, members: list[dict], findings: list[dict],
              reference_date: str = "2022-08-01") -> None:
    create_schema(engine)
    regions = [{"run_id": run_id, "year": year, "code": code, "name": f"R {code}",
                "level": code.count(".") + 1, "parent": code.rsplit(".", 1)[0] if "." in code else None,
                "population": None}
               for year, codes in ((2022, REGIONS_2022), (2017, REGIONS_2017)) for code in codes]
    uploads = [{"run_id": run_id, "kind": kind, "legacy_id": i, "anggota_id": i, "path": f"ktp/{i}.jpg",
                "size": 1000, "uploaded_at": datetime(2018, 3, 1)} for i in (1, 2, 4) for kind in ("ktp", "kta")]
    with engine.begin() as conn:
        conn.execute(migration_run.insert().values(
            run_id=run_id, kind="run", started_at=datetime(2024, 1, 1), state="staging",
            fingerprint="test", settings=json.dumps({"reference_date": reference_date})))
        conn.execute(stg_region.insert(), regions)
        conn.execute(stg_member.insert(), members)
        conn.execute(stg_finding.insert(), findings)
        conn.execute(stg_upload.insert(), uploads)


# --------------------------------------------------------------------------- bulk (PostgreSQL)

BULK_PARTIES = [f"P{i:02d}" for i in range(1, 21)]


def seed_bulk_run_pg(engine: sa.Engine, run_id: str, members: int, regions_2022_csv) -> dict:
    """N staged members over 20 parties (90 % MS, 8 % BMS, 1 % TMS, 1 % MERGED), findings to
    match, the real 2022 region list; returns the ledger. PostgreSQL only."""
    import csv

    create_schema(engine)
    with open(regions_2022_csv, encoding="utf-8") as f:
        regions = [{"run_id": run_id, "year": 2022, "code": r["kode"], "name": r["nama"][:120],
                    "level": int(r["tingkat"]), "parent": r["induk"] or None, "population": None}
                   for r in csv.DictReader(f) if r["tingkat"].strip().isdigit()]
    with engine.begin() as conn:
        conn.execute(migration_run.insert().values(
            run_id=run_id, kind="run", started_at=datetime(2024, 1, 1), state="staging",
            fingerprint="bench", settings=json.dumps({"reference_date": "2022-08-01"})))
        conn.execute(stg_region.insert(), regions + [{**r, "year": 2017} for r in regions])
        conn.exec_driver_sql("""
            CREATE TEMP TABLE kec AS
            SELECT row_number() OVER (ORDER BY code) - 1 AS i, code FROM stg_region
            WHERE run_id = %(run)s AND year = 2022 AND level = 3""", {"run": run_id})
        conn.exec_driver_sql("""
            INSERT INTO stg_member (run_id, legacy_id, party_code, partai_id, nik, name, birth_date,
                gender, region_code, legacy_region_code, kta_number, name_repaired, nik_scientific,
                legacy_updated_at, is_deleted, nik_valid, row_status, outcome, kept_id)
            SELECT %(run)s, g, 'P' || lpad((1 + g %% 20)::text, 2, '0'), 1 + g %% 20,
                   '3201' || lpad(g::text, 12, '0'), 'Nama ' || g, DATE '1960-01-01' + (g %% 15000),
                   CASE WHEN g %% 2 = 0 THEN 'L' ELSE 'P' END, kec.code, kec.code, 'KTA' || g, FALSE,
                   FALSE, TIMESTAMP '2018-01-01', FALSE, TRUE,
                   CASE WHEN g %% 100 = 7 THEN 'TMS' WHEN g %% 100 IN (3, 13, 23, 33, 43, 53, 63, 73) THEN 'BMS' ELSE 'MS' END,
                   CASE WHEN g %% 100 = 7 THEN 'TMS' WHEN g %% 100 = 99 THEN 'MERGED'
                        WHEN g %% 100 IN (3, 13, 23, 33, 43, 53, 63, 73) THEN 'BMS' ELSE 'MS' END,
                   CASE WHEN g %% 100 = 99 THEN g - 1 END
            FROM generate_series(1, %(n)s) g JOIN kec ON kec.i = g %% (SELECT count(*) FROM kec)""",
                             {"run": run_id, "n": members})
        conn.exec_driver_sql("""
            INSERT INTO stg_finding (run_id, party_code, entity, legacy_id, code, status, origin)
            SELECT run_id, party_code, 'anggota', legacy_id,
                   CASE outcome WHEN 'BMS' THEN 'KTA_MISSING' WHEN 'TMS' THEN 'UNDERAGE'
                                WHEN 'MERGED' THEN 'NIK_DUPLICATE_IN_PARTY' ELSE 'REGION_RECODED' END,
                   CASE outcome WHEN 'MS' THEN 'INFO' ELSE outcome END, 'row'
            FROM stg_member WHERE run_id = %(run)s AND (outcome <> 'MS' OR legacy_id %% 3 = 0)""",
                             {"run": run_id})
        conn.exec_driver_sql("ANALYZE stg_member; ANALYZE stg_finding; ANALYZE stg_region")
        counts = conn.exec_driver_sql(
            "SELECT party_code, outcome, count(*) FROM stg_member WHERE run_id = %(run)s GROUP BY 1, 2",
            {"run": run_id}).all()

    def empty():
        return {"read": 0, **{o: 0 for o in OUTCOMES}}
    ledger = {"parties": {code: empty() for code in BULK_PARTIES}, "total": empty()}
    for code, outcome, n in counts:
        for entry in (ledger["parties"][code], ledger["total"]):
            entry["read"] += n
            entry[outcome] += n
    return ledger
