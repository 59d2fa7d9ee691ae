"""Prefect entrypoints (prefect.yaml points here). The flows live in the package."""

from sipol_migrate.flow import full_migration

__all__ = ["full_migration"]
