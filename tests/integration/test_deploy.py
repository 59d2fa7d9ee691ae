"""prefect.yaml deploys to a real Prefect server; `nightly-reconcile` runs on a process worker."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client

from sipol_migrate.synth import synthesize

from ..helpers import run_args, run_cli, summary

pytestmark = [pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).parent / "prefect")


def _prefect(*args: str, env: dict, timeout: int = 240) -> subprocess.CompletedProcess:
    result = subprocess.run([PREFECT, "--no-prompt", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def test_nightly_reconcile_runs_through_a_process_worker(tmp_path, prefect_api):
    legacy = tmp_path / "legacy"
    synthesize(f"sqlite:///{legacy / 'legacy.sqlite'}", legacy / "truth.jsonl", members=600, seed=3)
    target = f"sqlite:///{tmp_path / 'target.sqlite'}"
    assert run_cli(*run_args(f"sqlite:///{legacy / 'legacy.sqlite'}", target, legacy, tmp_path / "o1")).returncode == 0

    pool = f"sipol-test-{os.getpid()}"
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "SIPOL_PROJECT_DIR": str(ROOT),
           "SIPOL_TARGET_URL": target}
    _prefect("work-pool", "create", pool, "--type", "process", env=env)
    prefect_yaml = (ROOT / "prefect.yaml").read_text().replace("name: sipol\n", f"name: {pool}\n")
    (tmp_path / "prefect.yaml").write_text(prefect_yaml)
    _prefect("deploy", "--all", "--prefect-file", str(tmp_path / "prefect.yaml"), env=env)
    listed = _prefect("deployment", "inspect", "sipol-nightly-reconcile/nightly-reconcile", env=env).stdout
    assert "0 2 * * *" in listed and "Asia/Jakarta" in listed

    out = tmp_path / "reconcile-out"
    params = {"overrides": {"out_dir": str(out), "party_map": str(legacy / "parties.yaml")}}
    started = _prefect("deployment", "run", "sipol-nightly-reconcile/nightly-reconcile", "--params",
                       json.dumps(params), env=env).stdout
    flow_run_id = re.search(r"flow-run/([0-9a-f-]{36})", started).group(1)
    _prefect("worker", "start", "--pool", pool, "--run-once", env=env, timeout=300)
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(UUID(flow_run_id)).state
    assert state is not None and state.is_completed(), state
    result = summary(out)
    assert result["run_id"].startswith("c")  # reconcile runs are named c…
    assert result["total"]["anggota"] == summary(tmp_path / "o1")["total"]["anggota"]
    assert "progress" in result  # the previous run is the migration
