"""Run settings: injected once (CLI options, then SIPOL_* environment variables, then defaults).

Nothing below this module reads the environment. URLs are secrets: they print redacted.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MAPPINGS_DIR = Path(os.environ.get("SIPOL_MAPPINGS_DIR", PROJECT_ROOT / "mappings"))
CHECKS_DIR = PROJECT_ROOT / "checks"
REPORTS_DIR = PROJECT_ROOT / "reports"
PACKAGE_DATA = Path(__file__).resolve().parent / "data"
SAMPLE_REGIONS_2022 = PACKAGE_DATA / "wilayah_sample_2022.csv"


def redact_url(url: str | SecretStr | None) -> str:
    """The URL with its password replaced by ***, safe for logs and messages."""
    if url is None:
        return "<none>"
    raw = url.get_secret_value() if isinstance(url, SecretStr) else url
    try:
        return make_url(raw).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL: show its scheme only
        return raw.split(":", 1)[0] + "://…"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIPOL_", extra="forbid")

    source_url: SecretStr | None = None
    target_url: SecretStr | None = None
    out_dir: Path = Path("out")
    party_map: Path = MAPPINGS_DIR / "parties.yaml"
    codes_file: Path = MAPPINGS_DIR / "codes.yaml"
    columns_file: Path = MAPPINGS_DIR / "columns.yaml"
    regions: Path | None = None  # None: the built-in sample (run), the stored 2022 list (reconcile)

    # Rule settings (FINDINGS.md, "Settings the rules depend on").
    reference_date: date = date(2022, 8, 1)
    office_required_until: date = date(2024, 2, 14)
    province_basis: list[str] | None = None  # None: the provinces of the 2017 reference

    # Engine.
    batch_size: int | None = Field(None, ge=100)  # None: stage.rows_per_batch's default
    partition_rows: int = Field(100_000, ge=100)  # rows per id range read (partitions.py)
    workers: int = Field(2, ge=1, le=64)
    stage_processes: bool = True  # PostgreSQL target, thread runner: partitions in worker processes
    full: bool = False
    recompute: bool = False  # no unchanged-rerun shortcut (unchanged.py); --full implies it
    task_runner: Literal["threads", "dask"] = "threads"
    dask_address: str | None = None
    mask_nik: bool = False
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"
    progress: bool = True

    # Test-only fault injection (the kill, resume and publish-failure tests use them).
    fault_fail_before_publish: bool = False
    fault_exit_at_batch: int | None = None  # exit (as kill -9 would) at the N-th staged batch …
    fault_exit_during: Literal["between-batches", "load"] = "between-batches"  # … after or before its commit
    fault_exit_at_phase: Literal["publish", "report"] | None = None  # inside publishing / before reports

    @field_validator("province_basis", mode="before")
    @classmethod
    def _split_basis(cls, value):
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        return value

    def source(self) -> str:
        if self.source_url is None:
            from .errors import InputError

            raise InputError("no source database: pass --source or set SIPOL_SOURCE_URL")
        return self.source_url.get_secret_value()

    def target(self) -> str:
        if self.target_url is None:
            from .errors import InputError

            raise InputError("no target database: pass --target or set SIPOL_TARGET_URL")
        return self.target_url.get_secret_value()

    @property
    def regions_given(self) -> bool:
        return self.regions is not None

    @property
    def regions_path(self) -> Path:
        return self.regions or SAMPLE_REGIONS_2022

    def rule_settings(self) -> dict:
        """The settings echoed in summary.json (no URLs)."""
        return {
            "reference_date": self.reference_date.isoformat(),
            "office_required_until": self.office_required_until.isoformat(),
            "province_basis": self.province_basis or "2017-reference",
            "regions_file": self.regions_path.name,
            "party_map": self.party_map.name,
            "full": self.full,
        }
