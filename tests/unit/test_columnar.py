"""The columnar member path (columnar.py) stages exactly what the per-row path stages.

Both take the same legacy rows, as connectorx hands them over (text, dates as MariaDB prints
them); the staged rows and findings must be equal, value for value, whatever the text holds.
"""

from __future__ import annotations

import pickle
from datetime import date

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sipol_migrate import columnar
from sipol_migrate.mappings import load_codes
from sipol_migrate.normalize import MEMBER_COLUMNS, map_unit
from sipol_migrate.regions import RegionBook, load_region_csv
from sipol_migrate.rules.member import MemberRuleContext
from sipol_migrate.schema import stg_finding, stg_member
from sipol_migrate.settings import MAPPINGS_DIR, PACKAGE_DATA
from sipol_migrate.stage import Partition, _staged_upload, transform_members

CODES = load_codes(MAPPINGS_DIR / "codes.yaml")
REGIONS_2017 = load_region_csv(PACKAGE_DATA / "wilayah_sample_2017.csv")
REGIONS_2022 = load_region_csv(PACKAGE_DATA / "wilayah_sample_2022.csv")
BOOK = RegionBook(REGIONS_2017, REGIONS_2022)
KABKOTA = [r["kode"] for r in REGIONS_2017 if r["tingkat"] == 2]
DOMICILES = [r["kode"] for r in REGIONS_2017 if r["tingkat"] in (3, 4)] + [r["kode"] for r in REGIONS_2022]
UNITS = {
    unit.legacy_id: unit for unit in (map_unit(raw, CODES) for raw in (
        {"id": 1, "partai_id": 1, "tingkat": "pusat", "kode_wilayah": None, "is_deleted": 0},
        {"id": 2, "partai_id": 1, "tingkat": "Kab/Kota", "kode_wilayah": KABKOTA[0], "is_deleted": 0},
        {"id": 3, "partai_id": 2, "tingkat": "kabkota", "kode_wilayah": KABKOTA[1], "is_deleted": 0},
        {"id": 4, "partai_id": 1, "tingkat": "kabkota", "kode_wilayah": KABKOTA[-1], "is_deleted": 1},
        {"id": 5, "partai_id": 1, "tingkat": "kabkota", "kode_wilayah": "99.99", "is_deleted": 0},
        {"id": 6, "partai_id": None, "tingkat": "kabkota", "kode_wilayah": KABKOTA[0], "is_deleted": 0},
    ))
}
PARTY = Partition(1, "PKB", None)

WHITE = ["", " ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\u00a0", "\u3000", "\x00"]
NIK_PARTS = st.one_of(
    st.sampled_from(DOMICILES).map(lambda code: code.replace(".", "")[:6]),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
)
VALID_NIK = st.tuples(NIK_PARTS, st.integers(0, 75), st.integers(0, 13), st.integers(0, 99),
                      st.from_regex(r"[0-9]{4}", fullmatch=True)).map(
    lambda t: f"{t[0]}{t[1]:02d}{t[2]:02d}{t[3]:02d}{t[4]}")
NIK = st.one_of(
    VALID_NIK,
    st.tuples(st.sampled_from(WHITE + ["'", ".", "-"]), VALID_NIK, st.sampled_from(WHITE + [".", "-"]))
    .map(lambda t: f"{t[0]}{t[1][:4]}{t[2]}{t[1][4:8]}.{t[1][8:]}"),
    st.sampled_from(["3.20101E+15", "3,20101E+15", "'3201010101900001", "''3201010101900001", "-", "'",
                     "32010101019000012", "3201O10101900001", "3201010101900000", "٣٢٠١٠١٠١٠١٩٠٠٠٠١"]),
    st.text(max_size=20),
)
DATE = st.one_of(
    st.dates(date(1890, 1, 1), date(2030, 12, 31)).map(date.isoformat),
    st.sampled_from(["0000-00-00", "1985-00-12", "1985-07-00", "1900-01-01", "1899-12-30", "1900-01-02",
                     "2005-08-01", "2005-08-02", "2005-07-31", "2004-02-29"]),
)
DATETIME = st.one_of(
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
    st.sampled_from(["0000-00-00 00:00:00", "2020-02-30 10:00:00", "2020-01-01T10:00:00", " 2021-01-01 00:00:00"]),
)


def _spaced(values):
    return st.tuples(st.sampled_from(WHITE), st.sampled_from(values), st.sampled_from(WHITE)).map("".join)


def _maybe(strategy):
    return st.one_of(st.none(), strategy, st.text(max_size=12))


ROW = st.fixed_dictionaries({
    "kepengurusan_id": st.one_of(st.none(), st.integers(1, 8)),
    "nik": _maybe(NIK),
    "no_kk": _maybe(NIK),
    "nama": _maybe(_spaced(["Budi  Santoso", "SITI\tAMINAH", "Ma\u00e2\u20ac\u2122ruf", "Andr\u00e9", "A B"])),
    "tempat_lahir": _maybe(_spaced(["Bandung", "Jakarta  Timur"])),
    "tgl_lahir": st.one_of(st.none(), DATE),
    "jenis_kelamin": _maybe(_spaced(["L", "p", "Laki-Laki", "PEREMPUAN", "W", "x", "LAKI  LAKI"])),
    "status_kawin": _maybe(_spaced(["Kawin", "BELUM  KAWIN", "cerai mati", "B", "janda"])),
    "pekerjaan": _maybe(_spaced(["PNS", "Pensiunan PNS", "petani", "Anggota TNI-AD", "Kepala  Desa",
                                 "WIRASWASTA", "Purn. Polri", "mantan kades"])),
    "alamat": _maybe(_spaced(["Jl. Mawar No. 1", "RT 01/RW 02"])),
    "kode_wilayah": _maybe(st.one_of(_spaced(DOMICILES), st.sampled_from(DOMICILES).map(
        lambda code: code.replace(".", "")), st.sampled_from(KABKOTA))),
    "no_kta": _maybe(_spaced(["KTA-0001", "-", "0", "0-0.0", " - ", "000123", "."])),
    "is_deleted": st.sampled_from([0, 0, 0, 1]),
    "created_by": _maybe(st.just("operator")),
    "updated_at": st.one_of(st.none(), DATETIME),
})


def _frame(raws: list[dict]) -> pl.DataFrame:
    """The rows as connectorx gives them: integer ids and flags, everything else text."""
    schema = {name: pl.String for name in MEMBER_COLUMNS}
    schema.update(id=pl.Int64, partai_id=pl.Int64, kepengurusan_id=pl.Int64, is_deleted=pl.Int64)
    return pl.DataFrame([{name: raw.get(name) for name in MEMBER_COLUMNS} for raw in raws], schema=schema)


def _columnar(raws: list[dict], ctx: MemberRuleContext, partition=PARTY):
    """The batch's writes as the per-row path gives them: staged rows, findings."""
    written = {stg_member: [], stg_finding: []}
    for table, part in columnar.transform("r1", _frame(raws), partition, ctx):
        written[table] += part if isinstance(part, list) else part.to_dicts()
    return written[stg_member], written[stg_finding]


def _stored(row: dict) -> dict:
    """A staged row or finding as COPY stores it: text without NUL (copytext.py drops it)."""
    return {key: value.replace("\x00", "") if isinstance(value, str) else value for key, value in row.items()}


def _sorted(rows, findings):
    return (sorted(map(_stored, rows), key=lambda r: r["legacy_id"]),
            sorted(map(_stored, findings), key=lambda f: (f["legacy_id"], f["code"], f["detail"] or "")))


def _context() -> MemberRuleContext:
    return MemberRuleContext(regions=BOOK, units=UNITS, reference_date=date(2022, 8, 1), codes=CODES)


# The column context alone, as member_workers hands it to a staging process (a pickle).
SHIPPED = pickle.loads(pickle.dumps(columnar.column_context(_context())))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=1, max_size=30))
def test_columnar_rows_and_findings_equal_the_per_row_path(rows):
    raws = [{"id": i + 1, "partai_id": 1, **row} for i, row in enumerate(rows)]
    ctx = _context()
    expected = _sorted(*transform_members("r1", raws, PARTY, ctx))
    assert _sorted(*_columnar(raws, ctx)) == expected
    assert _sorted(*_columnar(raws, SHIPPED)) == expected  # what a staging process is given


SPAN = Partition(None, None, None, ids=(0, None), parties={1: "PKB", 2: "PDIP", 7: None})  # 13: orphan


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from([1, 2, 7, 13]), ROW), min_size=1, max_size=30))
def test_a_span_of_every_party_equals_the_per_row_path(rows):
    raws = [{"id": i + 1, "partai_id": partai_id, **row} for i, (partai_id, row) in enumerate(rows)]
    ctx = _context()
    expected = _sorted(*transform_members("r1", raws, SPAN, ctx))
    assert _sorted(*_columnar(raws, ctx, SPAN)) == expected
    assert {(r["partai_id"], r["party_code"]) for r in expected[0]} <= {(1, "PKB"), (2, "PDIP"), (7, None), (13, None)}


@pytest.mark.parametrize("raw", [
    {"nik": " 3201 0101.0190-0001 ", "nama": "  Budi \x1c Santoso\t", "kode_wilayah": " 320101 "},
    {"nik": "'3.20101E+15", "tgl_lahir": "0000-00-00", "updated_at": "0000-00-00 00:00:00"},
    {"nik": "3201014101050001", "jenis_kelamin": "L", "tgl_lahir": "2005-01-01", "status_kawin": "Belum Kawin"},
    {"nik": "3201014101050001", "jenis_kelamin": "P", "tgl_lahir": "2005-08-02", "status_kawin": "Kawin"},
    {"no_kta": " 0-0 . ", "pekerjaan": "ex-PNS / mantan", "kepengurusan_id": 2},
    {"kode_wilayah": "3201012001", "kepengurusan_id": 6},
])
def test_edge_rows_agree(raw):
    raws = [{"id": 7, "partai_id": 1, "is_deleted": 0, **raw}]
    ctx = _context()
    assert _sorted(*_columnar(raws, ctx)) == _sorted(*transform_members("r1", raws, PARTY, ctx))


def test_text_to_repair_is_patched_in_and_the_rows_stay_columns():
    raws = [{"id": 1, "partai_id": 1, "is_deleted": 0, "nama": "Budi"},
            {"id": 2, "partai_id": 1, "is_deleted": 0, "nama": "Ma\u00e2\u20ac\u2122ruf"},  # to repair
            {"id": 3, "partai_id": 1, "is_deleted": 1, "nama": "Siti"},  # soft-deleted: SKIPPED
            {"id": 4, "partai_id": 1, "is_deleted": 0, "alamat": "Jl.\x00", "nik": "\u00a03201010101900001"}]
    writes = columnar.transform("r1", _frame(raws), PARTY, _context())
    members = [part for table, part in writes if table is stg_member]
    assert all(isinstance(part, pl.DataFrame) for _, part in writes)  # no row went the per-row path
    assert [part["legacy_id"].to_list() for part in members] == [[3], [1, 2, 4]]  # skipped, mapped
    staged = {row["legacy_id"]: row for row in members[1].to_dicts()}
    assert (staged[2]["name"], staged[2]["name_repaired"]) == ("Ma\u2019ruf", True)
    assert (staged[1]["name"], staged[1]["name_repaired"]) == ("Budi", False)
    assert (staged[4]["address"], staged[4]["nik"]) == ("Jl.\x00", "3201010101900001")  # COPY drops the NUL


@pytest.mark.parametrize("skip", ["SKIPPED_ORPHAN", "SKIPPED_PARTY_UNMAPPED"])
def test_a_skipped_partition_equals_the_per_row_path(skip):
    raws = [{"id": 5, "partai_id": 13, "is_deleted": 0, "nama": "Budi"},
            {"id": 9, "partai_id": 13, "is_deleted": 1, "nama": "Ma\u00e2\u20ac\u2122ruf"}]
    partition = Partition(13, None, skip)
    ctx = _context()
    assert _sorted(*_columnar(raws, ctx, partition)) == _sorted(*transform_members("r1", raws, partition, ctx))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), DATETIME), st.text(max_size=8), st.one_of(st.none(), st.integers(0, 2**31))),
                min_size=1, max_size=20))
def test_uploads_equal_the_per_row_path(values):
    raws = [{"id": i + 1, "anggota_id": 100 + i, "path": path, "ukuran": size, "uploaded_at": at}
            for i, (at, path, size) in enumerate(values)]
    frame = pl.DataFrame(raws, schema={"id": pl.Int64, "anggota_id": pl.Int64, "path": pl.String,
                                       "ukuran": pl.Int64, "uploaded_at": pl.String})
    expected = [_staged_upload("r1", "ktp", raw) for raw in raws]
    for row in expected:
        row["path"] = row["path"].replace("\x00", "")  # COPY's text format drops NUL too
    assert columnar.transform_uploads("r1", "ktp", frame).to_dicts() == expected
