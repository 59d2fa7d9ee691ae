"""The member partitions of a run: id ranges of the whole member table, or one per legacy partai_id.

A run that reads every party whole (the first run, `--full`, a changed party map) reads
t_anggota in spans: id ranges of about `Settings.partition_rows` rows each, cut evenly between
the table's smallest and largest id, every party's rows of a range together, each mapped by its
own partai_id (`Partition.party_of`). That is the primary-key order: a legacy party's rows are
spread over the whole table, and reading them party by party through `ix_anggota_partai` costs
MariaDB a random page access per row (2 M members, connectorx, 25,000-row pages, one thread:
23-31 s party by party, 5.4-6 s in id order here, with MariaDB's default 128 MB buffer pool).

An incremental run reads by party (its watermarks are per party): a party read whole there
with more than `partition_rows` rows is read as id ranges of it, cut the same way. The
partitions then share the cores (or a Dask cluster's workers) evenly whatever the parties'
sizes, and the largest run first. A range's checkpoints carry its bounds in their key
(`Partition.key`), so the cuts are fixed when a run starts and stored with it
(`migration_run.stats["id_cuts"]`): a resumed run reads the same ranges even if the source, or
`--partition-rows`, changed meanwhile.
"""

from __future__ import annotations

from .incremental import Watermarks, changed_rows
from .mappings import PartyMap
from .stage import Partition, party_of


def party_codes(parties: PartyMap, known_ids: set[int]) -> dict[int, str | None]:
    """Every m_partai id → its party code (None: not in the party map)."""
    mapped = {p.legacy_id: p.code for p in parties.parties}
    return {partai_id: mapped.get(partai_id) for partai_id in known_ids}


def by_party(codes: dict[int, str | None], counts: dict[int, tuple[int, int]],
             marks: Watermarks | None) -> list[Partition]:
    """One partition per legacy partai_id; incremental where the previous run mapped it the same."""
    from .legacy import t_anggota

    result = []
    for partai_id in counts:
        code, skip = party_of(codes, partai_id)
        key, changed = str(partai_id), None
        if marks is not None and marks.partitions.get(key) == (code or skip):
            changed = changed_rows(t_anggota, "updated_at", marks.member_max_id.get(key, 0), marks.member_updated)
        result.append(Partition(partai_id, code, skip, changed))
    return sorted(result, key=lambda p: -counts[p.partai_id][0])  # largest first


SPANS = "*"  # the key of the spans' cuts in `id_cuts`


def _points(low: int, high: int, rows: int, rows_per_partition: int) -> list[int]:
    """The ids after which a new range starts, cutting low..high evenly for `rows` rows."""
    parts = -(-rows // rows_per_partition)
    points = sorted({low - 1 + (high - low + 1) * i // parts for i in range(1, parts)})
    return [c for c in points if low <= c < high]


def id_cuts(partitions: list[Partition], counts: dict[int, tuple[int, int]],
            bounds: dict[int, tuple[int, int]], rows_per_partition: int) -> dict[str, list[int]]:
    """When every partition is read whole: {"*": the ids after which a new span starts}.
    Otherwise partai_id → the ids after which a new range starts, for each party read whole
    that has more than `rows_per_partition` rows (the others are not cut)."""
    if partitions and bounds and all(p.changed is None for p in partitions):
        rows = sum(counts[p.partai_id][0] for p in partitions)
        low, high = min(b[0] for b in bounds.values()), max(b[1] for b in bounds.values())
        return {SPANS: _points(low, high, rows, rows_per_partition)}
    cuts = {}
    for p in partitions:
        rows = counts[p.partai_id][0]
        if p.changed is not None or rows <= rows_per_partition or p.partai_id not in bounds:
            continue
        cuts[str(p.partai_id)] = _points(*bounds[p.partai_id], rows, rows_per_partition)
    return {key: points for key, points in cuts.items() if points}


def split(partitions: list[Partition], cuts: dict[str, list[int]], counts: dict[int, tuple[int, int]],
          parties: dict[int, str | None] | None = None) -> list[Partition]:
    """The partitions as `cuts` says (the first range from id 0, the last with no upper bound):
    the spans, every m_partai id in `parties` mapped to its party code; or each party in
    `cuts` replaced by its id ranges, largest first by the rows each is expected to hold."""
    if SPANS in cuts:
        points = cuts[SPANS]
        return [Partition(None, None, None, ids=(after, last), parties=dict(parties or {}))
                for after, last in zip([0, *points], [*points, None])]
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
