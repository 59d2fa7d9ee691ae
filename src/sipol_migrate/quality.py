"""The quality gate: Great Expectations suites, declared in `checks/*.yaml`, on a staged run.

The gate runs after the set rules and the ledger and before publishing (ARCHITECTURE.md, publish
model step 5). Each suite file (read and planned by `quality_suites.py`) names SQL query assets
over the run's staging tables and the expectations on them; GX pushes every metric down to the
target database (PostgreSQL or SQLite), so nothing but counts and a few ids travel back. A
failing *critical* expectation raises `QualityGateFailed`, and the run is not published; failing
*warnings* are only reported.

Privacy: the asset queries never select a NIK, a name or a birth date. Checks on those columns
are computed in the database as 0/1 flags (`CASE WHEN … THEN 1 ELSE 0 END`), so validation
results, Data Docs, the stored `quality_result` rows and error messages hold counts, flags,
codes and legacy ids only. Result format SUMMARY returns at most `FAILING_KEYS` failing ids.

GX runs in an ephemeral (in-memory) context: no `gx/` folder is written anywhere; Data Docs go
to the directory the caller gives (the CLI uses `OUT/_kpu/data-docs/`). GX is imported lazily,
because importing it takes seconds.
"""

from __future__ import annotations

import json
import logging
import re
import time
import warnings
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import (
    BigInteger, Boolean, Column, Connection, DateTime, Engine, String, Table, Text, delete, inspect, select,
)

from . import load
from .errors import InputError, SipolError
from .log import get_logger, mask_text
from .quality_suites import ExpectationResult, GateReport, PlannedExpectation, load_catalogue, load_suites, plan
from .schema import RUN_ID, metadata, migration_run
from .settings import CHECKS_DIR

log = get_logger(__name__)

RUN_ID_PATTERN = re.compile(r"^[a-z0-9T-]{1,40}$")
FAILING_KEYS = 20  # failing ids kept per expectation (legacy ids or region codes, never personal data)
DEFAULT_REFERENCE_DATE = date(2022, 8, 1)

# One row per expectation per run: what the gate found (counts and ids only).
quality_result = Table(
    "quality_result", metadata,
    Column("run_id", RUN_ID, primary_key=True),
    Column("suite", String(40), primary_key=True),
    Column("expectation", String(120), primary_key=True),
    Column("asset", String(80), nullable=False),
    Column("party_code", String(20)),
    Column("severity", String(8), nullable=False),
    Column("success", Boolean, nullable=False),
    Column("element_count", BigInteger),
    Column("unexpected_count", BigInteger),
    Column("observed_value", BigInteger),
    Column("expected_value", BigInteger),
    Column("failing_keys", Text),  # JSON list, at most FAILING_KEYS ids
    Column("error", Text),
    Column("checked_at", DateTime, nullable=False),
)


class QualityGateFailed(SipolError):
    """A critical expectation failed on the staged run; the run must not be published.

    `report` is the whole GateReport; `results` its per-expectation results.
    """

    exit_code = 4

    def __init__(self, message: str, report: "GateReport"):
        super().__init__(message)
        self.report = report
        self.results = report.results


@contextmanager
def _quiet():
    """GX's own logging and warnings stay out of the run's output while the gate runs."""
    gx_logger = logging.getLogger("great_expectations")
    previous = gx_logger.level
    gx_logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        gx_logger.setLevel(previous)


def _context(data_docs_dir: Path | None):
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig, InMemoryStoreBackendDefaults, ProgressBarsConfig,
    )

    sites = {}
    if data_docs_dir is not None:
        sites["kpu"] = {
            "class_name": "SiteBuilder", "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(Path(data_docs_dir).resolve())},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(), analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        data_docs_sites=sites)
    return gx.get_context(mode="ephemeral", project_config=config)


# The gate's own PostgreSQL sessions: no JIT (its compile time exceeds the gain on these
# queries) and enough memory for the hash joins and aggregates of the flag queries.
PG_SESSION_OPTIONS = "-c jit=off -c work_mem=256MB"


def _add_datasource(context, target: Engine, name: str):
    url = target.url.render_as_string(hide_password=False)
    dialect = target.dialect.name
    if dialect == "postgresql":
        return context.data_sources.add_postgres(
            name, connection_string=url, kwargs={"connect_args": {"options": PG_SESSION_OPTIONS}})
    if dialect == "sqlite":
        if not target.url.database or target.url.database == ":memory:":
            raise InputError("quality gate: an in-memory SQLite target cannot be checked; use a file")
        return context.data_sources.add_sqlite(name, connection_string=url)
    raise InputError(f"quality gate: the target must be PostgreSQL or SQLite, not {dialect}")


def _build_expectation(item: PlannedExpectation):
    import great_expectations as gx

    cls = getattr(gx.expectations, item.spec.class_name, None)
    if cls is None:
        raise InputError(f"{item.suite.suite}.yaml: {item.spec.name}: unknown GX expectation {item.spec.type}")
    name = _item_name(item)
    extra = {}
    if item.party_code:
        from great_expectations.expectations.row_conditions import Column as GxColumn

        extra["row_condition"] = GxColumn(item.spec.party_column) == item.party_code
    try:
        return cls(**item.kwargs, **extra, severity=item.spec.severity,
                   description=f"{name}: {item.spec.description}",
                   meta={"sipol_name": name, "suite": item.suite.suite, "asset": item.asset_name,
                         "party_code": item.party_code})
    except Exception as exc:  # pydantic errors of GX: bad kwargs in the YAML
        first = str(exc).splitlines()[0][:160]
        raise InputError(f"{item.suite.suite}.yaml: {item.spec.name}: invalid kwargs ({first})") from None


# Phase 1 asks GX for counts only (no value lists: on millions of rows every extra list is a
# scan); phase 2 re-runs just the failing expectations to name up to FAILING_KEYS failing ids.
_COUNTS_ONLY = {"result_format": "BASIC", "partial_unexpected_count": 0, "include_unexpected_rows": False}


def _failing_ids_format(id_column: str) -> dict:
    return {"result_format": "SUMMARY", "partial_unexpected_count": FAILING_KEYS,
            "include_unexpected_rows": False, "unexpected_index_column_names": [id_column]}


def _exception_message(info: dict) -> str | None:
    """First line of the first exception GX caught (its info is flat, or keyed by metric)."""
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for entry in entries:
        if entry.get("raised_exception") or entry.get("exception_message"):
            message = (entry.get("exception_message") or "error").strip().splitlines() or ["error"]
            return mask_text(message[0])[:200]
    return None


def _convert(evr) -> ExpectationResult:
    config = evr.expectation_config
    meta = config.meta or {}
    result = evr.result or {}
    error = _exception_message(evr.exception_info or {})
    observed = _count(result.get("observed_value"))
    expected = _count(config.kwargs.get("value")) if config.type == "expect_table_row_count_to_equal" else None
    low, high = _count(config.kwargs.get("min_value")), _count(config.kwargs.get("max_value"))
    if expected is None and low is not None and low == high:
        expected = low  # a count compared with an exact value (the ledger's)
    return ExpectationResult(
        suite=meta["suite"], expectation=meta["sipol_name"], asset=meta["asset"],
        severity=str(getattr(config.severity, "value", config.severity)),
        success=bool(evr.success) and error is None, party_code=meta.get("party_code"),
        element_count=result.get("element_count"), unexpected_count=result.get("unexpected_count"),
        observed_value=observed, expected_value=expected, error=error)


def _count(value) -> int | None:
    """A whole number GX reports or was given (GX turns ints into floats), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    return int(value) if value == int(value) else None


def _add_failing_ids(evr, result: ExpectationResult, id_column: str) -> None:
    found = evr.result or {}
    result.failing_keys = [row.get(id_column) for row in found.get("partial_unexpected_index_list") or []
                           ][:FAILING_KEYS]
    values = found.get("partial_unexpected_list") or []
    if result.expected_value is not None and result.observed_value is None and len(values) == 1:
        result.observed_value = _count(values[0])  # the count that differs from the ledger


def _run(context, name: str, definitions: list, result_format: dict, gx_run_id) -> list:
    import great_expectations as gx

    checkpoint = context.checkpoints.add(gx.Checkpoint(
        name=name, validation_definitions=definitions, actions=[], result_format=result_format))
    outcome = checkpoint.run(run_id=gx_run_id)
    return [evr for suite_result in outcome.run_results.values() for evr in suite_result.results]


def _materialised(target: Engine, asset_name: str, run_id: str, query: str) -> str:
    """The asset's query computed once into a table of its own (unlogged on PostgreSQL, where
    the SELECT may run on parallel workers); both the gate's passes read that table."""
    name = (_table_prefix(run_id) + re.sub(r"[^a-z0-9]", "_", asset_name.lower()))[:63]
    with target.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        load.bulk_session(conn)  # work_mem for the flag query's joins and aggregates
        if postgres:
            conn.exec_driver_sql("SET LOCAL jit = off")
        conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE {"UNLOGGED " if postgres else ""}TABLE "{name}" AS {query}')
    return name


def _table_prefix(run_id: str) -> str:
    return "gx_" + re.sub(r"[^a-z0-9]", "_", run_id.lower()) + "_"


def drop_run_tables(conn: Connection, run_id: str) -> None:
    """Drop the asset tables a gate of `run_id` left behind (killed before it could)."""
    prefix = _table_prefix(run_id)
    for name in inspect(conn).get_table_names():
        if name.startswith(prefix):
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')


def _validate(target: Engine, assets: dict, planned: list[PlannedExpectation], data_docs_dir: Path | None,
              run_id: str) -> list[ExpectationResult]:
    import great_expectations as gx

    context = _context(data_docs_dir)
    gx_run_id = _gx_run_id(run_id)
    source = _add_datasource(context, target, "target_sql")
    batches, definitions = {}, []
    try:
        for asset_name, (spec, query) in assets.items():
            items = [p for p in planned if p.asset_name == asset_name]
            if not items:
                continue
            if spec.materialize:
                table = _materialised(target, asset_name, run_id, query)
                asset = source.add_table_asset(asset_name, table_name=table)
            else:
                asset = source.add_query_asset(asset_name, query=query)
            batch = asset.add_batch_definition_whole_table("run")
            batches[asset_name] = batch
            suite = context.suites.add(gx.ExpectationSuite(name=asset_name))
            for item in items:
                suite.add_expectation(_build_expectation(item))
            definitions.append(context.validation_definitions.add(
                gx.ValidationDefinition(name=asset_name, data=batch, suite=suite)))
        evrs = _run(context, "gate", definitions, _COUNTS_ONLY, gx_run_id)
        results = [_convert(evr) for evr in evrs]
        _name_failing_rows(context, assets, planned, batches, results, gx_run_id)
        if data_docs_dir is not None:
            # Once at the end: GX's UpdateDataDocsAction rebuilds the whole site per validation.
            context.build_data_docs(site_names=["kpu"])
        return results
    finally:
        try:
            source.get_engine().dispose()
        except Exception:  # pragma: no cover - disposal is best effort
            pass
        with target.begin() as conn:
            drop_run_tables(conn, run_id)


def _name_failing_rows(context, assets: dict, planned: list[PlannedExpectation], batches: dict,
                       results: list[ExpectationResult], gx_run_id) -> None:
    """Phase 2: re-run only the failed row-level expectations, asking for failing ids."""
    import great_expectations as gx

    failed = {(r.asset, r.expectation): r for r in results
              if not r.success and not r.error and r.unexpected_count and assets[r.asset][0].id_column}
    by_id_column: dict[str, list] = {}
    for asset_name in sorted({asset for asset, _ in failed}):
        items = [p for p in planned if p.asset_name == asset_name and (asset_name, _item_name(p)) in failed]
        suite = context.suites.add(gx.ExpectationSuite(name=f"{asset_name}.failing"))
        for item in items:
            suite.add_expectation(_build_expectation(item))
        id_column = assets[asset_name][0].id_column
        by_id_column.setdefault(id_column, []).append(context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{asset_name}.failing", data=batches[asset_name], suite=suite)))
    for i, (id_column, definitions) in enumerate(by_id_column.items()):
        for evr in _run(context, f"failing-{i}", definitions, _failing_ids_format(id_column), gx_run_id):
            meta = evr.expectation_config.meta or {}
            target = failed.get((meta.get("asset"), meta.get("sipol_name")))
            if target is not None:
                _add_failing_ids(evr, target, id_column)


def _item_name(item: PlannedExpectation) -> str:
    return item.spec.name + (f".{item.party_code}" if item.party_code else "")


def _gx_run_id(run_id: str):
    from great_expectations.core.run_identifier import RunIdentifier

    return RunIdentifier(run_name=run_id, run_time=datetime.now(timezone.utc))


def _reference_date(target: Engine, run_id: str) -> date:
    with target.connect() as conn:
        raw = conn.execute(select(migration_run.c.settings).where(migration_run.c.run_id == run_id)).scalar()
    try:
        return date.fromisoformat(json.loads(raw)["reference_date"]) if raw else DEFAULT_REFERENCE_DATE
    except (ValueError, KeyError, TypeError):
        return DEFAULT_REFERENCE_DATE


def store_results(target: Engine, run_id: str, results: list[ExpectationResult]) -> None:
    """Replace the run's rows in `quality_result` (a re-run gate of a resumed run overwrites)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    quality_result.create(target, checkfirst=True)
    rows = [{
        "run_id": run_id, "suite": r.suite, "expectation": r.expectation, "asset": r.asset,
        "party_code": r.party_code, "severity": r.severity, "success": r.success,
        "element_count": r.element_count, "unexpected_count": r.unexpected_count,
        "observed_value": r.observed_value, "expected_value": r.expected_value,
        "failing_keys": json.dumps(r.failing_keys) if r.failing_keys else None,
        "error": r.error, "checked_at": now,
    } for r in results]
    with target.begin() as conn:
        conn.execute(delete(quality_result).where(quality_result.c.run_id == run_id))
        if rows:
            conn.execute(quality_result.insert(), rows)


def run_gate(target: Engine, run_id: str, ledger: dict, data_docs_dir: Path | None = None, *,
             checks_dir: Path = CHECKS_DIR, reference_date: date | None = None,
             results_json: Path | None = None) -> GateReport:
    """Validate the staged rows of `run_id`; raise QualityGateFailed on a critical failure.

    `ledger` is `pipeline.finish_staging`'s ledger ({'parties': {CODE: {read, MS, BMS, …}},
    'total': {…}}); its counts become expectation kwargs. Results are stored in
    `quality_result` (and in `results_json` when given) before the verdict.
    """
    if not RUN_ID_PATTERN.match(run_id or ""):
        raise InputError(f"quality gate: run id {run_id!r} is not of the form [a-z0-9T-]")
    started = time.perf_counter()
    catalogue, suites = load_catalogue(checks_dir), load_suites(checks_dir)
    if data_docs_dir is not None:
        Path(data_docs_dir).mkdir(parents=True, exist_ok=True)
    try:
        reference = reference_date or _reference_date(target, run_id)
        assets, planned = plan(suites, catalogue, run_id, ledger, reference)
        with _quiet():
            results = _validate(target, assets, planned, data_docs_dir, run_id)
    except (SipolError, OSError):  # an OSError is the output disk (the caller says so)
        raise
    except Exception as exc:  # fail closed: a gate that cannot run does not let the run publish
        reason = mask_text(str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else "")[:200]
        report = GateReport(run_id, [], time.perf_counter() - started)
        raise QualityGateFailed(f"quality gate could not run: {type(exc).__name__}: {reason}",
                                report) from None
    index = Path(data_docs_dir).resolve() / "index.html" if data_docs_dir else None
    report = GateReport(run_id, results, time.perf_counter() - started,
                        index if index and index.exists() else None)
    store_results(target, run_id, results)
    if results_json is not None:
        results_json.parent.mkdir(parents=True, exist_ok=True)
        results_json.write_text(json.dumps(report.to_dict(), indent=2, default=str), encoding="utf-8")
    log.info("quality gate", run_id=run_id, expectations=len(results), seconds=round(report.seconds, 1),
             critical_failures=len(report.critical_failures), warnings=len(report.warnings))
    if report.critical_failures:
        named = [r.describe() for r in report.critical_failures[:3]]
        others = len(report.critical_failures) - len(named)
        more = f"; and {others} more critical expectation(s)" if others else ""
        raise QualityGateFailed(f"quality gate failed: {'; '.join(named)}{more}", report)
    return report
