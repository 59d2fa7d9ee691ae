"""Shared pieces of the hardening tests (issue 8): the CLI as a subprocess, a read-only MariaDB
account, source checksums, live-table snapshots and the ledger / duplicate checks."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ..conftest import MARIA_ADMIN

SIPOL = str(Path(sys.executable).parent / "sipol-migrate")
ONE_LINE_ERROR = re.compile(r"^sipol-migrate: error: \S.*$")
LIVE_TABLES = ("member", "member_holding", "member_document", "member_row_finding", "party", "region",
               "finding")


def cli(*args: str, env: dict | None = None, ulimit_kb: int | None = None, timeout: int = 300,
        wait: bool = True):
    """Run `sipol-migrate ARGS` in a subprocess (optionally under `ulimit -f`)."""
    command = [SIPOL, *args]
    if ulimit_kb is not None:  # bash counts -f in 1024-byte blocks; Python ignores SIGXFSZ
        command = ["bash", "-c", f'ulimit -f {ulimit_kb}; exec "$0" "$@"', *command]
    full_env = {**os.environ, **(env or {})}
    if not wait:
        return subprocess.Popen(command, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    return subprocess.run(command, env=full_env, capture_output=True, text=True, timeout=timeout)


def run_args(source: str, target: str, legacy: Path, out: Path, *extra: str) -> list[str]:
    return ["run", "--source", source, "--target", target, "--out", str(out),
            "--party-map", str(legacy / "parties.yaml"), "--regions", str(legacy / "regions-2022.csv"),
            "--quiet", *extra]


def assert_clean_failure(result) -> str:
    """Non-zero exit, no traceback, and exactly one error line on stderr; returns that line."""
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("sipol-migrate: error:")]
    assert len(errors) == 1 and ONE_LINE_ERROR.match(errors[0]), result.stderr
    return errors[0]


# --- MariaDB: a read-only account and checksums -----------------------------------------------


@dataclass
class ReadOnlyAccount:
    user: str
    password: str
    database: str

    @property
    def url(self) -> str:
        return f"mysql+pymysql://{self.user}:{self.password}@127.0.0.1:3306/{self.database}"


def create_read_only_account(maria_url: str) -> ReadOnlyAccount:
    """A new account with nothing but SELECT on the legacy database (random name and password)."""
    database = maria_url.rsplit("/", 1)[1]
    account = ReadOnlyAccount(f"ro_{secrets.token_hex(4)}", "Pw" + secrets.token_hex(10), database)
    engine = sa.create_engine(MARIA_ADMIN)
    with engine.begin() as conn:
        for host in ("%%", "127.0.0.1", "localhost"):  # %% : pymysql's paramstyle
            conn.exec_driver_sql(f"CREATE USER '{account.user}'@'{host}' IDENTIFIED BY '{account.password}'")
            conn.exec_driver_sql(f"GRANT SELECT ON `{database}`.* TO '{account.user}'@'{host}'")
    engine.dispose()
    return account


def drop_account(account: ReadOnlyAccount) -> None:
    engine = sa.create_engine(MARIA_ADMIN)
    with engine.begin() as conn:
        for host in ("%%", "127.0.0.1", "localhost"):  # %% : pymysql's paramstyle
            conn.exec_driver_sql(f"DROP USER IF EXISTS '{account.user}'@'{host}'")
    engine.dispose()


def source_checksums(maria_url: str) -> dict[str, int]:
    """CHECKSUM TABLE … EXTENDED of every table of the legacy database, plus its row count."""
    database = maria_url.rsplit("/", 1)[1]
    engine = sa.create_engine(MARIA_ADMIN)
    with engine.connect() as conn:
        tables = [r[0] for r in conn.exec_driver_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1",
            (database,))]
        sums = {}
        for table in tables:
            name, checksum = conn.exec_driver_sql(f"CHECKSUM TABLE `{database}`.`{table}` EXTENDED").one()
            count = conn.exec_driver_sql(f"SELECT count(*) FROM `{database}`.`{table}`").scalar_one()
            sums[table] = (checksum, count)
    engine.dispose()
    return sums


# --- the target ---------------------------------------------------------------------------------


def live_snapshot(target_url: str) -> dict[str, list]:
    """Every row of every live table, and the published runs (the run history that counts)."""
    engine = sa.create_engine(target_url)
    with engine.connect() as conn:
        snap = {t: sorted(map(tuple, conn.execute(sa.text(f"SELECT * FROM {t}")).all()), key=repr)
                for t in LIVE_TABLES}
        snap["published_runs"] = sorted(map(tuple, conn.execute(sa.text(
            "SELECT * FROM migration_run WHERE state = 'published'")).all()), key=repr)
    engine.dispose()
    return snap


def table_names(target_url: str) -> list[str]:
    engine = sa.create_engine(target_url)
    names = sa.inspect(engine).get_table_names()
    engine.dispose()
    return names


def assert_balanced_without_duplicates(summary: dict, target_url: str, legacy_members: int) -> None:
    """The ledger balances per party and in total, every legacy row was read once, the member table
    holds exactly MS + BMS rows with unique legacy ids, and the run's findings have no repeats."""
    keys = ("MS", "BMS", "TMS", "MERGED", "SKIPPED")
    for code, entities in summary["parties"].items():
        assert entities["anggota"]["read"] == sum(entities["anggota"][k] for k in keys), code
    total = summary["total"]["anggota"]
    assert total["read"] == sum(total[k] for k in keys) == legacy_members
    engine = sa.create_engine(target_url)
    with engine.connect() as conn:
        rows, distinct = conn.execute(sa.text(
            "SELECT count(*), count(DISTINCT legacy_id) FROM member")).one()
        repeats = conn.execute(sa.text(
            "SELECT count(*) FROM (SELECT entity, legacy_id, code, field, detail, count(*) AS n "
            "FROM finding WHERE run_id = :run GROUP BY entity, legacy_id, code, field, detail) g "
            "WHERE n > 1"), {"run": summary["run_id"]}).scalar_one()
        holding = conn.execute(sa.text("SELECT count(*) FROM member_holding")).scalar_one()
    engine.dispose()
    assert rows == distinct == total["MS"] + total["BMS"]
    assert holding == total["TMS"] + total["MERGED"] + total["SKIPPED"]
    assert repeats == 0


def read_summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


# --- Prefect: the flow run of a CLI run and its API logs ----------------------------------------


def flow_runs_for(out: Path, flow_name: str = "sipol-full-migration") -> list:
    """The flow runs whose `overrides.out_dir` is `out` (the CLI passes it as a flow parameter)."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
                                     sort=FlowRunSort.START_TIME_DESC, limit=200)
    return [r for r in runs if str((r.parameters.get("overrides") or {}).get("out_dir")) == str(out)]


def api_logs(flow_run_ids: list) -> list[str]:
    """Every log message (flow and task runs) the Prefect API holds for these flow runs."""
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    messages: list[str] = []
    with get_client(sync_client=True) as client:
        offset = 0
        while True:
            page = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=flow_run_ids)),
                                    limit=200, offset=offset)
            messages += [log.message for log in page]
            if len(page) < 200:
                return messages
            offset += len(page)
