"""Issue 8, items 1, 4 and 5 on one run: MariaDB (an account with SELECT only, and a password)
→ PostgreSQL, through the CLI at DEBUG level with JSON logs.

- Least privilege: the run works with SELECT only, and every source table's checksum is the same
  before and after it.
- No personal data in logs: the console output and the Prefect API logs of the flow run hold no
  16-digit number, no member name of the source, no password of the URLs; nor do the messages of
  failing runs (wrong password, unreachable target, a failure inside the flow).
- Isolation: no file of a party's folder holds the NIK or the legacy id of a member who is only on
  other parties' lists.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from sipol_migrate.mappings import load_party_map
from sipol_migrate.normalize import normalize_name, normalize_nik
from sipol_migrate.synth import synthesize

from ..conftest import (
    MARIA_ADMIN, create_maria_database, create_pg_database, drop_maria_database, drop_pg_database,
)
from ..truth import assert_ledger_balances, load_truth
from .helpers import (
    api_logs, assert_balanced_without_duplicates, assert_clean_failure, cli, create_read_only_account,
    drop_account, flow_runs_for, read_summary, run_args, source_checksums,
)

# One run serves three checks, so they are one test: with pytest 9.2, pytest-xdist 3.8's
# `xdist_group` no longer keeps a module's tests on one worker (it sets `item._nodeid`, which
# pytest no longer reads), and a module fixture would run the migration once per worker.
pytestmark = [pytest.mark.integration]
MEMBERS = 1500
DIGITS16 = re.compile(r"(?<![\d.])\d{16}(?!\d)")  # a fraction like 0.1234567890123456 is no NIK


def _wait_for_api_logs(out: Path, expect: str, timeout: float = 30) -> tuple[list, list[str]]:
    """The flow runs of `out` and their logs, once a log line containing `expect` has arrived."""
    deadline = time.time() + timeout
    while True:
        runs = flow_runs_for(out)
        logs = api_logs([r.id for r in runs]) if runs else []
        if any(expect in line for line in logs) or time.time() > deadline:
            return runs, logs
        time.sleep(1)


@pytest.fixture
def legacy_setup(tmp_path):
    """A synthetic MariaDB legacy database, a SELECT-only account with a password, and an empty
    PostgreSQL target whose URL carries a password too."""
    maria, pg = create_maria_database(), create_pg_database()
    legacy = tmp_path / "legacy"
    synthesize(maria, legacy / "truth.jsonl", members=MEMBERS, seed=81)
    account = create_read_only_account(maria)
    target_password = "Tp" + secrets.token_hex(10)  # PostgreSQL trusts 127.0.0.1: ignored, must not print
    try:
        yield SimpleNamespace(maria=maria, pg=pg, target=pg.replace("postgres@", f"postgres:{target_password}@"),
                              legacy=legacy, account=account, target_password=target_password,
                              folder=tmp_path)
    finally:
        drop_account(account)
        drop_pg_database(pg)
        drop_maria_database(maria)


@pytest.fixture
def migrated(prefect_api, legacy_setup):
    """The CLI run at DEBUG with JSON logs; the source checksums around it; its API logs."""
    setup = legacy_setup
    setup.out = setup.folder / "out"
    setup.before = source_checksums(setup.maria)
    setup.result = cli(*run_args(setup.account.url, setup.target, setup.legacy, setup.out, "--batch-size", "200",
                                 "--log-level", "DEBUG", "--log-format", "json"),
                       env={"PREFECT_LOGGING_LEVEL": "DEBUG"})
    setup.after = source_checksums(setup.maria)
    setup.flow_runs, setup.api_logs = _wait_for_api_logs(setup.out, "published in")
    return setup


# --- 1. least privilege -------------------------------------------------------------------------


def test_select_only_debug_run(migrated):
    """Least privilege (1), clean logs (4) and isolation (5), each checked on the same run."""
    assert migrated.result.returncode == 0, migrated.result.stderr[-3000:]
    check_select_only_account_and_unchanged_source(migrated)
    check_debug_run_logs_hold_no_personal_data(migrated)
    check_party_folders_hold_only_their_own_members(migrated)


def check_select_only_account_and_unchanged_source(migrated):
    engine = sa.create_engine(MARIA_ADMIN)
    with engine.connect() as conn:
        grants = [r[0] for r in conn.exec_driver_sql(f"SHOW GRANTS FOR '{migrated.account.user}'@'%%'")]
    engine.dispose()
    granted = " ".join(grants).upper()
    assert "SELECT ON" in granted and not re.search(r"\b(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|ALL)\b",
                                                     granted.replace("GRANT USAGE", "").replace("GRANT SELECT", ""))
    with pytest.raises(sa.exc.OperationalError, match="denied"):  # the account really cannot write
        ro = sa.create_engine(migrated.account.url)
        try:
            with ro.begin() as conn:
                conn.exec_driver_sql("UPDATE m_partai SET nama_partai = nama_partai")
        finally:
            ro.dispose()
    assert migrated.before == migrated.after
    assert set(migrated.before) >= {"t_anggota", "t_kepengurusan", "t_pengurus", "m_partai", "m_wilayah",
                                    "t_upload_ktp", "t_upload_kta"}
    summary = read_summary(migrated.out)
    assert_ledger_balances(summary, load_truth(migrated.legacy / "truth.jsonl"))
    assert_balanced_without_duplicates(summary, migrated.pg, MEMBERS)


# --- 4. no personal data in logs ------------------------------------------------------------------


def _personal_data(maria: str) -> tuple[set[str], set[str]]:
    """(NIK-like digit strings, names of two words or more) of every member and officer row."""
    engine = sa.create_engine(maria)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT nik, nama, no_kk FROM t_anggota UNION ALL "
                                    "SELECT nik, nama, NULL FROM t_pengurus").all()
    engine.dispose()
    niks, names = set(), set()
    for nik, name, kk in rows:
        for value in (nik, kk):
            digits = normalize_nik(value)[0]
            if digits and len(digits) >= 12:
                niks.add(digits)
        for form in {name, normalize_name(name)[0]}:
            if form and len(form.split()) >= 2 and len(form) >= 8:
                names.add(form)
    return niks, names


def _assert_no_personal_data(text: str, niks: set[str], names: set[str], passwords: list[str]) -> None:
    assert not DIGITS16.findall(text), DIGITS16.findall(text)[:3]
    assert not [n for n in niks if n in text][:3]
    leaked = [n for n in names if n in text]
    assert not leaked, leaked[:3]
    for password in passwords:
        assert password not in text


def check_debug_run_logs_hold_no_personal_data(migrated):
    assert migrated.flow_runs and migrated.api_logs, "the flow run's API logs were not found"
    assert any('"event": "partition staged"' in line for line in migrated.api_logs)  # our JSON lines arrive
    console = migrated.result.stdout + migrated.result.stderr
    assert '"event": "run started"' in console  # the JSON console log was captured
    niks, names = _personal_data(migrated.maria)
    assert len(names) > MEMBERS // 2 and len(niks) > MEMBERS // 2  # the check has teeth
    passwords = [migrated.account.password, migrated.target_password]
    _assert_no_personal_data(console, niks, names, passwords)
    _assert_no_personal_data("\n".join(migrated.api_logs), niks, names, passwords)


def test_failing_runs_show_no_personal_data(prefect_api, legacy_setup):
    """Wrong password, unreachable target, and a failure inside the flow (at DEBUG): one line each,
    no traceback, no password, and the failed flow run's API logs are clean too."""
    niks, names = _personal_data(legacy_setup.maria)
    wrong = "Wr" + secrets.token_hex(8)
    account = legacy_setup.account
    cases = {
        "wrong password": (account.url.replace(account.password, wrong), legacy_setup.target),
        "unreachable target": (account.url, legacy_setup.target.replace(":5432/", ":1/")),
    }
    passwords = [account.password, legacy_setup.target_password, wrong]
    for label, (source, target) in cases.items():
        result = cli(*run_args(source, target, legacy_setup.legacy, legacy_setup.folder / "out-x", "--log-level", "DEBUG"))
        line = assert_clean_failure(result)
        assert ("source" if label == "wrong password" else "target") in line, line
        _assert_no_personal_data(result.stdout + result.stderr, niks, names, passwords)
    out = legacy_setup.folder / "out-failing"
    result = cli(*run_args(account.url, legacy_setup.target, legacy_setup.legacy, out, "--log-level", "DEBUG",
                           "--log-format", "json", "--full"),
                 env={"SIPOL_FAULT_FAIL_BEFORE_PUBLISH": "true", "PREFECT_LOGGING_LEVEL": "DEBUG"})
    line = assert_clean_failure(result)
    assert "fault injected" in line
    _assert_no_personal_data(result.stdout + result.stderr, niks, names, passwords)
    runs, logs = _wait_for_api_logs(out, "Flow run encountered an exception")
    assert any("Traceback" in entry for entry in logs)  # Prefect keeps the traceback: it must be clean
    _assert_no_personal_data("\n".join(logs), niks, names, passwords)


# --- 5. isolation -------------------------------------------------------------------------------


def _file_texts(path: Path) -> list[str]:
    """The text a file holds: XLSX/ZIP members unpacked, everything else read as bytes."""
    data = path.read_bytes()
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
    return [data.decode("utf-8", "replace")]


def _member_ids_in_tables(path: Path) -> list[int]:
    """Member legacy ids of a CSV (rows with entity anggota) or an XLSX sheet (column "ID lama"
    of sheets without an entity column)."""
    ids: list[int] = []
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("legacy_id") and row.get("entity", "anggota") == "anggota":
                    ids.append(int(row["legacy_id"]))
    elif path.suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = [str(c) if c is not None else "" for c in next(rows, ())]
            if "ID lama" in header and not {"Entitas", "entity"} & set(header):
                column = header.index("ID lama")
                ids += [int(r[column]) for r in rows if r and isinstance(r[column], (int, float))]
        book.close()
    return ids


def check_party_folders_hold_only_their_own_members(migrated):
    parties = load_party_map(migrated.legacy / "parties.yaml").parties
    engine = sa.create_engine(migrated.maria)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id, partai_id, nik FROM t_anggota").all()
    engine.dispose()
    nik_of = {legacy_id: normalize_nik(nik)[0] for legacy_id, _, nik in rows}
    checked_files = 0
    for party in parties:
        own_ids = {legacy_id for legacy_id, partai_id, _ in rows if partai_id == party.legacy_id}
        own_niks = {nik_of[i] for i in own_ids if nik_of[i]}
        foreign_ids = set(nik_of) - own_ids
        foreign_niks = {nik_of[i] for i in foreign_ids if nik_of[i] and len(nik_of[i]) == 16} - own_niks
        assert foreign_niks
        folder = migrated.out / party.code
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert files, f"no files for {party.code}"
        for path in files:
            checked_files += 1
            for text in _file_texts(path):
                tokens = set(DIGITS16.findall(text)) | set(re.findall(r"(?<!\d)\d{16}(?!\d)", text))
                assert not tokens & foreign_niks, f"{path}: NIK of another party's member"
            stray = set(_member_ids_in_tables(path)) & foreign_ids
            assert not stray, f"{path}: legacy ids of other parties' members {sorted(stray)[:5]}"
    assert checked_files >= len(parties)
