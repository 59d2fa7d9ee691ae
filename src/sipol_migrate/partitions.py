"""The member partitions of a run: one per legacy partai_id, a large party's rows in id ranges.

A party read whole (not incrementally) with more than `Settings.partition_rows` rows is read as
id ranges of about that many rows each, cut evenly between its smallest and largest id: the
partitions then share the cores (or a Dask cluster's workers) evenly whatever the parties'
sizes, and the largest run first. A range's checkpoints carry its bounds in their key
(`Partition.key`), so the cuts are fixed when a run starts and stored with it
(`migration_run.stats["id_cuts"]`): a resumed run reads the same ranges even if the source, or
`--partition-rows`, changed meanwhile.
"""

from __future__ import annotations

from .incremental import Watermarks, changed_rows
from .mappings import PartyMap
from .stage import SKIPPED_ORPHAN, SKIPPED_PARTY_UNMAPPED, Partition


def by_party(parties: PartyMap, known_ids: set[int], counts: dict[int, tuple[int, int]],
             marks: Watermarks | None) -> list[Partition]:
    """One partition per legacy partai_id; incremental where the previous run mapped it the same."""
    from .legacy import t_anggota

    mapped = {p.legacy_id: p.code for p in parties.parties}
    result = []
    for partai_id in counts:
        code = mapped.get(partai_id) if partai_id in known_ids else None
        skip = None if code else (SKIPPED_ORPHAN if partai_id not in known_ids else SKIPPED_PARTY_UNMAPPED)
        key, changed = str(partai_id), None
        if marks is not None and marks.partitions.get(key) == (code or skip):
            changed = changed_rows(t_anggota, "updated_at", marks.member_max_id.get(key, 0), marks.member_updated)
        result.append(Partition(partai_id, code, skip, changed))
    return sorted(result, key=lambda p: -counts[p.partai_id][0])  # largest first


def id_cuts(partitions: list[Partition], counts: dict[int, tuple[int, int]],
            bounds: dict[int, tuple[int, int]], rows_per_partition: int) -> dict[str, list[int]]:
    """partai_id → the ids after which a new range starts, for each party read whole that has
    more than `rows_per_partition` rows (the others are not cut)."""
    cuts = {}
    for p in partitions:
        rows = counts[p.partai_id][0]
        if p.changed is not None or rows <= rows_per_partition or p.partai_id not in bounds:
            continue
        low, high = bounds[p.partai_id]
        parts = -(-rows // rows_per_partition)
        points = sorted({low - 1 + (high - low + 1) * i // parts for i in range(1, parts)})
        cuts[str(p.partai_id)] = [c for c in points if low <= c < high]
    return {key: points for key, points in cuts.items() if points}


def split(partitions: list[Partition], cuts: dict[str, list[int]],
          counts: dict[int, tuple[int, int]]) -> list[Partition]:
    """The partitions with each party in `cuts` replaced by its id ranges (the first from id 0,
    the last with no upper bound), largest first by the rows each is expected to hold."""
    result = []
    for p in partitions:
        points = cuts.get(str(p.partai_id))
        if not points:
            result.append((counts[p.partai_id][0], p))
            continue
        share = counts[p.partai_id][0] / (len(points) + 1)
        for after, last in zip([0, *points], [*points, None]):
            result.append((share, Partition(p.partai_id, p.party_code, p.skip_code, p.changed, (after, last))))
    return [p for _, p in sorted(result, key=lambda pair: -pair[0])]
