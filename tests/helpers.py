"""Helpers shared by the integration tests: running the CLI, reading a target."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

CLI = str(Path(sys.executable).parent / "sipol-migrate")


def run_cli(*args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """The real console script in a subprocess (it talks to the session's Prefect server)."""
    return subprocess.run([CLI, *args], env={**os.environ, **(env or {})}, capture_output=True,
                          text=True, timeout=timeout)


def run_args(source: str, target: str, legacy: Path, out: Path, *extra: str) -> list[str]:
    return ["run", "--source", source, "--target", target, "--out", str(out),
            "--party-map", str(legacy / "parties.yaml"), "--regions", str(legacy / "regions-2022.csv"),
            "--quiet", *extra]


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def scalar(url: str, sql: str, **params):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()


def execute(url: str, sql: str, **params) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(sql), params)
    finally:
        engine.dispose()
