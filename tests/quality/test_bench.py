"""Gate and scan at scale: opt-in (SIPOL_QUALITY_BENCH=members, e.g. 2000000), minutes long."""

from __future__ import annotations

import os

import pytest

from .bench_quality import bench_gate, bench_scan

MEMBERS = int(os.environ.get("SIPOL_QUALITY_BENCH", "0") or 0)
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not MEMBERS, reason="set SIPOL_QUALITY_BENCH=<members> to run")]


def test_gate_at_scale():
    result = bench_gate(MEMBERS)
    print(result)
    assert result["gate_success"]


def test_scan_at_scale():
    result = bench_scan(MEMBERS)
    print(result)
    assert result["scan_members"] == MEMBERS
