"""sipol-migrate: legacy Sipol 2017 → new Sipol migration, verification and party reports."""

__version__ = "0.1.0"
