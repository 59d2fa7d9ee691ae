"""Prefect entrypoint of the scheduled re-reconciliation (prefect.yaml: nightly-reconcile)."""

from sipol_migrate.flow import nightly_reconcile

__all__ = ["nightly_reconcile"]
