"""The benchmark's legacy database: N synthesised members in MariaDB, reused while it matches.

A marker file (out/bench/source-<N>.json) records what was synthesised into which database
(members, seed, the synth code's digest); the database is reused only when the marker matches
and the database still holds that many members. Nothing is ever written into the legacy schema
beyond what `synth` writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
MARIA_ADMIN = os.environ.get("BENCH_MARIA_ADMIN", "mysql+pymysql://root@127.0.0.1:3306/")
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def synth_digest() -> str:
    """Changes whenever the synthesiser's code changes (then the data is rebuilt)."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src" / "sipol_migrate" / "synth").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def legacy_database(members: int) -> str:
    return f"sipol_bench_legacy_{members}"


def maria_url(database: str, driver: str = "pymysql") -> str:
    return MARIA_ADMIN.replace("+pymysql", f"+{driver}").rstrip("/") + f"/{database}"


def _member_count(database: str) -> int | None:
    engine = sa.create_engine(MARIA_ADMIN)
    try:
        with engine.connect() as conn:
            exists = conn.exec_driver_sql(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s "
                "AND table_name = 't_anggota'", (database,)).scalar_one()
            if not exists:
                return None
            return int(conn.exec_driver_sql(f"SELECT count(*) FROM `{database}`.t_anggota").scalar_one())
    finally:
        engine.dispose()


def ensure_source(members: int, seed: int, folder: Path, wilayah: Path | None) -> dict:
    """Synthesise (or reuse) the legacy database; returns its marker."""
    from sipol_migrate.synth import synthesize

    folder.mkdir(parents=True, exist_ok=True)
    database = legacy_database(members)
    marker_path = folder / f"source-{members}.json"
    wanted = {"members": members, "seed": seed, "database": database, "synth": synth_digest(),
              "wilayah": str(wilayah) if wilayah else None}
    if marker_path.exists():
        marker = json.loads(marker_path.read_text())
        if {k: marker.get(k) for k in wanted} == wanted and _member_count(database) == members \
                and Path(marker["party_map"]).exists() and Path(marker["regions"]).exists():
            print(f"bench: reusing {database} ({members:,} members, seed {seed})", flush=True)
            return marker
    engine = sa.create_engine(MARIA_ADMIN)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{database}`")
        conn.exec_driver_sql(f"CREATE DATABASE `{database}` CHARACTER SET latin1")
    engine.dispose()
    marker_path.unlink(missing_ok=True)
    print(f"bench: synthesising {members:,} members into {database} …", flush=True)
    started = time.perf_counter()
    data = folder / f"legacy-{members}"
    regions = {}
    if wilayah and (wilayah / "kemendagri_2017.csv").exists():
        regions = {"regions_2017": wilayah / "kemendagri_2017.csv",
                   "regions_2022": wilayah / "kemendagri_2022.csv"}
    summary = synthesize(maria_url(database), data / "truth.jsonl", members=members, seed=seed,
                         party_map_out=data / "parties.yaml", regions_out=data / "regions-2022.csv",
                         **regions)
    (data / "truth.jsonl").unlink(missing_ok=True)  # not needed by the benchmark; large
    marker = {**wanted, "party_map": str(data / "parties.yaml"), "regions": str(data / "regions-2022.csv"),
              "tables": summary.tables, "synth_seconds": round(time.perf_counter() - started, 1)}
    marker_path.write_text(json.dumps(marker, indent=2))
    print(f"bench: synthesised in {marker['synth_seconds']} s: {summary.tables}", flush=True)
    return marker


if __name__ == "__main__":  # python scripts/bench_source.py N [seed]
    import sys

    wilayah_dir = os.environ.get("SIPOL_WILAYAH_DIR")
    print(ensure_source(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 2017,
                        ROOT / "out" / "bench", Path(wilayah_dir) if wilayah_dir else None))
