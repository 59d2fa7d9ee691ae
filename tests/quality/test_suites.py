"""The suite files and the rule catalogue: strict loading, and the catalogue equals FINDINGS.md."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from sipol_migrate import quality
from sipol_migrate.errors import InputError
from sipol_migrate.settings import CHECKS_DIR

FINDINGS = Path(__file__).resolve().parents[3] / "shared" / "spec" / "FINDINGS.md"


def spec_codes() -> set[str]:
    """The first cell of every table row, plus every CODE_WITH_UNDERSCORES named in prose."""
    text = FINDINGS.read_text(encoding="utf-8")
    cells = set(re.findall(r"^\| ([A-Z][A-Z0-9_]+) \|", text, flags=re.M))
    named = set(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", text))
    outcomes = {"MS", "BMS", "TMS", "MERGED", "SKIPPED"}
    # The officer sentence abbreviates SKIPPED_PARTY_UNMAPPED as PARTY_UNMAPPED.
    return (cells | named) - outcomes - {"PARTY_UNMAPPED"}


def test_catalogue_lists_exactly_the_codes_of_findings_md():
    catalogue = quality.load_catalogue()
    assert {f.code for f in catalogue.findings} == spec_codes()


@pytest.mark.parametrize("code,status", [
    ("NIK_MALFORMED", "BMS"), ("UNDERAGE", "TMS"), ("BIRTHDATE_NIK_MISMATCH", "WARN"),
    ("REGION_RECODED", "INFO"), ("NIK_DUPLICATE_IN_PARTY", "MERGED"), ("SKIPPED_DELETED", "SKIPPED"),
    ("MGMT_WOMEN_SHARE", "BMS"), ("CONFLICT_PARTY_EDITED", "INFO"),
])
def test_catalogue_statuses_follow_the_spec(code, status):
    entry = next(f for f in quality.load_catalogue().findings if f.code == code)
    assert entry.status == status


def test_every_suite_loads_and_builds_into_gx_expectations():
    suites = quality.load_suites()
    assert {s.suite for s in suites} >= {"member", "finding", "reference"}
    ledger = {"parties": {"PKB": {"read": 3, "MS": 1, "BMS": 1}}, "total": {"read": 5, "MS": 1, "BMS": 1}}
    assets, planned = quality.plan(suites, quality.load_catalogue(), "r20240101T000000-abc123", ledger,
                                   date(2022, 8, 1))
    for item in planned:
        expectation = quality._build_expectation(item)
        assert str(expectation.severity.value) in ("critical", "warning")
    for spec, sql in assets.values():
        assert "${" not in sql and "r20240101T000000-abc123" in sql


def test_no_expectation_reads_a_personal_column():
    for suite in quality.load_suites():
        for exp in suite.expectations:
            assert exp.kwargs.get("column") not in ("nik", "name", "birth_date", "nama", "tgl_lahir")


def copy_checks(tmp_path: Path) -> Path:
    target = tmp_path / "checks"
    shutil.copytree(CHECKS_DIR, target)
    return target


def test_unknown_key_in_a_suite_is_a_one_line_input_error(tmp_path):
    checks = copy_checks(tmp_path)
    data = yaml.safe_load((checks / "member.yaml").read_text())
    data["expectations"][0]["severty"] = "critical"
    (checks / "member.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as info:
        quality.load_suites(checks)
    assert "member.yaml" in str(info.value) and "severty" in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_severity_and_unknown_asset_are_rejected(tmp_path):
    checks = copy_checks(tmp_path)
    data = yaml.safe_load((checks / "finding.yaml").read_text())
    data["expectations"][0]["severity"] = "fatal"
    (checks / "finding.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match="finding.yaml"):
        quality.load_suites(checks)
    data["expectations"][0]["severity"] = "critical"
    data["expectations"][0]["asset"] = "nowhere"
    (checks / "finding.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match="unknown asset nowhere"):
        quality.load_suites(checks)


def test_unknown_placeholder_in_a_query_is_rejected(tmp_path):
    checks = copy_checks(tmp_path)
    data = yaml.safe_load((checks / "reference.yaml").read_text())
    data["assets"]["upload_kinds"]["query"] += " AND u.kind = '${kind}'"
    (checks / "reference.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match="placeholder"):
        quality.load_suites(checks)


def test_unknown_gx_expectation_type_is_an_input_error(tmp_path):
    checks = copy_checks(tmp_path)
    data = yaml.safe_load((checks / "reference.yaml").read_text())
    data["expectations"][0]["type"] = "expect_the_unexpected"
    (checks / "reference.yaml").write_text(yaml.safe_dump(data))
    suites = quality.load_suites(checks)
    ledger = {"parties": {}, "total": {"read": 0, "MS": 0, "BMS": 0}}
    _, planned = quality.plan(suites, quality.load_catalogue(checks), "r1", ledger, date(2022, 8, 1))
    with pytest.raises(InputError, match="expect_the_unexpected"):
        for item in planned:
            quality._build_expectation(item)


@pytest.mark.parametrize("run_id", ["r1'; DROP TABLE member; --", "R2024", "", "x" * 41])
def test_run_id_is_validated_before_any_sql(run_id):
    with pytest.raises(InputError, match="run id"):
        quality.run_gate(None, run_id, {"parties": {}, "total": {}}, None)


def test_party_codes_are_validated_before_they_reach_sql():
    suites, catalogue = quality.load_suites(), quality.load_catalogue()
    ledger = {"parties": {"PKB'--": {"read": 1, "MS": 1, "BMS": 0}}, "total": {"read": 1, "MS": 1, "BMS": 0}}
    with pytest.raises(InputError, match="party code"):
        quality.plan(suites, catalogue, "r1", ledger, date(2022, 8, 1))
