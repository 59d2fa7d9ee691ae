"""Member partitions: spans of the whole table, or a large party cut into id ranges, that hold every id once."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import given, settings, strategies as st

from sipol_migrate.partitions import id_cuts, split
from sipol_migrate.stage import SKIPPED_ORPHAN, SKIPPED_PARTY_UNMAPPED, Partition

BIG, SMALL, CHANGED = Partition(3, "PDIP", None), Partition(8, "PKS", None), Partition(1, "PKB", None, sa.true())


def _holder(ranges: list[Partition], member_id: int) -> list[str]:
    return [p.key for p in ranges if p.ids[0] < member_id and (p.ids[1] is None or member_id <= p.ids[1])]


def test_only_large_parties_read_whole_are_cut():
    counts = {3: (1000, 0), 8: (300, 0), 1: (5000, 0)}
    bounds = {3: (1, 5000), 8: (7, 900), 1: (1, 9000)}
    cuts = id_cuts([BIG, SMALL, CHANGED], counts, bounds, 300)
    assert cuts == {"3": [1250, 2500, 3750]}
    parts = split([BIG, SMALL, CHANGED], cuts, counts)
    assert [p.key for p in parts] == ["1", "8", "3:0-1250", "3:1250-2500", "3:2500-3750", "3:3750-"]
    assert {p.label for p in parts} == {"PDIP", "PKS", "PKB"}
    assert all(p.changed is not None for p in parts if p.partai_id == 1)


@settings(deadline=None)
@given(low=st.integers(1, 10**9), span=st.integers(0, 10**6), rows_per=st.integers(1000, 50_000),
       share=st.floats(0.001, 1.0), whole=st.booleans())
def test_the_ranges_hold_every_id_once(low, span, rows_per, share, whole):
    high = low + span
    rows = max(1, int((span + 1) * share))
    counts, bounds = {3: (rows, 0), 1: (0, 0)}, {3: (low, high)}
    partitions = [BIG] if whole else [BIG, CHANGED]  # a changed party: read by party
    parts = [p for p in split(partitions, id_cuts(partitions, counts, bounds, rows_per), counts, {3: "PDIP"})
             if p.partai_id != 1]
    assert len(parts) <= -(-rows // rows_per)
    assert all((p.partai_id is None) == whole for p in parts)
    if len(parts) == 1:
        assert parts[0].ids == ((0, None) if whole else None)
        return
    assert len({p.key for p in parts}) == len(parts)
    for member_id in {low, high, low + span // 2, high + 1, *(p.ids[0] for p in parts[1:]),
                      *(p.ids[0] + 1 for p in parts)}:
        assert len(_holder(parts, member_id)) == 1, member_id


def test_a_run_reading_every_party_whole_reads_spans_of_the_table():
    counts = {3: (1000, 0), 8: (300, 0), 13: (20, 0)}
    bounds = {3: (1, 5000), 8: (7, 900), 13: (4000, 6000)}
    whole = [BIG, SMALL, Partition(13, None, SKIPPED_ORPHAN)]
    cuts = id_cuts(whole, counts, bounds, 500)
    assert cuts == {"*": [2000, 4000]}  # 1,320 rows between ids 1 and 6,000
    spans = split(whole, cuts, counts, {3: "PDIP", 8: "PKS", 9: None})
    assert [p.key for p in spans] == ["*:0-2000", "*:2000-4000", "*:4000-"]
    assert {p.label for p in spans} == {"semua partai"}
    span = spans[0]
    assert [span.party_of(pid) for pid in (3, 8, 9, 13)] == [
        ("PDIP", None), ("PKS", None), (None, SKIPPED_PARTY_UNMAPPED), (None, SKIPPED_ORPHAN)]
    assert id_cuts(whole, counts, bounds, 10_000) == {"*": []}  # one span: still in id order
    assert split(whole, {"*": []}, counts, {})[0].ids == (0, None)
