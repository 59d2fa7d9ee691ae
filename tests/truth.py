"""Compare what a run produced with the truth `synth` recorded by construction."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa


def load_truth(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def expected_findings(truth: list[dict], entities=("anggota",)) -> set[tuple]:
    return {(t["entity"], int(t["legacy_id"]), code)
            for t in truth if t["entity"] in entities for code, _status, _detail in t["findings"]}


def expected_details(truth: list[dict]) -> dict[tuple, str]:
    return {(t["entity"], int(t["legacy_id"]), code): detail
            for t in truth for code, _status, detail in t["findings"] if detail is not None}


def produced_findings(out: Path, entities=("anggota",)) -> tuple[set[tuple], dict[tuple, str]]:
    """(entity, legacy_id, code) of every party file and of the KPU file's SKIPPED rows."""
    found, details = set(), {}
    for path in out.glob("*/findings.csv"):
        kpu = path.parent.name == "_kpu"
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["entity"] not in entities:
                    continue
                if kpu and row["status"] != "SKIPPED":
                    continue
                key = (row["entity"], int(row["legacy_id"]), row["code"])
                found.add(key)
                if row["detail"]:
                    details[key] = row["detail"]
    return found, details


def produced_outcomes(target_url: str) -> dict[int, str]:
    engine = sa.create_engine(target_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT legacy_id, status FROM member UNION ALL "
                                    "SELECT legacy_id, outcome FROM member_holding")).all()
    engine.dispose()
    return {int(i): o for i, o in rows}


def per_code_report(expected: set[tuple], produced: set[tuple]) -> str:
    """Empty when equal; otherwise per code the missing and unexpected examples."""
    missing, extra = defaultdict(list), defaultdict(list)
    for key in expected - produced:
        missing[key[2]].append(key[1])
    for key in produced - expected:
        extra[key[2]].append(key[1])
    lines = [f"{code}: recall misses {len(ids)} e.g. {sorted(ids)[:5]}" for code, ids in sorted(missing.items())]
    lines += [f"{code}: precision misses {len(ids)} e.g. {sorted(ids)[:5]}" for code, ids in sorted(extra.items())]
    return "\n".join(lines)


def assert_matches_truth(truth_path: Path, out: Path, target_url: str) -> None:
    truth = load_truth(truth_path)
    expected = expected_findings(truth)
    produced, details = produced_findings(out)
    report = per_code_report(expected, produced)
    assert not report, "findings differ from the truth:\n" + report
    for key, detail in expected_details(truth).items():
        if key[0] == "anggota":
            assert details.get(key) == detail, f"detail of {key}: {details.get(key)!r} != {detail!r}"
    outcomes = produced_outcomes(target_url)
    wrong = [(t["legacy_id"], t["outcome"], outcomes.get(int(t["legacy_id"])))
             for t in truth if t["entity"] == "anggota" and outcomes.get(int(t["legacy_id"])) != t["outcome"]]
    assert not wrong, f"{len(wrong)} outcomes differ, e.g. (id, truth, produced) {wrong[:5]}"


def assert_ledger_balances(summary: dict, truth: list[dict]) -> None:
    keys = ("MS", "BMS", "TMS", "MERGED", "SKIPPED")
    for code, entities in summary["parties"].items():
        ledger = entities["anggota"]
        assert ledger["read"] == sum(ledger[k] for k in keys), code
        expected = defaultdict(int)
        for t in truth:
            if t["entity"] == "anggota" and t["party"] == code:
                expected[t["outcome"]] += 1
        assert {k: ledger[k] for k in keys} == {k: expected[k] for k in keys}, code
    total = summary["total"]["anggota"]
    assert total["read"] == sum(1 for t in truth if t["entity"] == "anggota")
    assert total["read"] == sum(total[k] for k in keys)
