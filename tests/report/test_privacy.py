"""A party's folder holds only its own members; its cross-party finding names no other party."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from report_state import A_NIKS, B_ONLY_ID, B_ONLY_NIK, B_SHARED_ID, write_all

pytestmark = pytest.mark.integration
# What party PXA must never see: PQZ's own member (id and NIK), PQZ's id of the person both
# parties list, and PQZ itself (code and name).
FORBIDDEN = [str(B_ONLY_ID), B_ONLY_NIK, "327301******0777", str(B_SHARED_ID), "PQZ", "Qzwx"]


def _contents(path: Path) -> list[tuple[str, bytes]]:
    """The bytes of a file and, for zip containers (xlsx), of every member.

    (ringkasan.pdf is scanned as stored: its text is glyph-coded, but it holds only counts.)
    """
    parts = [(path.name, path.read_bytes())]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            parts += [(f"{path.name}!{name}", archive.read(name)) for name in archive.namelist()]
    return parts


@pytest.mark.parametrize("mask", [False, True])
def test_party_folder_holds_only_its_own_members(state, tmp_path, mask):
    write_all(state, tmp_path, mask_nik=mask, pdf=True)
    files = sorted(p for p in (tmp_path / "PXA").rglob("*") if p.is_file())
    assert {p.name for p in files} >= {"findings.csv", "laporan.html", "laporan.json", "laporan.xlsx",
                                          "ringkasan.pdf"}
    for path in files:
        for name, data in _contents(path):
            for needle in FORBIDDEN:
                assert needle.encode() not in data, f"{needle} found in {name}"
    # PXA's own data is there: its id of the person both parties list, with its cross-party code.
    html = (tmp_path / "PXA" / "laporan.html").read_text(encoding="utf-8")
    assert "1004" in html and "NIK_DUPLICATE_ACROSS_PARTIES" in html
    assert (A_NIKS[1004] in html) is not mask
    # And PQZ's folder does not name PXA's members either.
    for path in (tmp_path / "PQZ").rglob("*"):
        for name, data in _contents(path):
            assert A_NIKS[1001].encode() not in data and b"Ahmad Fauzi" not in data, name
            assert b"PXA" not in data and b"Xavier" not in data, name


def test_kpu_overview_has_pairs_but_no_personal_data(state, tmp_path):
    write_all(state, tmp_path)
    import openpyxl

    book = openpyxl.load_workbook(tmp_path / "_kpu" / "laporan.xlsx")
    assert book.sheetnames[:4] == ["Ringkasan", "Temuan per kode", "Ganda lintas partai", "Dilewati"]
    pairs = list(book["Ganda lintas partai"].iter_rows(values_only=True))
    assert pairs == [("Partai A", "ID lama A", "Partai B", "ID lama B"), ("PQZ", B_SHARED_ID, "PXA", 1004)]
    skipped = list(book["Dilewati"].iter_rows(values_only=True))
    assert ("anggota", "SKIPPED_ORPHAN", "(tanpa partai)", 99, 1) in skipped
    assert ("anggota", "SKIPPED_DELETED", "PXA", 1, 1) in skipped
    ledger: dict = {}
    for row in book["Ringkasan"].iter_rows(values_only=True):
        ledger.setdefault(row[0], row)  # the ledger block comes first, the progress block after
    assert ledger["PXA"][2:8] == (8, 2, 3, 1, 1, 1) and ledger["TOTAL"][2] == 12
    for path in (tmp_path / "_kpu").glob("laporan.*"):
        for name, data in _contents(path):
            for nik in [*A_NIKS.values(), B_ONLY_NIK]:
                assert nik.encode() not in data, name
            assert b"Ahmad" not in data and b"Qzwx Hanya" not in data
