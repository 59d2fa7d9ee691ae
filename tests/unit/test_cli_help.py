"""`--help` tells the defaults: option help texts are plain text, not Rich markup (which would
swallow every "[default: …]" as an unknown tag)."""

from __future__ import annotations

from ..helpers import run_cli


def test_run_help_shows_the_defaults():
    result = run_cli("run", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())  # the help is wrapped to the terminal
    assert "Rows per staged batch [default: 25000 staged as columns, 10000 per row]" in text
    assert "Parallel partitions [default: 2]" in text
    assert "YYYY-MM-DD [default: 2022-08-01]" in text
