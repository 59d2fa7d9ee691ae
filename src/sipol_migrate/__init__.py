"""sipol-migrate: legacy Sipol 2017 → new Sipol migration, verification and party reports."""

import os

# polars' jemalloc reads this once, when polars loads: freed pages go back to the system at once,
# in this process and in the staging workers it starts (docs/BENCHMARKS.md, "Memory").
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")

__version__ = "0.1.0"
