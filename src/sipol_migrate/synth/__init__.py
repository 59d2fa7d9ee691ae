"""Synthetic legacy Sipol data with a truth recorded by construction.

`synthesize` writes a legacy database in the schema of `legacy_sipol_2017.sql` (MariaDB or
SQLite), plants the known data problems of LEGACY.md at configurable rates, and writes

- the truth file (JSON lines, docs/ARCHITECTURE.md "Truth files"): one line per t_anggota row
  with its expected outcome and findings, known from what was planted, never from the rules;
  then one line per t_kepengurusan, t_pengurus and m_partai row with their management findings
  (units.py plants them, structure.py computes their truth from the generator's own records);
- the party map (INTERFACE.md format) of the parties that asked for migration;
- the 2022 region list that the run must be given (`--regions`).

Streaming: member rows are generated and written batch by batch; memory does not grow with
`members`. The same seed gives the same rows and a byte-identical truth file.
"""

from __future__ import annotations

import itertools
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .catalog import PlantRates
from .dice import Dice
from .geography import SAMPLE_2022, Geography
from .members import ANGGOTA_COLUMNS, UPLOAD_COLUMNS, Context, MemberFactory
from .names import NameBook
from .nik import NikAllocator
from .parties import party_rows, write_party_map
from .schema import column_names
from .stream import MemberStream
from .structure import StructureTruth, plant_populations
from .unit_rows import officer_rows, unit_rows
from .units import OFFICER_COLUMNS, UNIT_COLUMNS, UnitBuilder
from .writers import BackgroundWriter, open_target

__all__ = ["PlantRates", "SynthSummary", "synthesize"]
BATCH = 20_000


@dataclass
class SynthSummary:
    members: int
    seed: int
    tables: dict[str, int] = field(default_factory=dict)  # rows written per table
    parties: dict[str, int] = field(default_factory=dict)  # member rows per party code
    plants: dict[str, int] = field(default_factory=dict)  # planted problems (and negatives)
    variants: dict[str, int] = field(default_factory=dict)  # plant/variant counts
    findings: dict[str, int] = field(default_factory=dict)  # expected member findings per code
    structure_findings: dict[str, int] = field(default_factory=dict)  # units, officers, parties
    outcomes: dict[str, int] = field(default_factory=dict)  # expected outcomes
    duplicate_nik_groups: int = 0  # planted groups of rows sharing one valid NIK
    orphan_uploads: int = 0  # uploads whose member does not exist
    seconds: float = 0.0
    members_per_second: float = 0.0
    truth_path: Path | None = None
    party_map_path: Path | None = None
    regions_path: Path | None = None

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("truth_path", "party_map_path", "regions_path"):
            data[key] = str(data[key]) if data[key] else None
        return data


def synthesize(target_url: str, truth_path: Path, members: int = 20000, seed: int = 2017,
               regions_2017: Path | None = None, regions_2022: Path | None = None,
               party_map_out: Path | None = None, regions_out: Path | None = None,
               rates: PlantRates | None = None,
               progress: Callable[[int], None] | None = None) -> SynthSummary:
    """Write a synthetic legacy database to target_url and its truth to truth_path."""
    started = time.perf_counter()
    rates = rates or PlantRates()
    rates.validate()
    if members < 0:
        raise ValueError("members must be >= 0")
    truth_path = Path(truth_path)
    summary = SynthSummary(members=members, seed=seed, truth_path=truth_path,
                           party_map_path=Path(party_map_out or truth_path.parent / "parties.yaml"),
                           regions_path=Path(regions_out or truth_path.parent / "regions-2022.csv"))
    geo = Geography.load(regions_2017, regions_2022)
    names = NameBook()
    units = UnitBuilder(geo, Dice(f"{seed}:units")).build()
    allocator = NikAllocator(members + units.officer_count)
    target = open_target(target_url)
    target.reset_schema()
    writer = BackgroundWriter(target)
    try:
        _write_reference(writer, summary, geo, units, names, allocator, seed)
        context = Context(geo, names, allocator, units, Dice(f"{seed}:members"), rates.old_rows)
        stream = MemberStream(MemberFactory(context), rates, members)
        _write_members(writer, summary, stream, progress)
        _write_structure(writer, summary, geo, units, stream, seed)
        writer.finish()
        target.add_indexes()
    finally:
        writer.finish()
        target.close()
    write_party_map(summary.party_map_path)
    summary.regions_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(regions_2022 or SAMPLE_2022, summary.regions_path)
    _finish(summary, stream, started)
    return summary


def _chunks(rows: Iterable[tuple], size: int = BATCH) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _submit(writer: BackgroundWriter, summary: SynthSummary, table: str, rows: Iterable[tuple]) -> None:
    columns = column_names(table)
    for chunk in _chunks(rows):
        writer.submit(table, columns, chunk)
        summary.tables[table] = summary.tables.get(table, 0) + len(chunk)
    summary.tables.setdefault(table, 0)


def _write_reference(writer, summary, geo, units, names, allocator, seed) -> None:
    _submit(writer, summary, "m_partai", party_rows())
    _submit(writer, summary, "t_kepengurusan", unit_rows(units, names, Dice(f"{seed}:offices")))
    officers = officer_rows(units, geo, names, allocator, summary.members, Dice(f"{seed}:officers"))
    _submit(writer, summary, "t_pengurus", officers)
    assert column_names("t_kepengurusan") == UNIT_COLUMNS and column_names("t_pengurus") == OFFICER_COLUMNS


def _write_members(writer, summary, stream: MemberStream, progress) -> None:
    assert column_names("t_anggota") == ANGGOTA_COLUMNS and column_names("t_upload_ktp") == UPLOAD_COLUMNS
    summary.truth_path.parent.mkdir(parents=True, exist_ok=True)
    counts = {"t_anggota": 0, "t_upload_ktp": 0, "t_upload_kta": 0}
    with open(summary.truth_path, "w", encoding="utf-8", newline="\n") as truth:
        for batch in stream.batches(BATCH):
            writer.submit("t_anggota", ANGGOTA_COLUMNS, batch.members)
            writer.submit("t_upload_ktp", UPLOAD_COLUMNS, batch.ktp)
            writer.submit("t_upload_kta", UPLOAD_COLUMNS, batch.kta)
            truth.write("\n".join(batch.truth) + "\n")
            counts["t_anggota"] += len(batch.members)
            counts["t_upload_ktp"] += len(batch.ktp)
            counts["t_upload_kta"] += len(batch.kta)
            if progress:
                progress(counts["t_anggota"])
    summary.tables.update(counts)


def _write_structure(writer, summary, geo, units, stream: MemberStream, seed) -> None:
    """m_wilayah last (its populations plant the membership minimum on the members written), then
    the truth of every unit, officer and party, appended to the members' truth."""
    domiciled = stream.tally.domiciled
    populations = plant_populations(geo.populations(Dice(f"{seed}:population")),
                                    list(geo.domiciles.kabkota), domiciled, Dice(f"{seed}:population-plants"))
    regions = ((r.code, r.name, r.level, r.parent, populations.get(r.code)) for r in geo.old.regions)
    _submit(writer, summary, "m_wilayah", regions)
    truth = StructureTruth(units, geo, populations, domiciled)
    with open(summary.truth_path, "a", encoding="utf-8", newline="\n") as handle:
        for line in truth.lines():
            handle.write(line + "\n")
    summary.structure_findings = dict(sorted(truth.tally.items()))


def _finish(summary: SynthSummary, stream: MemberStream, started: float) -> None:
    tally = stream.tally
    summary.parties = dict(sorted(tally.parties.items()))
    summary.plants = dict(sorted(tally.plants.items()))
    summary.variants = dict(sorted(tally.variants.items()))
    summary.findings = dict(sorted(tally.findings.items()))
    summary.outcomes = dict(sorted(tally.outcomes.items()))
    summary.duplicate_nik_groups = tally.duplicate_groups
    summary.orphan_uploads = tally.orphan_uploads
    summary.seconds = round(time.perf_counter() - started, 3)
    summary.members_per_second = round(summary.members / summary.seconds) if summary.seconds else 0.0
