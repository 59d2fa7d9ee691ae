"""Planted duplicates: one person on several member rows, and the truth those rows get.

Which copy a party keeps depends on the copies' `updated_at` and ids, and whether a NIK is
duplicated across parties depends on which kept copies are TMS; both are known only once the
whole group exists. `resolve` is the small independent computation of FINDINGS.md's two
duplicate rules over the generator's own rows (never over database values).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from . import spellings as sp
from .catalog import STATUS
from .members import MemberFactory, MemberRow
from .parties import MAPPED, ORPHAN_PARTY_IDS, UNMAPPED, Party
from .plants import PLANT_FUNCTIONS

ZERO_DATETIME = "0000-00-00 00:00:00"
# Plants a copy may carry on its own (they touch nothing that identifies the person).
COPY_PLANTS = ("kta_missing", "no_ktp_upload", "no_kta_upload", "name_double_encoded",
               "occupation_lookalike", "multiple_uploads", "name_messy_spaces", "region_padded")
COPY_STYLES = ("plain", "plain", "plain", "spaces", "dots", "apostrophe", "dashes", "outer_spaces")

IN_PARTY_VARIANTS = ("latest_wins", "null_is_oldest", "zero_is_oldest", "tie_keeps_highest_id",
                     "all_missing_keeps_highest_id", "kept_is_tms", "deleted_copy", "three_copies")
ACROSS_VARIANTS = ("two_parties", "three_parties", "one_side_tms", "one_side_unmapped",
                   "one_side_deleted", "one_side_orphan", "with_copy_in_party", "kept_tms_in_party",
                   "three_parties_one_tms")


def skip_code(row: MemberRow) -> str | None:
    """The skip code of a row, first that applies (orphan, unmapped party, deleted)."""
    if row.party is None:
        return "SKIPPED_ORPHAN"
    if not row.party.mapped:
        return "SKIPPED_PARTY_UNMAPPED"
    if row.is_deleted:
        return "SKIPPED_DELETED"
    return None


def _updated_key(row: MemberRow) -> tuple:
    value = row.updated_at
    missing = value is None or value == ZERO_DATETIME
    return (0, "", row.id) if missing else (1, value, row.id)


def kept_copies(rows: list[MemberRow]) -> dict[int, MemberRow]:
    """Party id → the copy it keeps among its non-skipped rows (latest updated_at, then id)."""
    groups: dict[int, list[MemberRow]] = defaultdict(list)
    for row in rows:
        if skip_code(row) is None:
            groups[row.party_id].append(row)
    return {party: max(group, key=_updated_key) for party, group in groups.items()}


def resolve(rows: list[MemberRow]) -> dict[int, list[tuple[str, str | None]]]:
    """Row id → expected findings for rows sharing one valid NIK."""
    result: dict[int, list[tuple[str, str | None]]] = {}
    kept = kept_copies(rows)
    for row in rows:
        code = skip_code(row)
        if code:
            result[row.id] = [(code, None)]
        elif kept[row.party_id] is not row:
            result[row.id] = [("NIK_DUPLICATE_IN_PARTY", f"kept={kept[row.party_id].id}")]
        else:
            result[row.id] = list(row.findings)
    not_tms = [row for row in kept.values()
               if all(STATUS[code] != "TMS" for code, _ in result[row.id])]
    if len({row.party_id for row in not_tms}) >= 2:
        for row in not_tms:
            result[row.id].append(("NIK_DUPLICATE_ACROSS_PARTIES", None))
    return result


class ClusterBuilder:
    """Builds the rows of one planted duplicate group at indexes given by the caller."""

    def __init__(self, factory: MemberFactory):
        self.factory, self.rng = factory, factory.ctx.rng

    def copy_of(self, leader: MemberRow, index: int, party: Party | None, party_id: int) -> MemberRow:
        leader.nik_fixed = leader.nik_digits()  # the person's NIK; later plants must not move it
        row = self.factory.clean(index, party, party_id)
        row.female, row.nik_female, row.birth = leader.female, leader.female, leader.birth
        row.gender_raw = self.rng.pick(sp.GENDER_FEMALE if row.female else sp.GENDER_MALE)
        row.nik_fixed = leader.nik_digits()
        row.nik_style = self.rng.pick(COPY_STYLES)
        row.name = leader.name if self.rng.random() < 0.8 else leader.name.upper()
        row.marital_raw, row.occupation = leader.marital_raw, leader.occupation
        self.factory.set_domicile(row, leader.domicile)
        return row

    def plant(self, row: MemberRow, name: str) -> None:
        PLANT_FUNCTIONS[name](row, self.factory)
        row.plants.append(name)

    def maybe_own_problem(self, row: MemberRow) -> None:
        if self.rng.random() < 0.3:
            self.plant(row, self.rng.pick(COPY_PLANTS))

    def stamp_in_order(self, rows: list[MemberRow]) -> None:
        """Distinct updated_at values in random order."""
        base = date(2018, 1, 10) + timedelta(days=self.rng.between(0, 150))
        days = self.rng.sample(range(1, 60), len(rows))
        for row, offset in zip(rows, days):
            row.updated_at = f"{(base + timedelta(days=offset)).isoformat()} 10:{offset:02d}:00"

    def in_party(self, leader: MemberRow, indexes: list[int], variant: str) -> list[MemberRow]:
        rows = [leader] + [self.copy_of(leader, i, leader.party, leader.party_id) for i in indexes]
        self.stamp_in_order(rows)
        if variant in ("null_is_oldest", "zero_is_oldest"):
            rows[-1].updated_at = None if variant == "null_is_oldest" else ZERO_DATETIME
        elif variant == "tie_keeps_highest_id":
            for row in rows[1:]:
                row.updated_at = rows[0].updated_at
        elif variant == "all_missing_keeps_highest_id":
            for row in rows:
                row.updated_at = self.rng.pick((None, ZERO_DATETIME))
        elif variant == "deleted_copy":
            latest = max(rows, key=lambda r: r.updated_at)
            latest.is_deleted = 1  # a deleted copy takes no part, however recent
        for row in rows:
            self.maybe_own_problem(row)
        if variant == "kept_is_tms":
            self.plant(kept_copies(rows)[leader.party_id], "barred_occupation")
        return rows

    def across(self, leader: MemberRow, indexes: list[int], variant: str) -> list[MemberRow]:
        others = [p for p in MAPPED if p.legacy_id != leader.party_id]
        self.rng.shuffle(others)
        rows = [leader]
        for position, index in enumerate(indexes):
            party = others[position]
            if position == 0 and variant == "one_side_unmapped":
                party = UNMAPPED[0]
            if position == len(indexes) - 1 and variant in ("with_copy_in_party", "kept_tms_in_party"):
                party = leader.party
            if position == 0 and variant == "one_side_orphan":
                rows.append(self.copy_of(leader, index, None, self.rng.pick(ORPHAN_PARTY_IDS)))
                continue
            rows.append(self.copy_of(leader, index, party, party.legacy_id))
        for row in rows:
            self.maybe_own_problem(row)
        if variant == "one_side_deleted":
            rows[1].is_deleted = 1
        if variant in ("one_side_tms", "three_parties_one_tms"):
            self.plant(rows[1], "barred_occupation")
        if variant == "kept_tms_in_party":
            self.plant(kept_copies(rows)[leader.party_id], "barred_occupation")
        return rows

    @staticmethod
    def copies_needed(kind: str, variant: str) -> int:
        """How many rows besides the leader a variant needs."""
        if kind == "dup_in_party":
            return 2 if variant in ("three_copies", "deleted_copy") else 1
        if kind == "dup_across_parties":
            return 2 if variant.startswith("three") or variant in ("with_copy_in_party", "kept_tms_in_party") else 1
        return 1
