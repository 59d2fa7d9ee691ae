"""Benchmark of write_reports on a large party, data generated in SQL (not collected by pytest).

    .venv/bin/python tests/report/bench_reports.py                       # 800k members, 200k findings
    .venv/bin/python tests/report/bench_reports.py --bms 1100000         # > 1,048,576 rows: sheet split
    .venv/bin/python tests/report/bench_reports.py --browser             # also time laporan.html in Chromium

Party PXA gets `--members` rows, of which `--bms` BMS members (2 findings each), `--tms` TMS and
`--merged` MERGED rows in the holding table (1 finding each) and `--notes` MS rows with an INFO
finding; the real Kemendagri lists are loaded as regions when SIPOL_WILAYAH_DIR (or
../shared/data/wilayah) has them. Prints timings, peak memory and the sheets written.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report_state import PARTIES, PREVIOUS, RUN, build_state, ledger  # noqa: E402

from sipol_migrate.report import write_reports  # noqa: E402

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
WILAYAH = Path(os.environ.get("SIPOL_WILAYAH_DIR", HERE.parents[2] / "shared" / "data" / "wilayah"))


def load_regions(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM region")
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            for year in (2017, 2022):
                path = WILAYAH / f"kemendagri_{year}.csv"
                lines = path.read_text(encoding="utf-8").splitlines()[1:]
                buf = io.StringIO("".join(f"{year},{line}\n" for line in lines))
                cur.copy_expert("COPY region (year, code, name, level, parent) FROM STDIN WITH CSV", buf)
        raw.commit()
    finally:
        raw.close()


GENERATE = """
WITH k AS (SELECT array_agg(code ORDER BY code) AS codes, count(*) AS n FROM region
           WHERE year = 2022 AND level = 3)
INSERT INTO {table} (legacy_id, party_code, partai_id, nik, name, region_code, legacy_region_code,
                     kta_number, {extra_cols})
SELECT g, 'PXA', 1, (3201010000000000 + g)::text, 'Anggota ' || g, k.codes[1 + g % k.n],
       k.codes[1 + g % k.n], 'KTA-' || g, {extra_vals}
FROM generate_series(:lo, :hi) g, k
"""
FINDINGS = """
INSERT INTO finding (run_id, party_code, entity, legacy_id, code, status, outcome)
SELECT :run, 'PXA', 'anggota', g, :code, :status, :outcome FROM generate_series(:lo, :hi) g
"""


def generate(engine: sa.Engine, args) -> dict:
    live = "status, migrated_hash, migrated_run_id"
    b1, b2 = 10_000_001, 10_000_000 + args.bms
    t1, t2 = b2 + 1, b2 + args.tms
    m1, m2 = t2 + 1, t2 + args.merged
    n1, n2 = m2 + 1, m2 + args.notes
    ms_hi = 10_000_000 + args.members
    with engine.begin() as conn:
        conn.execute(sa.text(GENERATE.format(table="member", extra_cols=live,
                                             extra_vals="CASE WHEN g <= :b2 THEN 'BMS' ELSE 'MS' END, md5(''), :run")),
                     {"lo": b1, "hi": ms_hi, "b2": b2, "run": RUN})
        for lo, hi, outcome in ((t1, t2, "TMS"), (m1, m2, "MERGED")):
            conn.execute(sa.text("DELETE FROM member WHERE legacy_id BETWEEN :lo AND :hi"), {"lo": lo, "hi": hi})
            conn.execute(sa.text(GENERATE.format(table="member_holding", extra_cols="outcome, run_id",
                                                 extra_vals=":outcome, :run")),
                         {"lo": lo, "hi": hi, "outcome": outcome, "run": RUN})
        for code, status, outcome, lo, hi in (
                ("KTA_MISSING", "BMS", "BMS", b1, b2), ("DOC_KTP_MISSING", "BMS", "BMS", b1, b2),
                ("UNDERAGE", "TMS", "TMS", t1, t2), ("NIK_DUPLICATE_IN_PARTY", "MERGED", "MERGED", m1, m2),
                ("REGION_RECODED", "INFO", "MS", n1, n2)):
            conn.execute(sa.text(FINDINGS), {"run": RUN, "code": code, "status": status, "outcome": outcome,
                                             "lo": lo, "hi": hi})
        conn.execute(sa.text("ANALYZE"))
        members = conn.execute(sa.text("SELECT count(*) FROM member WHERE party_code = 'PXA'")).scalar()
        holding = conn.execute(sa.text("SELECT count(*) FROM member_holding WHERE party_code = 'PXA'")).scalar()
        findings = conn.execute(sa.text("SELECT count(*) FROM finding WHERE run_id = :r AND party_code = 'PXA'"),
                                {"r": RUN}).scalar()
    print(f"generated: {members:,} live members, {holding:,} holding rows, {findings:,} findings of PXA")
    ms = members - args.bms
    return {"run_id": RUN, "parties": {"PXA": {"anggota": ledger(ms, args.bms, args.tms, args.merged + 1, 1)},
                                       "PQZ": {"anggota": ledger(0, 2, 1)}},
            "total": {"anggota": ledger(ms, args.bms + 2, args.tms + 1, args.merged + 1, 2)},
            "settings": {"reference_date": "2022-08-01"}, "stats": {}}


def browser_load_seconds(path: Path) -> float:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--no-first-run", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        started = time.perf_counter()
        driver.get(path.resolve().as_uri())
        rows = driver.execute_script("return document.querySelectorAll('#tabel-data tbody tr').length")
        seconds = time.perf_counter() - started
        assert rows > 0
        return seconds
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=800_000)
    parser.add_argument("--bms", type=int, default=80_000)
    parser.add_argument("--tms", type=int, default=20_000)
    parser.add_argument("--merged", type=int, default=10_000)
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--row-limit", type=int, default=None)
    parser.add_argument("--no-pdf", action="store_true")
    parser.add_argument("--browser", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    name = f"t_rep_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}")
    try:
        state = build_state(engine)
        if (WILAYAH / "kemendagri_2022.csv").exists():
            load_regions(engine)
        started = time.perf_counter()
        summary = generate(engine, args)
        print(f"generation: {time.perf_counter() - started:.1f} s")
        out = args.out or Path(tempfile.mkdtemp(prefix="bench-reports-"))
        extra = {"row_limit": args.row_limit} if args.row_limit else {}
        started = time.perf_counter()
        written = write_reports(engine, RUN, out, summary, PARTIES, previous_run_id=PREVIOUS,
                                pdf=not args.no_pdf, **extra)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"write_reports: {seconds:.1f} s, peak RSS {peak:.0f} MiB, out {out}")
        for path in written["PXA"]:
            print(f"  {path.name}: {path.stat().st_size / 1e6:.1f} MB")
        import openpyxl

        book = openpyxl.load_workbook(out / "PXA" / "laporan.xlsx", read_only=True)
        print("  sheets:", ", ".join(f"{n} [{book[n].max_row - 1:,}]" for n in book.sheetnames if n != "Ringkasan"))
        if args.browser:
            print(f"laporan.html in Chromium: {browser_load_seconds(out / 'PXA' / 'laporan.html'):.2f} s")
        del state
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
