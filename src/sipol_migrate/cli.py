"""The `sipol-migrate` console script: run, reconcile, scan, synth.

Inputs are checked here before Prefect starts, so a bad URL or file fails in a second with a
one-line reason. Database URLs reach the flow through the process environment, never as flow
parameters (Prefect stores those).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from . import log, memory
from .errors import SipolError
from .settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Migrate legacy Sipol 2017 data into the new Sipol, check it, and report to every party.")
console = Console(stderr=True)

_PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    # Prefect's own console lines (and its tracebacks) stay off the terminal; they still reach
    # the Prefect API, masked (log.mask_prefect_handlers). The CLI prints one line on failure.
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}


for _key, _value in _PREFECT_DEFAULTS.items():  # before prefect is first imported
    os.environ.setdefault(_key, _value)


def fail(message: str, code: int = 2) -> None:
    """Print a one-line reason (masked) and exit non-zero."""
    print(f"sipol-migrate: error: {log.mask_text(message.splitlines()[0] if message else 'failed')}",
          file=sys.stderr)
    raise typer.Exit(code)


def build_settings(**options) -> Settings:
    values = {k: v for k, v in options.items() if v is not None}
    try:
        return Settings(**values)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "--" + str(error["loc"][0]).replace("_", "-") if error["loc"] else "settings"
        fail(f"invalid {name}: {error['msg']}")


def _progress_hook(progress, tasks: dict):
    def advance(label: str, rows: int) -> None:
        if label not in tasks:
            tasks[label] = progress.add_task(f"anggota {label}", total=None)
        progress.advance(tasks[label], rows)
    return advance


def _print_ledger(summary: dict) -> None:
    table = Table(title=f"Ledger of run {summary['run_id']} (t_anggota)")
    keys = ["read", "MS", "BMS", "TMS", "MERGED", "SKIPPED"]
    table.add_column("party")
    for key in keys:
        table.add_column(key, justify="right")
    for code, entities in summary["parties"].items():
        table.add_row(code, *[f"{entities['anggota'][k]:,}" for k in keys])
    table.add_row("TOTAL", *[f"{summary['total']['anggota'][k]:,}" for k in keys], style="bold")
    Console().print(table)
    if "kepengurusan" in summary["total"]:
        _print_structure_ledger(summary)


def _print_structure_ledger(summary: dict) -> None:
    table = Table(title="Ledger of units (t_kepengurusan) and officers (t_pengurus)")
    keys = ["read", "migrated", "SKIPPED"]
    table.add_column("party")
    for label in ("units", "officers"):
        for key in keys:
            table.add_column(f"{label} {key}", justify="right")
    rows = [(code, entities) for code, entities in summary["parties"].items()] + [("TOTAL", summary["total"])]
    for code, entities in rows:
        table.add_row(code, *[f"{entities.get(e, {}).get(k, 0):,}" for e in ("kepengurusan", "pengurus")
                              for k in keys], style="bold" if code == "TOTAL" else None)
    Console().print(table)


def execute_reconcile(settings: Settings) -> dict:
    """Check the target, then run the reconcile flow. Returns the summary."""
    from . import reconcile

    reconcile.check_inputs(settings).target.dispose()  # fails fast, before Prefect starts
    os.environ["SIPOL_TARGET_URL"] = settings.target()
    from .flow import nightly_reconcile

    return nightly_reconcile(settings.model_dump(mode="json", exclude={"source_url", "target_url"}))


def execute_run(settings: Settings) -> dict:
    """Check inputs, then run the Prefect flow with a progress display. Returns the summary."""
    from rich.progress import Progress, ProgressColumn, TextColumn, TimeElapsedColumn
    from rich.text import Text

    class RowsPerSecond(ProgressColumn):
        def render(self, task) -> Text:
            return Text(f"{task.speed:,.0f} rows/s" if task.speed else "")

    from . import pipeline, stage

    inputs = pipeline.check_inputs(settings)  # fails fast, before Prefect starts
    inputs.source.dispose()
    inputs.target.dispose()
    del inputs  # the flow checks again with its own; this one would stay alive through the run
    memory.release()
    os.environ["SIPOL_SOURCE_URL"] = settings.source()
    os.environ["SIPOL_TARGET_URL"] = settings.target()
    from .flow import migration_flow_for

    overrides = settings.model_dump(mode="json", exclude={"source_url", "target_url"})
    columns = (TextColumn("{task.description:<22}"), TextColumn("{task.completed:>12,.0f} rows"),
               RowsPerSecond(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not settings.progress, transient=False) as progress:
        stage.set_progress_hook(_progress_hook(progress, {}) if settings.progress else None)
        return migration_flow_for(settings)(overrides)


@app.command()
def run(
    source: Optional[str] = typer.Option(None, help="Legacy database URL (or SIPOL_SOURCE_URL)."),
    target: Optional[str] = typer.Option(None, help="New Sipol database URL (or SIPOL_TARGET_URL)."),
    out: Path = typer.Option(Path("out"), help="Output directory for summary.json and reports."),
    party_map: Optional[Path] = typer.Option(None, help="Party map YAML [default: mappings/parties.yaml]."),
    regions: Optional[Path] = typer.Option(None, help="Current Kemendagri region list, CSV kode,nama,tingkat,induk "
                                                      "[default: the built-in sample]."),
    reference_date: Optional[str] = typer.Option(None, help="Age reference date, YYYY-MM-DD [default: 2022-08-01]."),
    office_required_until: Optional[str] = typer.Option(None, help="Offices must be secured until, YYYY-MM-DD "
                                                                   "[default: 2024-02-14]."),
    province_basis: Optional[str] = typer.Option(None, help="Comma-separated province codes [default: the 2017 list]."),
    full: bool = typer.Option(False, help="Read every legacy row, not only those changed since the last run."),
    recompute: bool = typer.Option(False, help="Recompute even when nothing changed since the last run "
                                               "(otherwise that run's result is published again)."),
    batch_size: Optional[int] = typer.Option(None, help="Rows per staged batch [default: 25000 staged as columns, 10000 per row]."),
    partition_rows: Optional[int] = typer.Option(None, help="Rows per member partition: the member table (in an "
                                                            "incremental run, a larger party) is read as id "
                                                            "ranges of about N rows [default: 100000]."),
    workers: Optional[int] = typer.Option(None, help="Parallel partitions [default: 2]."),
    task_runner: Optional[str] = typer.Option(None, help="threads (default) or dask."),
    dask_address: Optional[str] = typer.Option(None, help="Address of a running Dask scheduler."),
    mask_nik: bool = typer.Option(False, help="Show NIKs in reports as 320101******0001."),
    log_format: str = typer.Option("console", help="console or json."),
    log_level: str = typer.Option("INFO", help="DEBUG, INFO, WARNING or ERROR."),
    quiet: bool = typer.Option(False, help="No progress bars."),
) -> None:
    """Migrate the legacy database into the new Sipol and write every party's report."""
    settings = build_settings(
        source_url=source, target_url=target, out_dir=out, party_map=party_map, regions=regions,
        reference_date=reference_date, office_required_until=office_required_until,
        province_basis=province_basis, full=full or None, recompute=recompute or None,
        batch_size=batch_size, partition_rows=partition_rows, workers=workers, task_runner=task_runner,
        dask_address=dask_address, mask_nik=mask_nik or None,
        log_format=log_format, log_level=log_level, progress=not quiet)
    log.configure(settings.log_level, settings.log_format)
    _load_pdf_engine()
    summary = _guarded(execute_run, settings)
    _print_ledger(summary)
    print(f"Reports: {settings.out_dir.resolve()}")


@app.command()
def reconcile(
    target: Optional[str] = typer.Option(None, help="New Sipol database URL (or SIPOL_TARGET_URL)."),
    out: Path = typer.Option(Path("out"), help="Output directory (same files as `run`)."),
    party_map: Optional[Path] = typer.Option(None, help="Party map YAML [default: mappings/parties.yaml]."),
    regions: Optional[Path] = typer.Option(None, help="Current region list [default: the one the last run stored]."),
    reference_date: Optional[str] = typer.Option(None, help="Age reference date, YYYY-MM-DD [default: 2022-08-01]."),
    office_required_until: Optional[str] = typer.Option(None, help="Offices must be secured until, YYYY-MM-DD "
                                                                   "[default: 2024-02-14]."),
    province_basis: Optional[str] = typer.Option(None, help="Comma-separated province codes [default: the 2017 list]."),
    mask_nik: bool = typer.Option(False, help="Show NIKs in reports as 320101******0001."),
    log_format: str = typer.Option("console", help="console or json."),
    log_level: str = typer.Option("INFO", help="DEBUG, INFO, WARNING or ERROR."),
) -> None:
    """Re-check the new database as the parties corrected it; report fixed / new / still open."""
    settings = build_settings(target_url=target, out_dir=out, party_map=party_map, regions=regions,
                              reference_date=reference_date, office_required_until=office_required_until,
                              province_basis=province_basis, mask_nik=mask_nik or None,
                              log_format=log_format, log_level=log_level)
    log.configure(settings.log_level, settings.log_format)
    _load_pdf_engine()
    summary = _guarded(execute_reconcile, settings)
    _print_ledger(summary)
    for code, counts in summary.get("progress", {}).items():
        print(f"{code}: fixed {counts['fixed']:,}, new {counts['new']:,}, still open {counts['still_open']:,}")
    print(f"Reports: {settings.out_dir.resolve()}")


def _load_pdf_engine() -> None:
    """Load weasyprint now, while this process is small: cffi looks its libraries up through
    ctypes' find_library, which starts ldconfig, gcc and ld about forty times, each a copy of the
    process until it execs (later, with the run's data loaded, each copy held its 600 MB)."""
    from .report.pdf import pdf_available

    pdf_available()


def _guarded(action, settings: Settings) -> dict:
    """Run an action; any failure becomes one line on stderr and a non-zero exit."""
    try:
        return action(settings)
    except SipolError as exc:
        fail(str(exc), exc.exit_code)
    except Exception as exc:  # a database or file error: one line, no traceback, no data
        fail(f"{type(exc).__name__}: {str(getattr(exc, 'orig', exc))}", 1)


@app.command()
def synth(
    target: str = typer.Option(..., help="Where to write the legacy database (mysql+pymysql://… or sqlite:///…)."),
    truth: Path = typer.Option(..., help="Truth file (JSON lines) of the expected outcome and findings."),
    members: int = typer.Option(20_000, min=1, help="Member rows to generate."),
    seed: int = typer.Option(2017, help="Random seed; the same seed gives the same data."),
    regions_2017: Optional[Path] = typer.Option(None, help="Full 2017 region CSV [default: built-in sample]."),
    regions_2022: Optional[Path] = typer.Option(None, help="Full 2022 region CSV [default: built-in sample]."),
    party_map_out: Optional[Path] = typer.Option(None, help="Where to write the matching party map "
                                                            "[default: parties.yaml beside --truth]."),
    regions_out: Optional[Path] = typer.Option(None, help="Where to write the 2022 region list used "
                                                          "[default: regions-2022.csv beside --truth]."),
) -> None:
    """Generate a synthetic legacy database with planted problems and the truth about them."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .synth import synthesize

    if (regions_2017 is None) != (regions_2022 is None):
        fail("--regions-2017 and --regions-2022 go together")
    log.configure("WARNING")
    try:
        with Progress(TextColumn("synth"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as progress:
            task_id = progress.add_task("members", total=members)
            summary = synthesize(target, truth, members=members, seed=seed, regions_2017=regions_2017,
                                 regions_2022=regions_2022, party_map_out=party_map_out,
                                 regions_out=regions_out,
                                 progress=lambda done: progress.update(task_id, completed=done))
    except SipolError as exc:
        fail(str(exc), exc.exit_code)
    except Exception as exc:
        fail(f"{type(exc).__name__}: {str(getattr(exc, 'orig', exc))}", 1)
    print(f"Synthesised {members:,} members into {log.mask_text(str(target).split('@')[-1])}; truth: {truth}")
    del summary


from .scan import scan_command  # noqa: E402  (the command lives beside the scan)

app.command("scan")(scan_command)


if __name__ == "__main__":
    app()
