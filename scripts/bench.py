"""`make bench`: the member phase and the whole run against pgloader and a raw pipe, side by side.

    python scripts/bench.py [--members N] [--seed S] [--driver mysqldb|pymysql] [--skip pipe,pgloader,…]

1. The legacy database: N synthesised members (uploads, units, officers) in MariaDB, reused while
   it holds the same N and seed (marker under out/bench/, see bench_source.py).
2. (a) the raw pipe `mariadb --quick -B -N -e "SELECT …" | psql -c "\\copy …"` into a text-typed
   table — the physical floor; (b) pgloader copying t_anggota alone (--dynamic-space-size 4096,
   2 workers, concurrency 1, 50,000-row batches, zero dates cast to NULL), checked to have
   loaded every row; (c) `sipol-migrate run` into an empty PostgreSQL database: its member phase
   (stats.timings: stage_members + complete_staging, where the staging indexes are built, +
   set_rules) and the whole run; (d) the same run again with
   nothing changed. Both runs talk to a `prefect server start` that the benchmark starts first,
   so Prefect's start-up is not counted.
3. Peak RSS of each method's own process tree (psutil, every 0.1 s; the databases and the
   Prefect server are not in the tree).

The table goes to the terminal and to out/bench/bench.md; raw numbers to out/bench/bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_source import MARIA_ADMIN, PG_ADMIN, ROOT, ensure_source, maria_url  # noqa: E402

OUT = ROOT / "out" / "bench"
BIN = Path(sys.executable).parent
ANGGOTA = ["id", "partai_id", "kepengurusan_id", "nik", "no_kk", "nama", "tempat_lahir", "tgl_lahir",
           "jenis_kelamin", "status_kawin", "pekerjaan", "alamat", "kode_wilayah", "no_kta",
           "is_deleted", "created_by", "created_at", "updated_at"]


# --- measuring --------------------------------------------------------------------------------


class TreeWatch:
    """Peak RSS (sum over the process and its descendants) and CPU seconds of a process tree."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            total = 0
            for proc in procs:
                try:
                    with proc.oneshot():
                        total += proc.memory_info().rss
                        times = proc.cpu_times()
                        self.cpu[proc.pid] = times.user + times.system
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def timed(label: str, command: list[str] | str, env: dict | None = None, shell: bool = False,
          log: Path | None = None) -> dict:
    """Run a command; its wall seconds, peak RSS of its tree, CPU seconds, load average."""
    print(f"bench: {label} …", flush=True)
    load_before = os.getloadavg()[0]
    handle = open(log, "w") if log else subprocess.DEVNULL
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, shell=shell, stdout=handle, stderr=subprocess.STDOUT,
                            executable="/bin/bash" if shell else None)
    watch = TreeWatch(proc.pid)
    code = proc.wait()
    wall = time.perf_counter() - started
    watch.stop()
    if log:
        handle.close()
    result = {"label": label, "wall": round(wall, 2), "peak_rss": watch.peak, "exit": code,
              "cpu": round(sum(watch.cpu.values()), 1), "load_before": round(load_before, 2),
              "load_after": round(os.getloadavg()[0], 2)}
    print(f"bench: {label}: {wall:.1f} s, peak RSS {watch.peak / 2**20:.0f} MiB, exit {code}", flush=True)
    if code != 0:
        tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
        raise SystemExit(f"bench: {label} failed with exit {code}\n{tail}")
    return result


# --- databases --------------------------------------------------------------------------------


def fresh_pg_database(name: str) -> str:
    engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def pg_count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
    engine.dispose()
    return int(n)


def _maria_parts() -> dict:
    url = sa.engine.make_url(MARIA_ADMIN)
    return {"host": url.host or "127.0.0.1", "port": url.port or 3306, "user": url.username or "root",
            "password": url.password or ""}


def _pg_parts(url: str) -> dict:
    parsed = sa.engine.make_url(url)
    return {"host": parsed.host or "127.0.0.1", "port": parsed.port or 5432,
            "user": parsed.username or "postgres", "password": parsed.password or "",
            "database": parsed.database}


# --- (a) the raw pipe -------------------------------------------------------------------------


def bench_pipe(database: str, members: int) -> dict:
    url = fresh_pg_database("sipol_bench_pipe")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t_anggota (" + ", ".join(f"{c} text" for c in ANGGOTA) + ")")
    engine.dispose()
    m, p = _maria_parts(), _pg_parts(url)
    env = {**os.environ, "MYSQL_PWD": m["password"], "PGPASSWORD": p["password"]}
    select = f"SELECT {', '.join(ANGGOTA)} FROM t_anggota"
    command = (f"mariadb --quick -B -N -h {m['host']} -P {m['port']} -u {m['user']} {database} "
               f"-e \"{select}\" | psql -q -h {p['host']} -p {p['port']} -U {p['user']} -d {p['database']} "
               f"-c \"\\copy t_anggota FROM STDIN WITH (NULL 'NULL')\"")
    result = timed("pipe mariadb | psql \\copy", command, env=env, shell=True, log=OUT / "pipe.log")
    result["rows"] = pg_count(url, "t_anggota")
    if result["rows"] != members:
        raise SystemExit(f"bench: the pipe loaded {result['rows']:,} of {members:,} rows")
    return result


# --- (b) pgloader -----------------------------------------------------------------------------


def bench_pgloader(database: str, members: int) -> dict:
    url = fresh_pg_database("sipol_bench_pgloader")
    m, p = _maria_parts(), _pg_parts(url)
    auth = f"{m['user']}:{m['password']}@" if m["password"] else f"{m['user']}@"
    pg_auth = f"{p['user']}:{p['password']}@" if p["password"] else f"{p['user']}@"
    load = OUT / "pgloader.load"
    load.write_text(f"""LOAD DATABASE
     FROM mysql://{auth}{m['host']}:{m['port']}/{database}
     INTO postgresql://{pg_auth}{p['host']}:{p['port']}/{p['database']}
 WITH include drop, create tables, create no indexes, no foreign keys, reset no sequences,
      workers = 2, concurrency = 1, batch rows = 50000, prefetch rows = 50000
 CAST type date to date drop not null drop default using zero-dates-to-null,
      type datetime to timestamp drop not null drop default using zero-dates-to-null
 INCLUDING ONLY TABLE NAMES MATCHING 't_anggota'
 ALTER SCHEMA '{database}' RENAME TO 'public';
""")
    result = timed("pgloader t_anggota", ["pgloader", "--dynamic-space-size", "4096", "--no-ssl-cert-verification",
                                          "--root-dir", str(OUT / "pgloader"), str(load)],
                   log=OUT / "pgloader.log")
    result["rows"] = pg_count(url, "t_anggota")
    if result["rows"] != members:
        print(f"bench: WARNING pgloader loaded {result['rows']:,} of {members:,} rows (see out/bench/pgloader.log)",
              flush=True)
    return result


# --- (c), (d) the pipeline --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_prefect_server() -> tuple[subprocess.Popen, str]:
    home = OUT / "prefect-home"
    home.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_UI_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                               "--port", str(port), "--no-ui"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/health", timeout=2)
            return server, url
        except Exception:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("bench: the Prefect server did not start")


def bench_run(label: str, source: str, target: str, marker: dict, out: Path, api: str) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PREFECT_API_URL": api, "SIPOL_SOURCE_URL": source, "SIPOL_TARGET_URL": target}
    command = [str(BIN / "sipol-migrate"), "run", "--out", str(out), "--party-map", marker["party_map"],
               "--regions", marker["regions"], "--quiet", "--log-level", "WARNING"]
    result = timed(label, command, env=env, log=out.with_suffix(".log"))
    summary = json.loads((out / "summary.json").read_text())
    result["timings"] = summary.get("stats", {}).get("timings", {})
    result["read"] = summary["total"]["anggota"]["read"]
    result["stats"] = {k: v for k, v in summary.get("stats", {}).items()
                       if k in ("rows_read", "uploads_read", "incremental", "copied_from_live", "unchanged_since")}
    return result


# --- the table --------------------------------------------------------------------------------


def table(results: dict, members: int) -> str:
    pgl = results.get("pgloader", {}).get("wall")
    pipe = results.get("pipe", {}).get("wall")
    rows = []

    def add(method: str, wall: float | None, rss: int | None, note: str = "") -> None:
        if wall is None:
            return
        ratio_pgl = f"{wall / pgl:.2f}" if pgl else "—"
        ratio_pipe = f"{wall / pipe:.2f}" if pipe else "—"
        rss_text = f"{rss / 2**20:,.0f} MiB" if rss else "—"
        rows.append(f"| {method} | {wall:,.1f} | {members / wall:,.0f} | {rss_text} | {ratio_pgl} | {ratio_pipe} | {note} |")

    if "pipe" in results:
        add("pipe: mariadb | psql \\copy (t_anggota)", pipe, results["pipe"]["peak_rss"],
            f"cpu {results['pipe']['cpu']} s")
    if "pgloader" in results:
        r = results["pgloader"]
        add("pgloader (t_anggota)", pgl, r["peak_rss"], f"loaded {r['rows']:,} rows; cpu {r['cpu']} s")
    if "run" in results:
        r, t = results["run"], results["run"]["timings"]
        member = t.get("stage_members", 0) + t.get("complete_staging", 0) + t.get("set_rules", 0)
        add("sipol-migrate run: member phase (stage_members + complete_staging + set_rules)", member, None,
            f"stage_members {t.get('stage_members')} s, complete_staging {t.get('complete_staging')} s, "
            f"set_rules {t.get('set_rules')} s")
        add("sipol-migrate run: whole run (CLI process)", r["wall"], r["peak_rss"], f"cpu {r['cpu']} s")
    if "rerun" in results:
        r = results["rerun"]
        note = f"{r['wall'] / results['run']['wall'] * 100:.0f} % of the full run" if "run" in results else ""
        add("sipol-migrate run: rerun, nothing changed", r["wall"], r["peak_rss"], note)
    head = ["| method | wall s | rows/s | peak RSS | ratio to pgloader | ratio to pipe | notes |",
            "|---|---:|---:|---:|---:|---:|---|"]
    return "\n".join(head + rows)


def phases(results: dict) -> str:
    lines = []
    for key in ("run", "rerun"):
        if key in results and results[key].get("timings"):
            parts = ", ".join(f"{k} {v}" for k, v in results[key]["timings"].items())
            lines.append(f"- {key} phases (s): {parts}")
    return "\n".join(lines)


def main() -> None:
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the Prefect server on kill too
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=int(os.environ.get("BENCH_MEMBERS", 2_000_000)))
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--driver", default=None, help="mysqldb (default when installed) or pymysql")
    parser.add_argument("--skip", default="", help="comma-separated: pipe, pgloader, run, rerun")
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    OUT.mkdir(parents=True, exist_ok=True)
    subprocess.run(["bash", str(ROOT / "scripts" / "install-bench-deps.sh")], check=True)
    driver = args.driver
    if driver is None:
        try:
            import MySQLdb  # noqa: F401
            driver = "mysqldb"
        except ImportError:
            driver = "pymysql"
    wilayah = os.environ.get("SIPOL_WILAYAH_DIR")
    marker = ensure_source(args.members, args.seed, OUT, Path(wilayah) if wilayah else None)
    database = marker["database"]
    results: dict = {"members": args.members, "seed": args.seed, "driver": driver,
                     "cores": os.cpu_count(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    if "pipe" not in skip:
        results["pipe"] = bench_pipe(database, args.members)
    if "pgloader" not in skip:
        results["pgloader"] = bench_pgloader(database, args.members)
    if not {"run", "rerun"} <= skip:
        server, api = start_prefect_server()
        try:
            target = fresh_pg_database("sipol_bench_target")
            source = maria_url(database, driver)
            results["run"] = bench_run("sipol-migrate run (full)", source, target, marker, OUT / "run-1", api)
            if "rerun" not in skip:
                results["rerun"] = bench_run("sipol-migrate run (rerun, nothing changed)", source, target,
                                             marker, OUT / "run-2", api)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    text = (f"# Benchmark: {args.members:,} members, {os.cpu_count()} cores, source driver {driver}\n\n"
            f"{results['started']}; load average before each method in out/bench/bench.json.\n\n"
            + table(results, args.members) + "\n\n" + phases(results) + "\n")
    (OUT / "bench.md").write_text(text)
    (OUT / "bench.json").write_text(json.dumps(results, indent=2, default=str))
    print("\n" + text)


if __name__ == "__main__":
    main()
