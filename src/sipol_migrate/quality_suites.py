"""The quality suites and the finding catalogue as `checks/*.yaml` declare them, the results of
their expectations, and the plan that binds a run to them (quality.py runs it with Great
Expectations).

A suite file names SQL query assets over the run's staging tables (with `$run_id` and
`$reference_date` placeholders) and the expectations on them; `plan` expands the per-party
ones over the ledger's parties and fills the kwargs taken from the ledger or the catalogue.
"""

from __future__ import annotations

import re
import string
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import InputError
from .settings import CHECKS_DIR

PARTY_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{1,19}$")


# --------------------------------------------------------------------------- suite files


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


KwargSource = Literal[
    "ledger.read", "ledger.migrated", "ledger.parties_read", "catalogue.codes",
    "catalogue.statuses", "catalogue.entities", "catalogue.code_statuses", "catalogue.code_entities",
]
_TEMPLATE_FIELDS = {"run_id", "reference_date"}


class AssetSpec(_Strict):
    description: str
    query: str = Field(min_length=7)
    materialize: bool = False  # the gate computes the query once into a table (`_materialised`)
    id_column: str | None = "legacy_id"  # identifies failing rows in results; never personal

    @model_validator(mode="after")
    def _check_query(self):
        if not self.query.lstrip().upper().startswith("SELECT"):
            raise ValueError("query must start with SELECT")
        names = {m.group("named") or m.group("braced")
                 for m in string.Template.pattern.finditer(self.query) if m.group("escaped") is None}
        names.discard(None)
        unknown = names - _TEMPLATE_FIELDS
        if unknown:
            raise ValueError(f"unknown placeholder(s) {sorted(unknown)}; use {sorted(_TEMPLATE_FIELDS)}")
        return self


class ExpectationSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{2,60}$")
    asset: str
    severity: Literal["critical", "warning"]
    type: str = Field(pattern=r"^expect_[a-z0-9_]+$")
    kwargs: dict[str, Any] = {}
    kwargs_from: dict[str, KwargSource] = {}
    for_each_party: bool = False  # one expectation per ledger party, on that party's rows
    party_column: str = "party_code"
    description: str

    @property
    def class_name(self) -> str:
        return "".join(part.capitalize() for part in self.type.split("_"))


class SuiteSpec(_Strict):
    suite: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    description: str
    assets: dict[str, AssetSpec]
    expectations: list[ExpectationSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_references(self):
        names = [e.name for e in self.expectations]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate:
            raise ValueError(f"expectation {duplicate} is declared twice")
        for exp in self.expectations:
            if exp.asset not in self.assets:
                raise ValueError(f"expectation {exp.name}: unknown asset {exp.asset}")
            if set(exp.kwargs) & set(exp.kwargs_from):
                raise ValueError(f"expectation {exp.name}: a kwarg is both given and taken from elsewhere")
        return self


class CatalogueEntry(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]+$")
    status: str
    entities: list[str] = Field(min_length=1)
    kpu_only: bool = False
    rule: str


class Catalogue(_Strict):
    statuses: list[str]
    entities: list[str]
    findings: list[CatalogueEntry]

    @model_validator(mode="after")
    def _check(self):
        codes = [f.code for f in self.findings]
        duplicate = next((c for c in codes if codes.count(c) > 1), None)
        if duplicate:
            raise ValueError(f"code {duplicate} is listed twice")
        for entry in self.findings:
            if entry.status not in self.statuses:
                raise ValueError(f"{entry.code}: status {entry.status} is not in statuses")
            if not set(entry.entities) <= set(self.entities):
                raise ValueError(f"{entry.code}: unknown entity in {entry.entities}")
        return self

    def values(self, key: str) -> list[str]:
        return {
            "codes": lambda: [f.code for f in self.findings],
            "statuses": lambda: list(self.statuses),
            "entities": lambda: list(self.entities),
            "code_statuses": lambda: [f"{f.code}:{f.status}" for f in self.findings],
            "code_entities": lambda: [f"{f.code}:{e}" for f in self.findings for e in f.entities],
        }[key]()


def _read_yaml(path: Path, model: type[BaseModel]):
    try:
        return model.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path.name}: not valid YAML ({str(exc).splitlines()[0]})") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "top level"
        raise InputError(f"{path.name}: {where}: {error['msg']}") from None


def load_catalogue(checks_dir: Path = CHECKS_DIR) -> Catalogue:
    return _read_yaml(checks_dir / "catalogue.yaml", Catalogue)


def load_suites(checks_dir: Path = CHECKS_DIR) -> list[SuiteSpec]:
    """Every suite file of `checks_dir` (all *.yaml but the catalogue), in name order."""
    paths = sorted(p for p in checks_dir.glob("*.yaml") if p.name != "catalogue.yaml")
    if not paths:
        raise InputError(f"no quality suites in {checks_dir}")
    suites = [_read_yaml(p, SuiteSpec) for p in paths]
    names = [s.suite for s in suites]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise InputError(f"quality suite {duplicate} is declared in two files")
    return suites


# --------------------------------------------------------------------------- results


@dataclass
class ExpectationResult:
    suite: str
    expectation: str  # the YAML name; per-party expectations get ".CODE"
    asset: str
    severity: str
    success: bool
    party_code: str | None = None
    element_count: int | None = None
    unexpected_count: int | None = None
    observed_value: int | None = None
    expected_value: int | None = None
    failing_keys: list = field(default_factory=list)
    error: str | None = None

    @property
    def qualified_name(self) -> str:
        return f"{self.suite}.{self.expectation}"

    def describe(self) -> str:
        """One line, counts and ids only."""
        if self.error:
            return f"{self.qualified_name} could not run ({self.error})"
        if self.expected_value is not None:
            observed = "no" if self.observed_value is None else self.observed_value
            return f"{self.qualified_name}: {observed} rows counted, {self.expected_value} expected"
        if self.unexpected_count is not None:
            rows = "row" if self.unexpected_count == 1 else "rows"
            ids = ""
            if self.failing_keys:
                shown = ", ".join(str(k) for k in self.failing_keys[:5])
                ids = f" (e.g. {shown}{', …' if self.unexpected_count > 5 else ''})"
            return f"{self.qualified_name} broken by {self.unexpected_count} {rows}{ids}"
        return f"{self.qualified_name} failed (observed {self.observed_value})"


@dataclass
class GateReport:
    run_id: str
    results: list[ExpectationResult]
    seconds: float
    data_docs_index: Path | None = None

    @property
    def critical_failures(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.success and r.severity == "critical"]

    @property
    def warnings(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.success and r.severity == "warning"]

    @property
    def success(self) -> bool:
        return not self.critical_failures

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id, "success": self.success, "seconds": round(self.seconds, 2),
            "expectations": len(self.results),
            "critical_failures": [r.describe() for r in self.critical_failures],
            "warnings": [r.describe() for r in self.warnings],
            "data_docs": str(self.data_docs_index) if self.data_docs_index else None,
            "results": [asdict(r) for r in self.results],
        }


# --------------------------------------------------------------------------- the gate


@dataclass(frozen=True)
class PlannedExpectation:
    """One expectation bound to one concrete asset (per-party assets are expanded)."""

    suite: SuiteSpec
    spec: ExpectationSpec
    asset_name: str  # GX asset name: "<suite>.<asset>[.<PARTY>]"
    party_code: str | None
    kwargs: dict


def _fill_kwargs(spec: ExpectationSpec, party: str | None, ledger: dict, catalogue: Catalogue) -> dict:
    kwargs = dict(spec.kwargs)
    counts = ledger["parties"][party] if party else ledger["total"]
    for key, source in spec.kwargs_from.items():
        kind, _, name = source.partition(".")
        if name == "parties_read":
            kwargs[key] = sorted(code for code, c in ledger["parties"].items() if int(c["read"]) > 0)
        elif kind == "ledger":
            kwargs[key] = int(counts["read"]) if name == "read" else int(counts["MS"]) + int(counts["BMS"])
        else:
            kwargs[key] = catalogue.values(name)
    return kwargs


def plan(suites: list[SuiteSpec], catalogue: Catalogue, run_id: str, ledger: dict,
         reference_date: date) -> tuple[dict[str, tuple[AssetSpec, str]], list[PlannedExpectation]]:
    """Concrete asset queries (name → (spec, SQL)) and the expectations bound to them."""
    if not isinstance(ledger, dict) or "total" not in ledger or "parties" not in ledger:
        raise InputError("quality gate: the ledger needs 'parties' and 'total'")
    parties = sorted(ledger["parties"])
    for code in parties:
        if not PARTY_CODE_PATTERN.match(code):
            raise InputError(f"quality gate: party code {code!r} is not [A-Z][A-Z0-9_]{{1,19}}")
    values = {"run_id": run_id, "reference_date": reference_date.isoformat()}
    assets: dict[str, tuple[AssetSpec, str]] = {}
    planned: list[PlannedExpectation] = []
    for suite in suites:
        for asset_key, asset in suite.assets.items():
            name = f"{suite.suite}.{asset_key}"
            assets[name] = (asset, string.Template(asset.query).substitute(values))
        for spec in suite.expectations:
            for party in (parties if spec.for_each_party else [None]):
                planned.append(PlannedExpectation(suite, spec, f"{suite.suite}.{spec.asset}", party,
                                                  _fill_kwargs(spec, party, ledger, catalogue)))
    return assets, planned
