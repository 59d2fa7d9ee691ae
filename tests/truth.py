"""Compare what a run produced with the truth `synth` recorded by construction."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
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


# --- units, officers and parties (entities kepengurusan, pengurus, partai) ---------------------

STRUCTURE_ENTITIES = ("kepengurusan", "pengurus", "partai")
STRUCTURE_LEDGER = {"kepengurusan": "kepengurusan", "pengurus": "pengurus"}


def normalise_detail(detail: str | None) -> str | None:
    """`key=value` pairs in key order, list values sorted (inside a value, order does not matter)."""
    if not detail:
        return None
    pairs = (part.split("=", 1) for part in detail.split(";") if part)
    return ";".join(f"{key}={','.join(sorted(value.split(',')))}" for key, value in sorted(pairs))


def produced_structure(out: Path) -> Counter:
    """(party, entity, legacy_id, code, detail) of every unit, officer and party finding: the party
    files (all but KPU-only codes) and the KPU file's SKIPPED rows."""
    found: Counter = Counter()
    for path in out.glob("*/findings.csv"):
        kpu = path.parent.name == "_kpu"
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["entity"] not in STRUCTURE_ENTITIES or (kpu and row["status"] != "SKIPPED"):
                    continue
                party = (row["party"] or None) if kpu else path.parent.name
                found[(party, row["entity"], int(row["legacy_id"]), row["code"], row["status"],
                       normalise_detail(row["detail"]))] += 1
    return found


def expected_structure(truth: list[dict]) -> Counter:
    expected: Counter = Counter()
    for t in truth:
        if t["entity"] in STRUCTURE_ENTITIES:
            for code, status, detail in t["findings"]:
                expected[(t["party"], t["entity"], int(t["legacy_id"]), code, status,
                          normalise_detail(detail))] += 1
    return expected


def _without_free_details(found: Counter, truth_keys: Counter) -> Counter:
    """Details of codes whose format FINDINGS.md does not fix (truth detail null) are not compared."""
    free = {key[:5] for key in truth_keys if key[5] is None}
    result: Counter = Counter()
    for key, n in found.items():
        result[key[:5] + (None,) if key[:5] in free else key] += n
    return result


def assert_structure_matches_truth(truth: list[dict], out: Path) -> None:
    """Every unit, officer and party finding equals the truth: precision and recall 100 % per
    code, with party, status and (where the truth gives one) detail."""
    expected = expected_structure(truth)
    produced = _without_free_details(produced_structure(out), expected)
    missing, extra = expected - produced, produced - expected
    lines = []
    for title, keys in (("recall misses", missing), ("precision misses", extra)):
        by_code = defaultdict(list)
        for key in keys.elements():
            by_code[key[3]].append(key)
        lines += [f"{code}: {title} {len(ks)} e.g. {sorted(ks, key=repr)[:3]}" for code, ks in sorted(by_code.items())]
    assert not lines, "unit / officer / party findings differ from the truth:\n" + "\n".join(lines)


def assert_structure_ledger_balances(summary: dict, truth: list[dict]) -> None:
    """kepengurusan / pengurus ledgers: read = migrated + SKIPPED, per party and in total, equal
    to the truth's rows (a row is SKIPPED when its truth holds a SKIPPED_* code)."""
    for entity in STRUCTURE_LEDGER:
        rows = [t for t in truth if t["entity"] == entity]
        skipped = {int(t["legacy_id"]) for t in rows if any(s == "SKIPPED" for _c, s, _d in t["findings"])}

        def counts(lines) -> dict:
            lines = list(lines)
            n_skipped = sum(int(t["legacy_id"]) in skipped for t in lines)
            return {"read": len(lines), "migrated": len(lines) - n_skipped, "SKIPPED": n_skipped}

        assert summary["total"][entity] == counts(rows), entity
        for code, entities in summary["parties"].items():
            assert entities[entity] == counts(t for t in rows if t["party"] == code), (code, entity)
