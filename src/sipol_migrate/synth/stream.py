"""The member stream: one row per index, planted as the rates say, with its truth.

Rows are produced in id order and never held all at once: a planted duplicate group reserves
a few indexes shortly ahead, and only those pending rows wait in memory.
"""

from __future__ import annotations

import bisect
import itertools
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from .catalog import PLANT_BY_NAME, PLANT_ORDER, STATUS, Plant, PlantRates, outcome_of
from .clusters import ACROSS_VARIANTS, IN_PARTY_VARIANTS, ClusterBuilder, resolve, skip_code
from .members import CLOCK, MemberFactory, MemberRow, gap_ids, member_id
from .parties import MAPPED, ORPHAN_PARTY_IDS, UNMAPPED
from .plants import PLANT_FUNCTIONS

LOOKAHEAD = 300  # how far ahead a duplicate group may place its copies
NOISE_EXCLUDED = {"unit", "region"}  # plants that need the row's own party units
CLEAN_LINE = '{"entity": "anggota", "legacy_id": %d, "party": %s, "outcome": "MS", "findings": []}'


@dataclass
class Batch:
    members: list[tuple] = field(default_factory=list)
    ktp: list[tuple] = field(default_factory=list)
    kta: list[tuple] = field(default_factory=list)
    truth: list[str] = field(default_factory=list)


@dataclass
class Tally:
    plants: Counter = field(default_factory=Counter)
    variants: Counter = field(default_factory=Counter)
    findings: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    parties: Counter = field(default_factory=Counter)
    duplicate_groups: int = 0
    orphan_uploads: int = 0
    # (party code, kab/kota of a valid domicile, outcome) of the MS and BMS members (for the
    # membership minimum of the units' truth, structure.py)
    domiciled: Counter = field(default_factory=Counter)


class MemberStream:
    def __init__(self, factory: MemberFactory, rates: PlantRates, members: int):
        self.factory, self.rng, self.members = factory, factory.ctx.rng, members
        self.clusters = ClusterBuilder(factory)
        self.tally = Tally()
        self.pending: dict[int, tuple[MemberRow, list]] = {}
        self.rates = rates
        main = [(PLANT_BY_NAME[name], rate) for name, rate in rates.main_rates().items() if rate > 0]
        self._main = [plant for plant, _ in main]
        self._bounds = list(itertools.accumulate(rate for _, rate in main))
        self._combinable = [(p, r) for p, r in main if p.kind == "single"]
        self._party_weights = list(itertools.accumulate(p.weight for p in MAPPED))
        self._upload_ids = {"ktp": 0, "kta": 0}
        self._gaps = gap_ids(members - 1) if members else range(0)
        self._beyond = member_id(max(members - 1, 0)) + 1

    # -- drawing ---------------------------------------------------------------------------
    def _draw_main(self) -> Plant | None:
        position = bisect.bisect_right(self._bounds, self.rng.random())
        return self._main[position] if position < len(self._main) else None

    def _mapped_party(self):
        draw = self.rng.random() * self._party_weights[-1]
        return MAPPED[bisect.bisect_right(self._party_weights, draw)]

    def _extras(self, taken: set[str], count: int, excluded: set[str] = frozenset()) -> list[Plant]:
        chosen: list[Plant] = []
        if not self._combinable:
            return chosen
        plants, weights = zip(*self._combinable)
        for _ in range(count * 4):
            if len(chosen) == count:
                break
            plant = self.rng.choices(plants, weights)[0]
            if not (plant.groups & taken or plant.groups & excluded):
                chosen.append(plant)
                taken |= plant.groups
        return chosen

    def _apply(self, row: MemberRow, plants: list[Plant]) -> None:
        plants = sorted(plants, key=lambda p: PLANT_ORDER[p.name])
        for plant in plants:
            row.groups |= plant.groups
        for plant in plants:
            variant = PLANT_FUNCTIONS[plant.name](row, self.factory)
            row.plants.append(plant.name)
            self.tally.plants[plant.name] += 1
            self.tally.variants[f"{plant.name}/{variant}"] += 1

    # -- rows ------------------------------------------------------------------------------
    def _single(self, index: int, plant: Plant | None) -> MemberRow:
        party = self._mapped_party()
        row = self.factory.clean(index, party, party.legacy_id)
        plants = [plant] if plant else []
        if plant and self.rng.random() < self.rates.extra_problems:
            plants += self._extras(set(plant.groups), self.rng.between(1, 2))
            self.tally.plants["(rows with several plants)"] += len(plants) > 1
        self._apply(row, plants)
        return row

    def _skipped(self, index: int, plant: Plant) -> MemberRow:
        if plant.name == "orphan_party":
            party, party_id = None, self.rng.pick(ORPHAN_PARTY_IDS)
        else:
            party = UNMAPPED[0] if plant.name == "unmapped_party" else self._mapped_party()
            party_id = party.legacy_id
        row = self.factory.clean(index, party, party_id)
        row.is_deleted = 1 if plant.name == "deleted" or self.rng.random() < 0.15 else 0
        self.tally.plants[plant.name] += 1
        self.tally.variants[f"{plant.name}/{'deleted' if row.is_deleted else 'active'}"] += 1
        if self.rng.random() < 0.4:  # noise that must not show: a skipped row gets one finding
            self._apply(row, self._extras(set(), 1, NOISE_EXCLUDED))
        return row

    def _free_indexes(self, index: int, count: int) -> list[int] | None:
        last = min(self.members - 1, index + LOOKAHEAD)
        free = [i for i in range(index + 1, last + 1) if i not in self.pending]
        if len(free) < count:
            return None
        return sorted(self.rng.sample(free[: count * 20], count))

    def _cluster(self, index: int, plant: Plant) -> list[MemberRow] | None:
        variants = {"dup_in_party": IN_PARTY_VARIANTS, "dup_across_parties": ACROSS_VARIANTS,
                    "dup_invalid_nik": ("same_invalid_nik_twice",)}[plant.name]
        variant = self.rng.pick(variants)
        indexes = self._free_indexes(index, ClusterBuilder.copies_needed(plant.name, variant))
        if indexes is None:
            return None
        party = self._mapped_party()
        leader = self.factory.clean(index, party, party.legacy_id)
        if plant.name == "dup_in_party":
            rows = self.clusters.in_party(leader, indexes, variant)
        elif plant.name == "dup_across_parties":
            rows = self.clusters.across(leader, indexes, variant)
        else:
            self._apply(leader, [PLANT_BY_NAME["nik_zero_serial"]])
            copy = self.clusters.copy_of(leader, indexes[0], party, party.legacy_id)
            copy.findings.append(("NIK_INVALID_STRUCTURE", None))
            rows = [leader, copy]
        self.tally.plants[plant.name] += 1
        self.tally.variants[f"{plant.name}/{variant}"] += 1
        return rows

    def _fresh(self, index: int) -> list[tuple[MemberRow, list]]:
        plant = self._draw_main()
        if plant is not None and plant.kind == "cluster":
            rows = self._cluster(index, plant)
            if rows is not None:
                findings = resolve(rows) if plant.name != "dup_invalid_nik" else \
                    {row.id: row.findings for row in rows}
                self.tally.duplicate_groups += plant.name != "dup_invalid_nik"
                for row in rows[1:]:
                    self.pending[row.index] = (row, findings[row.id])
                return [(rows[0], findings[rows[0].id])]
            plant = None
        if plant is not None and plant.kind == "skip":
            row = self._skipped(index, plant)
        else:
            row = self._single(index, plant)
        code = skip_code(row)
        return [(row, [(code, None)] if code else row.findings)]

    def rows(self) -> Iterator[tuple[MemberRow, list]]:
        for index in range(self.members):
            if index in self.pending:
                yield self.pending.pop(index)
            else:
                yield from self._fresh(index)

    # -- output ----------------------------------------------------------------------------
    def batches(self, size: int) -> Iterator[Batch]:
        batch = Batch()
        for row, findings in self.rows():
            batch.members.append(row.values())
            self._uploads(row, batch)
            batch.truth.append(self._truth_line(row, findings))
            if len(batch.members) >= size:
                yield batch
                batch = Batch()
        if batch.members:
            yield batch

    def _truth_line(self, row: MemberRow, findings: list) -> str:
        party = row.party.code if row.party is not None and row.party.mapped else None
        ordered = sorted(set(findings), key=lambda f: (f[0], f[1] or ""))
        outcome = outcome_of([code for code, _ in ordered])
        tally = self.tally
        tally.outcomes[outcome] += 1
        tally.parties[party or (f"unmapped:{row.party.code}" if row.party else f"orphan:{row.party_id}")] += 1
        if party and outcome in ("MS", "BMS") and all(code != "REGION_UNKNOWN" for code, _ in ordered):
            tally.domiciled[(party, row.domicile[:5], outcome)] += 1
        if not ordered:  # the common case, formatted exactly as json.dumps would
            return CLEAN_LINE % (row.id, json.dumps(party))
        tally.findings.update(code for code, _ in ordered)
        return json.dumps({"entity": "anggota", "legacy_id": row.id, "party": party,
                           "outcome": outcome,
                           "findings": [[code, STATUS[code], detail] for code, detail in ordered]})

    def _uploads(self, row: MemberRow, batch: Batch) -> None:
        rng = self.rng
        for kind, count, target in (("ktp", row.ktp_uploads, batch.ktp), ("kta", row.kta_uploads, batch.kta)):
            for number in range(count):
                if number == 0:
                    stamp = row.created_at  # scanned while the row was entered
                elif rng.random() < 0.1:
                    stamp = None
                else:
                    stamp = CLOCK.stamp(row.created_day + rng.between(0, 30), rng)
                target.append(self._upload(kind, row.id, row.party_id, number, stamp))
        if rng.random() < self.rates.orphan_uploads:
            kind = rng.pick(("ktp", "kta"))
            ghost = rng.pick(self._gaps) if self._gaps and rng.random() < 0.7 \
                else self._beyond + rng.between(0, 10_000)  # an id no member row has
            (batch.ktp if kind == "ktp" else batch.kta).append(
                self._upload(kind, ghost, row.party_id, 0, row.created_at))
            self.tally.orphan_uploads += 1

    def _upload(self, kind: str, member: int, party_id: int, number: int, stamp: str | None) -> tuple:
        self._upload_ids[kind] += 1
        path = f"uploads/{kind}/{party_id}/{member // 1000:04d}/{member}_{number + 1}.jpg"
        return (self._upload_ids[kind], member, path, self.rng.between(40_000, 2_500_000), stamp)
