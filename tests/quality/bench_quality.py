"""Timing of the quality gate and the source scan on 2,000,000 members (`make bench` calls this).

    python tests/quality/bench_quality.py [--members N] [--only gate|scan] [--json FILE]

- gate: a fresh PostgreSQL database (t_q_bench_<random>) with N staged members of 20 parties
  (INSERT … SELECT generate_series), findings to match, the real 2022 region list; times
  `run_gate` with Data Docs.
- scan: a fresh MariaDB database (latin1) with the legacy tables and N members carrying the
  known problems (INSERT … SELECT from the Sequence engine's seq_1_to_N), units, officers and
  uploads; times `scan_source`.
Prints one JSON object of timings; databases are dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[2]))  # the repo root, for `tests.quality.*`

from tests.conftest import create_pg_database, drop_maria_database, drop_pg_database  # noqa: E402
from tests.quality.conftest import new_maria_database  # noqa: E402
from tests.quality.staging import seed_bulk_run_pg  # noqa: E402

WILAYAH = Path(os.environ.get("SIPOL_WILAYAH_DIR", HERE.parents[3] / "shared" / "data" / "wilayah"))

LEGACY_ROWS_SQL = """
SET SESSION sql_mode = '';
INSERT INTO m_partai (id, nama_partai, singkatan) SELECT seq, CONCAT('Partai ', seq), CONCAT('P', seq) FROM seq_1_to_20;
INSERT INTO t_kepengurusan (id, partai_id, tingkat, kode_wilayah, tgl_sk, kantor_berlaku_sampai, is_deleted, updated_at)
 SELECT seq, 1 + seq % 21, ELT(1 + seq % 6, 'pusat', 'Provinsi', 'KAB/KOTA', 'kabupaten/kota', 'kecamatan', 'dpc'),
        '32.01', IF(seq % 10 = 0, '0000-00-00', '2017-05-01'), IF(seq % 7 = 0, '2019-00-00', NULL),
        IF(seq % 50 = 0, 2, 0), IF(seq % 3 = 0, NULL, '2018-01-01 00:00:00') FROM seq_1_to_20000;
INSERT INTO t_pengurus (kepengurusan_id, jabatan, nik, nama, jenis_kelamin, is_deleted)
 SELECT 1 + seq % 20500, 'Ketua', CONCAT('3201', LPAD(seq, 12, '0')), 'Ketua', 'L', 0 FROM seq_1_to_60000;
INSERT INTO t_anggota (id, partai_id, kepengurusan_id, nik, nama, tgl_lahir, jenis_kelamin, kode_wilayah,
                       no_kta, is_deleted, updated_at)
 SELECT seq, 1 + seq % 21, IF(seq % 97 = 0, NULL, 1 + seq % 20100),
   CASE seq % 100 WHEN 0 THEN NULL WHEN 1 THEN CONCAT('3201 0112 ', LPAD(seq, 8, '0')) WHEN 2 THEN '3.20101E+15'
     WHEN 3 THEN CONCAT('3201', LPAD(seq, 11, '0')) WHEN 4 THEN CONCAT('32O1', LPAD(seq, 12, '0'))
     WHEN 5 THEN CONCAT('''3201', LPAD(seq, 12, '0'))
     ELSE CONCAT('3201', LPAD(IF(seq % 1000 = 27, seq - 21, seq), 12, '0')) END,
   IF(seq % 200 = 0, 'DÃ©sirÃ©e', CONCAT('Nama ', seq)),
   CASE seq % 50 WHEN 0 THEN '0000-00-00' WHEN 1 THEN '1985-00-12' WHEN 2 THEN '1900-01-01' WHEN 3 THEN NULL
     ELSE DATE_ADD('1960-01-01', INTERVAL seq % 15000 DAY) END,
   'L', '32.01.01', CONCAT('KTA', seq), IF(seq % 100 = 50, 1, 0),
   IF(seq % 10 = 0, '0000-00-00 00:00:00', '2018-01-01 00:00:00')
 FROM seq_1_to_{n};
INSERT INTO t_upload_ktp (anggota_id, path, uploaded_at) SELECT seq + 1000, 'x.jpg', '2018-01-01' FROM seq_1_to_{n};
INSERT INTO t_upload_kta (anggota_id, path, uploaded_at) SELECT seq, 'x.jpg', NULL FROM seq_1_to_{n};
"""


def bench_gate(members: int) -> dict:
    from sipol_migrate.db import make_engine
    from sipol_migrate.quality import run_gate

    url = create_pg_database()
    engine = make_engine(url)
    try:
        run_id = "r20240101T000000-bench0"
        started = time.perf_counter()
        ledger = seed_bulk_run_pg(engine, run_id, members, WILAYAH / "kemendagri_2022.csv")
        seeded = time.perf_counter() - started
        import great_expectations  # noqa: F401  (import time is not the gate's)

        with tempfile.TemporaryDirectory() as docs:
            started = time.perf_counter()
            report = run_gate(engine, run_id, ledger, Path(docs) / "data-docs")
            seconds = time.perf_counter() - started
        return {"gate_members": members, "gate_seconds": round(seconds, 1),
                "gate_expectations": len(report.results), "gate_success": report.success,
                "gate_seed_seconds": round(seeded, 1)}
    finally:
        engine.dispose()
        drop_pg_database(url)


def bench_scan(members: int) -> dict:
    import sqlalchemy as sa

    from sipol_migrate.db import make_engine
    from sipol_migrate.scan import scan_source

    url = new_maria_database()
    raw = sa.create_engine(url + "?charset=utf8mb4")
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        with raw.begin() as conn:
            for statement in LEGACY_ROWS_SQL.format(n=members).split(";\n"):
                if statement.strip():
                    conn.exec_driver_sql(statement.replace("%", "%%"), ())
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        scan = scan_source(engine, {i: f"P{i:02d}" for i in range(1, 20)})
        seconds = time.perf_counter() - started
        total = scan["tables"]["t_anggota"]["total"]
        return {"scan_members": total["rows"], "scan_seconds": round(seconds, 1),
                "scan_seed_seconds": round(seeded, 1),
                "scan_nik_duplicate_rows": total["nik_duplicate_rows"]}
    finally:
        raw.dispose()
        engine.dispose()
        drop_maria_database(url)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2_000_000)
    parser.add_argument("--only", choices=("gate", "scan"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result: dict = {}
    if args.only in (None, "gate"):
        result.update(bench_gate(args.members))
    if args.only in (None, "scan"):
        result.update(bench_scan(args.members))
    result["load_average"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
