"""Phase timings of a run, for `summary.json` (stats.timings) and the benchmark.

Wall seconds per phase, in the order the flow runs them. Publishing writes the outputs inside
its transaction, before the phase's own time is known: `add_to_summary` adds the last phases
to the placed summary.json afterwards (rename into place; a failure there only loses timings).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


class PhaseClock:
    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.wall_started = time.time()
        self.values: dict[str, float] = {}

    def mark(self, phase: str) -> float:
        """Record the time since the previous mark as `phase`."""
        now = time.perf_counter()
        self.values[phase] = round(now - self.last, 2)
        self.last = now
        return self.values[phase]

    def split(self, phase: str, until_wall: float) -> None:
        """Record `phase` as ending at wall-clock `until_wall` (a job finished elsewhere)."""
        ended = self.started + (until_wall - self.wall_started)
        self.values[phase] = round(max(0.0, ended - self.last), 2)
        self.last = max(self.last, ended)

    def as_dict(self) -> dict[str, float]:
        return {**self.values, "total": round(time.perf_counter() - self.started, 2)}


def add_to_summary(out_dir: Path, summary: dict, timings: dict[str, float]) -> None:
    summary.setdefault("stats", {})["timings"] = timings
    path = Path(out_dir) / "summary.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data.setdefault("stats", {})["timings"] = timings
        tmp = path.with_name(".summary.json.tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass
