"""Declarative mapping data (`mappings/*.yaml`) loaded into strict models.

Every model rejects unknown keys; every problem becomes an `InputError` with a one-line message
naming the file and the problem. `Codes` also owns the spelling keys of FINDINGS.md (how a typed
value is compared with the lists) and compiles its lists once into lookup tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import InputError
from .model import (
    EVER_MARRIED,
    FEMALE,
    KABKOTA,
    KECAMATAN,
    MALE,
    NEVER_MARRIED,
    PROVINSI,
    PUSAT,
)

PARTY_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,19}")
ROLE_KETUA, ROLE_SEKRETARIS, ROLE_BENDAHARA = "KETUA", "SEKRETARIS", "BENDAHARA"
OFFICER_ROLES = (ROLE_KETUA, ROLE_SEKRETARIS, ROLE_BENDAHARA)

_LEVEL_DROP = re.compile(r"[\s/\-.]+")
_NON_ALNUM = re.compile(r"[\W_]+")


# --- spelling keys (FINDINGS.md says how each column is compared) -----------------------------


def gender_key(text: str) -> str:
    """jenis_kelamin: trimmed, upper-cased."""
    return text.strip().upper()


def collapsed_upper_key(text: str) -> str:
    """status_kawin and jabatan: trimmed, upper-cased, inner white space collapsed."""
    return " ".join(text.split()).upper()


def level_key(text: str) -> str:
    """tingkat: lower-cased with white space, '/', '-' and '.' removed."""
    return _LEVEL_DROP.sub("", text.lower())


def occupation_words(text: str) -> tuple[str, ...]:
    """pekerjaan: upper-cased, every non-alphanumeric character a space, split into words."""
    return tuple(_NON_ALNUM.sub(" ", text.upper()).split())


def office_status_key(text: str) -> str:
    """status_kantor: trimmed, lower-cased."""
    return text.strip().lower()


# --- strict models ----------------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Spellings = list[str]


class GenderCodes(Strict):
    male: Spellings
    female: Spellings


class MaritalCodes(Strict):
    never_married: Spellings
    ever_married: Spellings


class OccupationCodes(Strict):
    barred: Spellings
    exempt: Spellings


class UnitLevelCodes(Strict):
    pusat: Spellings
    provinsi: Spellings
    kabkota: Spellings
    kecamatan: Spellings


class OfficerRoleCodes(Strict):
    KETUA: Spellings
    SEKRETARIS: Spellings
    BENDAHARA: Spellings


@dataclass(slots=True)
class CodeTables:
    """The code lists compiled for lookups on the hot path, with per-raw-value memos."""

    gender: dict[str, str]
    marital: dict[str, str]
    barred_words: frozenset[str]
    barred_phrases: tuple[str, ...]  # ' A B ' padded, matched in ' '.join(words) padded
    exempt_words: frozenset[str]
    unit_level: dict[str, str]
    officer_role: dict[str, str]
    kta_missing_chars: str
    office_lease_statuses: frozenset[str]
    memo_gender: dict = field(default_factory=dict)
    memo_marital: dict = field(default_factory=dict)
    memo_unit_level: dict = field(default_factory=dict)
    memo_officer_role: dict = field(default_factory=dict)


def _spelling_table(groups: dict[str, list[str]], key, what: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for meaning, spellings in groups.items():
        if not spellings:
            raise ValueError(f"{what}.{meaning} is an empty list")
        for spelling in spellings:
            k = key(spelling)
            if not k:
                raise ValueError(f"{what}.{meaning} holds a blank spelling")
            if table.get(k, meaning) != meaning:
                raise ValueError(f"{what}: spelling {spelling!r} is listed under two meanings")
            table[k] = meaning
    return table


class Codes(Strict):
    gender: GenderCodes
    marital: MaritalCodes
    occupation: OccupationCodes
    unit_level: UnitLevelCodes
    officer_role: OfficerRoleCodes
    kta_missing_chars: str
    office_lease_statuses: Spellings

    @field_validator("kta_missing_chars")
    @classmethod
    def _no_alnum(cls, value: str) -> str:
        if not value or any(ch.isalpha() or ch.isspace() for ch in value):
            raise ValueError("kta_missing_chars must be non-empty punctuation or digits")
        return value

    @model_validator(mode="after")
    def _check_lists(self) -> Codes:
        self._compile()  # fails early: a bad list is an InputError at load
        return self

    @cached_property
    def tables(self) -> CodeTables:
        """The lists compiled for lookups (a plain attribute after the first use: hot path)."""
        return self._compile()

    def _compile(self) -> CodeTables:
        gender = _spelling_table(
            {MALE: self.gender.male, FEMALE: self.gender.female}, gender_key, "gender"
        )
        marital = _spelling_table(
            {NEVER_MARRIED: self.marital.never_married, EVER_MARRIED: self.marital.ever_married},
            collapsed_upper_key,
            "marital",
        )
        levels = _spelling_table(
            {
                PUSAT: self.unit_level.pusat,
                PROVINSI: self.unit_level.provinsi,
                KABKOTA: self.unit_level.kabkota,
                KECAMATAN: self.unit_level.kecamatan,
            },
            level_key,
            "unit_level",
        )
        roles = _spelling_table(self.officer_role.model_dump(), collapsed_upper_key, "officer_role")
        barred = [occupation_words(s) for s in self.occupation.barred]
        exempt = [occupation_words(s) for s in self.occupation.exempt]
        if not barred or not all(barred) or not exempt or any(len(w) != 1 for w in exempt):
            raise ValueError("occupation: barred entries must be non-blank, exempt single words")
        return CodeTables(
            gender=gender,
            marital=marital,
            barred_words=frozenset(w[0] for w in barred if len(w) == 1),
            barred_phrases=tuple(" " + " ".join(w) + " " for w in barred if len(w) > 1),
            exempt_words=frozenset(w[0] for w in exempt),
            unit_level=levels,
            officer_role=roles,
            kta_missing_chars=self.kta_missing_chars,
            office_lease_statuses=frozenset(
                office_status_key(s) for s in self.office_lease_statuses
            ),
        )


class ColumnSpec(Strict):
    field: str
    target: str | None = None


class EntityColumns(Strict):
    source: str
    target: str | None = None
    columns: dict[str, ColumnSpec]
    derived: list[str] = []

    @field_validator("columns")
    @classmethod
    def _not_empty(cls, value: dict) -> dict:
        if not value:
            raise ValueError("columns is empty")
        return value

    def target_columns(self) -> list[str]:
        return [c.target for c in self.columns.values() if c.target] + list(self.derived)


class ColumnMap(Strict):
    member: EntityColumns
    unit: EntityColumns
    officer: EntityColumns
    upload_ktp: EntityColumns
    upload_kta: EntityColumns
    party: EntityColumns
    region: EntityColumns

    def entities(self) -> dict[str, EntityColumns]:
        return {name: getattr(self, name) for name in type(self).model_fields}

    def source_columns(self, entity: str) -> list[str]:
        """The legacy columns to read for an entity, in the file's order."""
        return list(self.entities()[entity].columns)

    def check_source(self, reflected: dict[str, set[str]]) -> None:
        """Raise InputError naming every legacy table or column the mapping needs but lacks."""
        problems = []
        for spec in self.entities().values():
            problems += _missing(reflected, spec.source, list(spec.columns), "legacy")
        if problems:
            raise InputError("; ".join(problems))

    def check_target(self, reflected: dict[str, set[str]]) -> None:
        """Raise InputError naming every target table or column the mapping writes but lacks."""
        problems = []
        for spec in self.entities().values():
            if spec.target:
                problems += _missing(reflected, spec.target, spec.target_columns(), "target")
        if problems:
            raise InputError("; ".join(problems))


def _missing(
    reflected: dict[str, set[str]], table: str, columns: list[str], side: str
) -> list[str]:
    if table not in reflected:
        return [f"{side} table {table} is missing"]
    have = {c.lower() for c in reflected[table]}
    lacking = [c for c in columns if c.lower() not in have]
    if not lacking:
        return []
    noun = "column" if len(lacking) == 1 else "columns"
    return [f"{side} table {table} lacks {noun} {', '.join(lacking)}"]


class Party(Strict):
    legacy_id: StrictInt
    code: str
    name: str

    @field_validator("legacy_id")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("legacy_id must be a positive integer")
        return value

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not PARTY_CODE.fullmatch(value):
            raise ValueError(f"code {value!r} is not [A-Z][A-Z0-9_]{{1,19}}")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name is blank")
        return value.strip()


class PartyMap(Strict):
    parties: list[Party]

    @field_validator("parties")
    @classmethod
    def _unique(cls, value: list[Party]) -> list[Party]:
        if not value:
            raise ValueError("parties is an empty list")
        for attr in ("legacy_id", "code"):
            seen: set = set()
            for party in value:
                key = getattr(party, attr)
                if key in seen:
                    raise ValueError(f"duplicate {attr} {key}")
                seen.add(key)
        return value

    def by_legacy_id(self) -> dict[int, Party]:
        return {p.legacy_id: p for p in self.parties}

    def code_of(self, legacy_id: int) -> str | None:
        party = self.by_legacy_id().get(legacy_id)
        return party.code if party else None


# --- loading ----------------------------------------------------------------------------------


def _read_yaml(path: Path | str, what: str) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{what} {path}: cannot read: {type(exc).__name__}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{what} {path}: not valid YAML{where}") from None


def _one_line(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
    loc = loc or "top level"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{loc}: {msg}{more}".replace("\n", " ")


def _load(model: type[Strict], path: Path | str, what: str):
    data = _read_yaml(path, what)
    if not isinstance(data, dict):
        raise InputError(f"{what} {path}: expected a mapping at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{what} {path}: {_one_line(exc)}") from None


def load_codes(path: Path | str) -> Codes:
    return _load(Codes, path, "code lists")


def load_column_map(path: Path | str) -> ColumnMap:
    return _load(ColumnMap, path, "column map")


def load_party_map(path: Path | str) -> PartyMap:
    return _load(PartyMap, path, "party map")
