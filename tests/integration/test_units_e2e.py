"""Units, officers and parties end to end on synthesised data: MariaDB → PostgreSQL.

`synth` plants the management problems (missing provinces, coverage just under and exactly at
the thresholds, 29 % and 30 % women, a unit with only a Wakil Ketua, leases, odd levels, invalid
unit codes, a kab/kota without a population, deleted and orphan units and officers) and records
their truth by construction. Every kepengurusan / pengurus / partai finding must equal the truth
(party, code, status and detail), the ledgers must balance, and the member truth still holds.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sipol_migrate.cli import execute_run
from sipol_migrate.settings import Settings
from sipol_migrate.synth import synthesize

from ..truth import (
    assert_ledger_balances, assert_matches_truth, assert_structure_ledger_balances,
    assert_structure_matches_truth, load_truth,
)

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
MEMBERS = 1500


def test_units_officers_parties_match_truth(maria_url, pg_url, tmp_path, prefect_api):
    legacy = tmp_path / "legacy"
    synthesize(maria_url, legacy / "truth.jsonl", members=MEMBERS, seed=21)
    truth = load_truth(legacy / "truth.jsonl")
    codes = {code for t in truth if t["entity"] != "anggota" for code, _s, _d in t["findings"]}
    assert codes >= {"UNIT_LEVEL_UNKNOWN", "UNIT_REGION_INVALID", "MGMT_PROVINCE_MISSING",
                     "MGMT_KABKOTA_COVERAGE", "MGMT_KECAMATAN_COVERAGE", "MGMT_WOMEN_SHARE",
                     "MGMT_OFFICER_MISSING", "OFFICE_LEASE_EXPIRED", "MEMBERSHIP_BELOW_MINIMUM",
                     "OFFICER_NIK_INVALID", "OFFICER_GENDER_UNKNOWN", "SKIPPED_ORPHAN",
                     "SKIPPED_PARTY_UNMAPPED", "SKIPPED_DELETED"}, "synth plants every management code"
    out = tmp_path / "out"
    summary = execute_run(Settings(source_url=maria_url, target_url=pg_url, out_dir=out,
                                   party_map=legacy / "parties.yaml", regions=legacy / "regions-2022.csv",
                                   progress=False))
    assert_structure_matches_truth(truth, out)
    assert_structure_ledger_balances(summary, truth)
    assert_matches_truth(legacy / "truth.jsonl", out, pg_url)
    assert_ledger_balances(summary, truth)
    assert summary["settings"]["office_required_until"] == "2024-02-14"
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        units = conn.execute(sa.text("SELECT count(*) FROM unit")).scalar_one()
        officers = conn.execute(sa.text("SELECT count(*) FROM officer")).scalar_one()
        staged = conn.execute(sa.text("SELECT count(*) FROM stg_unit")).scalar_one()
    engine.dispose()
    assert units == summary["total"]["kepengurusan"]["migrated"]
    assert officers == summary["total"]["pengurus"]["migrated"]
    assert staged == 0
