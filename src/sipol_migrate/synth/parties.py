"""The parties of the synthetic legacy database and the party map written beside it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True, slots=True)
class Party:
    legacy_id: int  # m_partai.id (here the 2019 ballot number)
    code: str  # the party's code in the new Sipol
    name: str
    short: str  # m_partai.singkatan
    mapped: bool  # asked for the migration (in the party map)
    weight: float  # share of the mapped parties' members


PARTIES = (
    Party(1, "PKB", "Partai Kebangkitan Bangsa", "PKB", True, 0.16),
    Party(2, "GERINDRA", "Partai Gerakan Indonesia Raya", "Gerindra", True, 0.22),
    Party(3, "PDIP", "Partai Demokrasi Indonesia Perjuangan", "PDI Perjuangan", True, 0.25),
    Party(4, "GOLKAR", "Partai Golongan Karya", "Golkar", True, 0.22),
    Party(5, "NASDEM", "Partai NasDem", "NasDem", False, 0.0),
    Party(8, "PKS", "Partai Keadilan Sejahtera", "PKS", True, 0.15),
)
MAPPED = tuple(p for p in PARTIES if p.mapped)
UNMAPPED = tuple(p for p in PARTIES if not p.mapped)
# partai_id values of member rows that name no row of m_partai (SKIPPED_ORPHAN).
ORPHAN_PARTY_IDS = (6, 13, 99)
BY_ID = {p.legacy_id: p for p in PARTIES}


def party_rows() -> list[tuple]:
    """m_partai rows: id, nama_partai, singkatan, no_urut, alamat_dpp, email, created_at."""
    return [(p.legacy_id, p.name, p.short, p.legacy_id,
             f"Jl. Pemuda No. {10 + p.legacy_id}, Jakarta Pusat",
             f"dpp@{p.code.lower()}.example", f"2017-10-{2 + p.legacy_id:02d} 09:00:00")
            for p in PARTIES]


def write_party_map(path: Path) -> None:
    """The party map of INTERFACE.md: the mapped parties with their code and name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"parties": [{"legacy_id": p.legacy_id, "code": p.code, "name": p.name}
                            for p in MAPPED]}
    header = ("# Parties that asked for the migration (written by sipol-migrate synth).\n"
              f"# Not mapped: {', '.join(f'{p.code} (legacy_id {p.legacy_id})' for p in UNMAPPED)}.\n")
    path.write_text(header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
