"""The catalogue of finding codes in Bahasa Indonesia (`reports/kode_temuan.yaml`).

Every report reads the meaning of a code and what the party must do from here. A code missing
from the file still renders (its code stands in for its title), so a new rule never breaks a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ..settings import REPORTS_DIR

CATALOGUE_FILE = REPORTS_DIR / "kode_temuan.yaml"
_FIELDS = {"judul", "status", "arti", "tindakan"}
NO_ACTION = "Tidak perlu tindakan."


@dataclass(frozen=True, slots=True)
class CodeText:
    code: str
    judul: str
    status: str
    arti: str
    tindakan: str

    @property
    def actionable(self) -> bool:
        return bool(self.tindakan) and not self.tindakan.startswith(("Tidak perlu", "Hanya untuk KPU"))


class Catalogue:
    def __init__(self, entries: dict[str, CodeText]):
        self.entries = entries

    def get(self, code: str) -> CodeText:
        found = self.entries.get(code)
        if found is None:
            return CodeText(code, code, "", "", "")
        return found

    def actions(self, codes: list[str]) -> str:
        """The actions of a record's codes as one cell: distinct, in the codes' order."""
        seen: list[str] = []
        for code in codes:
            text = self.get(code)
            if text.actionable and text.tindakan not in seen:
                seen.append(text.tindakan)
        return " • ".join(seen) if seen else NO_ACTION

    def as_json(self, codes) -> dict[str, dict]:
        return {c: {"judul": self.get(c).judul, "status": self.get(c).status} for c in codes}


def parse_catalogue(raw: dict) -> Catalogue:
    entries = {}
    for code, body in (raw or {}).items():
        unknown = set(body) - _FIELDS
        if unknown:
            raise ValueError(f"kode_temuan: {code} has unknown keys {sorted(unknown)}")
        entries[code] = CodeText(code, " ".join(body["judul"].split()), body["status"],
                                 " ".join(body["arti"].split()), " ".join(body.get("tindakan", "").split()))
    return Catalogue(entries)


@lru_cache(maxsize=4)
def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    with open(path, encoding="utf-8") as handle:
        return parse_catalogue(yaml.safe_load(handle))
