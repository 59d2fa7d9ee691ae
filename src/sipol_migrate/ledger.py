"""The ledger: every legacy row read ends in exactly one outcome, proved per party in SQL.

Read counts and id checksums (count and sum of ids per legacy partai_id) are computed on both
sides — in the source by `extract.member_counts_by_party`, in the target on the staged run — and
must agree; then read = MS + BMS + TMS + MERGED + SKIPPED per party and in total.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, and_, case, func, select

from .errors import LedgerError
from .mappings import PartyMap
from .model import MIGRATED_OUTCOMES, OUTCOMES
from .schema import content_hash, member, stg_member


def _empty() -> dict:
    return {"read": 0, **{outcome: 0 for outcome in OUTCOMES}}


def staged_counts(target: Engine, run_id: str) -> dict[int, dict]:
    """Per legacy partai_id: rows staged, sum of their ids, and rows per outcome (None = undecided)."""
    m = stg_member
    query = (select(m.c.partai_id, m.c.outcome, func.count(), func.sum(m.c.legacy_id))
             .where(m.c.run_id == run_id).group_by(m.c.partai_id, m.c.outcome))
    counts: dict[int, dict] = {}
    with target.connect() as conn:
        for partai_id, outcome, n, id_sum in conn.execute(query):
            entry = counts.setdefault(int(partai_id), {"rows": 0, "id_sum": 0, "outcomes": {}})
            entry["rows"] += int(n)
            entry["id_sum"] += int(id_sum or 0)
            entry["outcomes"][outcome] = int(n)
    return counts


def member_ledger(staged: dict[int, dict], parties: PartyMap) -> dict:
    """{'parties': {CODE: {read, MS, …}}, 'total': {read, MS, …}} from the staged counts."""
    by_code = {p.legacy_id: p.code for p in parties.parties}
    result = {"parties": {p.code: _empty() for p in parties.parties}, "total": _empty()}
    for partai_id, entry in staged.items():
        targets = [result["total"]]
        if partai_id in by_code:
            targets.append(result["parties"][by_code[partai_id]])
        for ledger in targets:
            ledger["read"] += entry["rows"]
            for outcome, n in entry["outcomes"].items():
                if outcome in ledger:
                    ledger[outcome] += n
    return result


def verify_members(staged: dict[int, dict], source: dict[int, tuple[int, int]], ledger: dict) -> None:
    """Raise LedgerError unless the staged run accounts for every source row exactly once."""
    for partai_id in sorted(set(staged) | set(source)):
        rows, id_sum = source.get(partai_id, (0, 0))
        entry = staged.get(partai_id, {"rows": 0, "id_sum": 0, "outcomes": {}})
        if (entry["rows"], entry["id_sum"]) != (rows, id_sum):
            raise LedgerError(
                f"ledger: legacy partai_id {partai_id} has {rows} member rows in the source but "
                f"{entry['rows']} were staged (id checksum {'equal' if entry['id_sum'] == id_sum else 'differs'})")
        if None in entry["outcomes"]:
            raise LedgerError(f"ledger: {entry['outcomes'][None]} member rows of legacy partai_id "
                              f"{partai_id} have no outcome")
    for name, counts in [*ledger["parties"].items(), ("total", ledger["total"])]:
        if counts["read"] != sum(counts[o] for o in OUTCOMES):
            raise LedgerError(f"ledger: {name} read {counts['read']} member rows but "
                              f"{sum(counts[o] for o in OUTCOMES)} have an outcome")


def reconcile_members(conn: Connection, run_id: str) -> dict:
    """After the upsert, per party: the expected member rows (the mapping applied to the source:
    staged MS + BMS) against the rows actually in `member`, by legacy id and content hash.

    Party-edited rows are counted as such, not as differences. Raises LedgerError when an
    expected row is missing or an unedited row differs from what the migration computed.
    """
    s, m = stg_member, member
    edited = content_hash(m) != m.c.migrated_hash
    query = (select(s.c.party_code, func.count(s.c.legacy_id), func.count(m.c.legacy_id),
                    func.sum(case((edited, 1), else_=0)),
                    func.sum(case((and_(~edited, m.c.migrated_hash != content_hash(s)), 1), else_=0)))
             .select_from(s.outerjoin(m, m.c.legacy_id == s.c.legacy_id))
             .where(s.c.run_id == run_id, s.c.outcome.in_(MIGRATED_OUTCOMES)).group_by(s.c.party_code))
    result = {}
    for code, expected, present, party_edited, differing in conn.execute(query):
        result[code] = {"expected": int(expected), "present": int(present),
                        "party_edited": int(party_edited or 0), "differing": int(differing or 0)}
        if present != expected or differing:
            raise LedgerError(f"reconciliation: party {code} expects {expected} member rows, "
                              f"{present} are present and {differing or 0} differ from the migration")
    return result
