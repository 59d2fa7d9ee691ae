"""The synthetic legacy data generator (sipol_migrate.synth).

These tests check the generator against the spec's schema and against itself (determinism,
one truth line per row, planted problems present, NIKs unique except where planted). They do
not re-implement the pipeline's rules: whether the truth is *right* is what the end-to-end
tests establish by comparing two independent implementations.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
import time
from pathlib import Path

import pymysql
import pytest
import sqlalchemy as sa
import yaml

from sipol_migrate.synth import PlantRates, synthesize
from sipol_migrate.synth.names import double_encode

SPEC_DDL = Path(__file__).resolve().parents[1] / "src" / "sipol_migrate" / "data" / "legacy_sipol_2017.sql"
MEMBER_CODES = {
    "NIK_MISSING", "NIK_MALFORMED", "NIK_INVALID_STRUCTURE", "NIK_DUPLICATE_IN_PARTY",
    "NIK_DUPLICATE_ACROSS_PARTIES", "NAME_MISSING", "NAME_ENCODING_REPAIRED", "BIRTHDATE_MISSING",
    "BIRTHDATE_NIK_MISMATCH", "GENDER_UNKNOWN", "GENDER_NIK_MISMATCH", "UNDERAGE",
    "BARRED_OCCUPATION", "KTA_MISSING", "DOC_KTP_MISSING", "DOC_KTA_MISSING", "REGION_UNKNOWN",
    "REGION_RECODED", "REGION_RETIRED", "UNIT_MISSING", "DOMICILE_OUTSIDE_UNIT",
    "SKIPPED_ORPHAN", "SKIPPED_PARTY_UNMAPPED", "SKIPPED_DELETED"}
OUTCOMES = ("SKIPPED", "MERGED", "TMS", "BMS", "MS")
# NIK as FINDINGS.md normalises it, in SQL: white space, dots and dashes out, then apostrophes.
NORMALISED_NIK = ("replace(replace(replace(replace(replace(replace(replace(nik, ' ', ''), '.', ''), "
                  "'-', ''), char(9), ''), char(160), ''), '''', ''), char(10), '')")
MARIA_ADMIN = dict(host="127.0.0.1", port=3306, user="root")


def spec_columns() -> dict[str, list[tuple[str, str]]]:
    """(column, type) per table, read from the spec DDL with a plain pattern."""
    text = re.sub(r"--[^\n]*", "", SPEC_DDL.read_text())
    tables = {}
    for name, body in re.findall(r"CREATE TABLE (\w+) \((.*?)\) ENGINE", text, re.S):
        tables[name] = [(m.group(1), m.group(2).lower())
                        for line in body.splitlines()
                        if (m := re.match(r"\s*(\w+)\s+([A-Z]+)", line)) and m.group(1) not in ("PRIMARY", "KEY")]
    return tables


def spec_widths() -> dict[tuple[str, str], int]:
    text = re.sub(r"--[^\n]*", "", SPEC_DDL.read_text())
    widths = {}
    for name, body in re.findall(r"CREATE TABLE (\w+) \((.*?)\) ENGINE", text, re.S):
        for column, width in re.findall(r"^\s*(\w+)\s+VARCHAR\((\d+)\)", body, re.M):
            widths[(name, column)] = int(width)
    return widths


def load_truth(path: Path, entity: str | None = "anggota") -> list[dict]:
    """The truth lines of one entity (default: the members), or all of them (entity None)."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [t for t in lines if entity is None or t["entity"] == entity]


def sqlite_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with sqlite3.connect(path) as conn:
        for table in spec_columns():
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1"):
                digest.update(repr(row).encode())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """A 20,000-member SQLite legacy database with the default rates."""
    folder = tmp_path_factory.mktemp("synth20k")
    started = time.perf_counter()
    summary = synthesize(f"sqlite:///{folder / 'legacy.sqlite'}", folder / "truth.jsonl", members=20_000)
    print(f"\nsynth: 20,000 members to SQLite in {time.perf_counter() - started:.1f} s")
    conn = sqlite3.connect(folder / "legacy.sqlite")
    yield folder, summary, load_truth(folder / "truth.jsonl"), conn
    conn.close()


# -- determinism and schema -------------------------------------------------------------------

def test_same_seed_gives_identical_truth_and_rows(tmp_path):
    runs = []
    for name in ("a", "b"):
        synthesize(f"sqlite:///{tmp_path / name / 'legacy.sqlite'}", tmp_path / name / "truth.jsonl",
                   members=3000, seed=99)
        runs.append(((tmp_path / name / "truth.jsonl").read_bytes(), sqlite_digest(tmp_path / name / "legacy.sqlite"),
                     (tmp_path / name / "parties.yaml").read_bytes()))
    assert runs[0] == runs[1]
    synthesize(f"sqlite:///{tmp_path / 'c' / 'legacy.sqlite'}", tmp_path / "c" / "truth.jsonl",
               members=3000, seed=100)
    assert (tmp_path / "c" / "truth.jsonl").read_bytes() != runs[0][0]


def test_sqlite_schema_is_the_spec(demo):
    _folder, _summary, _truth, conn = demo
    for table, columns in spec_columns().items():
        actual = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        assert actual == [name for name, _ in columns], table
    indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"ix_anggota_nik", "ix_anggota_partai", "ix_anggota_updated", "ix_upload_ktp_anggota"} <= indexes


def test_text_fits_the_declared_widths(demo):
    """MariaDB would truncate (with a warning) what SQLite silently stores."""
    _folder, _summary, _truth, conn = demo
    for (table, column), width in spec_widths().items():
        longest = conn.execute(f"SELECT max(length({column})) FROM {table}").fetchone()[0] or 0
        assert longest <= width, (table, column, longest, width)


def test_dates_are_stored_as_mysql_returns_them(demo):
    _folder, _summary, _truth, conn = demo
    values = {row[0] for row in conn.execute("SELECT DISTINCT tgl_lahir FROM t_anggota")}
    assert {"0000-00-00", "1900-01-01", "1899-12-30"} <= values
    assert any(re.fullmatch(r"\d{4}-00-\d\d", v) for v in values if v)
    assert all(v is None or re.fullmatch(r"\d{4}-\d\d-\d\d", v) for v in values)
    stamps = {row[0] for row in conn.execute("SELECT DISTINCT updated_at FROM t_anggota LIMIT 50000")}
    assert None in stamps and "0000-00-00 00:00:00" in stamps
    assert all(s is None or re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", s) for s in stamps)


# -- truth ------------------------------------------------------------------------------------

def test_every_member_row_has_one_truth_line(demo):
    _folder, summary, truth, conn = demo
    ids = [row[0] for row in conn.execute("SELECT id FROM t_anggota ORDER BY id")]
    assert [t["legacy_id"] for t in truth] == ids
    assert len(ids) == summary.tables["t_anggota"] == 20_000
    assert all(t["entity"] == "anggota" for t in truth)


def test_outcomes_follow_the_findings_statuses(demo):
    _folder, _summary, truth, _conn = demo
    for line in truth:
        assert line["outcome"] in OUTCOMES
        statuses = {status for _code, status, _detail in line["findings"]}
        expected = next((o for o in OUTCOMES[:-1] if o in statuses), "MS")
        assert line["outcome"] == expected, line
        if line["outcome"] in ("SKIPPED", "MERGED"):
            assert len(line["findings"]) == 1, line
        assert {code for code, _s, _d in line["findings"]} <= MEMBER_CODES


def test_every_member_code_is_planted(demo):
    _folder, summary, truth, _conn = demo
    codes = {code for t in truth for code, _s, _d in t["findings"]}
    assert codes == MEMBER_CODES
    assert all(summary.findings[code] >= 20 for code in MEMBER_CODES), summary.findings
    assert {t["outcome"] for t in truth} == set(OUTCOMES)
    several = [t for t in truth if len({s for _c, s, _d in t["findings"]} & {"BMS", "TMS"}) and len(t["findings"]) >= 3]
    assert len(several) >= 10  # rows where all findings apply, not only the deciding one


def test_party_of_a_truth_line_is_its_mapped_party(demo):
    folder, _summary, truth, conn = demo
    mapped = {p["legacy_id"]: p["code"] for p in yaml.safe_load((folder / "parties.yaml").read_text())["parties"]}
    known = {row[0] for row in conn.execute("SELECT id FROM m_partai")}
    assert set(mapped) < known and len(known - set(mapped)) == 1
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]{1,19}", code) for code in mapped.values())
    party_of = dict(conn.execute("SELECT id, partai_id FROM t_anggota"))
    for line in truth:
        assert line["party"] == mapped.get(party_of[line["legacy_id"]]), line
        codes = [c for c, _s, _d in line["findings"]]
        if party_of[line["legacy_id"]] not in known:
            assert codes == ["SKIPPED_ORPHAN"]
        elif party_of[line["legacy_id"]] not in mapped:
            assert codes == ["SKIPPED_PARTY_UNMAPPED"]


def test_niks_are_unique_except_planted_duplicates(demo):
    _folder, summary, _truth, conn = demo
    groups = conn.execute(
        f"SELECT count(*) FROM (SELECT {NORMALISED_NIK} AS n FROM t_anggota GROUP BY n "
        "HAVING count(*) > 1 AND length(n) = 16 AND n NOT GLOB '*[^0-9]*')").fetchone()[0]
    assert groups == summary.duplicate_nik_groups + summary.plants["dup_invalid_nik"]
    well_formed = "length(nik) = 16 AND nik NOT GLOB '*[^0-9]*' AND substr(nik, 13) != '0000'"  # not planted
    officers = conn.execute(f"SELECT count(*), count(DISTINCT nik) FROM t_pengurus WHERE {well_formed}").fetchone()
    assert officers[0] == officers[1] > 0
    overlap = conn.execute(f"SELECT count(*) FROM t_pengurus WHERE {well_formed} "
                           f"AND nik IN (SELECT {NORMALISED_NIK} FROM t_anggota)")
    assert overlap.fetchone()[0] == 0


def test_kept_copy_of_a_merged_row_shares_party_and_nik(demo):
    _folder, _summary, truth, conn = demo
    by_id = {t["legacy_id"]: t for t in truth}
    rows = {row[0]: row[1:] for row in conn.execute(f"SELECT id, partai_id, {NORMALISED_NIK} FROM t_anggota")}
    merged = [(t["legacy_id"], detail) for t in truth for code, _s, detail in t["findings"]
              if code == "NIK_DUPLICATE_IN_PARTY"]
    assert merged
    for legacy_id, detail in merged:
        kept = int(detail.removeprefix("kept="))
        assert rows[kept] == rows[legacy_id]
        assert by_id[kept]["outcome"] not in ("MERGED", "SKIPPED")
    assert any(by_id[int(d.removeprefix("kept="))]["outcome"] == "TMS" for _i, d in merged)


def test_region_details_name_real_codes(demo):
    folder, _summary, truth, conn = demo
    old = {row[0] for row in conn.execute("SELECT kode FROM m_wilayah WHERE tingkat IN (3, 4)")}
    new = {line.split(",", 1)[0] for line in (folder / "regions-2022.csv").read_text().splitlines()[1:]}
    domicile = dict(conn.execute("SELECT id, trim(kode_wilayah) FROM t_anggota"))
    seen = set()
    for line in truth:
        for code, _status, detail in line["findings"]:
            if code in ("REGION_RECODED", "REGION_RETIRED"):
                parts = dict(p.split("=") for p in detail.split(";"))
                assert parts["from"] in old and parts["from"] not in new
                assert parts["from"].replace(".", "") == domicile[line["legacy_id"]].replace(".", "")
                assert code == "REGION_RETIRED" or parts["to"] in new
                seen.add((code, len(parts["from"])))
            else:
                assert detail is None or code == "NIK_DUPLICATE_IN_PARTY"
    assert seen >= {("REGION_RECODED", 8), ("REGION_RECODED", 13), ("REGION_RETIRED", 8), ("REGION_RETIRED", 13)}


def test_region_lists_and_populations(demo):
    folder, _summary, _truth, conn = demo
    levels = dict(conn.execute("SELECT tingkat, count(*) FROM m_wilayah GROUP BY tingkat"))
    assert levels[1] == 34 and all(levels[level] > 0 for level in (2, 3, 4))
    regions_2022 = (folder / "regions-2022.csv").read_text().splitlines()
    assert regions_2022[0] == "kode,nama,tingkat,induk"
    assert sum(1 for line in regions_2022 if line.endswith(",1,")) == 37
    populated = dict(conn.execute("SELECT tingkat, count(jumlah_penduduk) FROM m_wilayah GROUP BY tingkat"))
    assert populated[1] == populated[3] == populated[4] == 0
    assert 0 < populated[2] < levels[2]  # at least one kab/kota without a population


def test_uploads_without_member_are_counted(demo):
    _folder, summary, _truth, conn = demo
    orphans = sum(conn.execute(f"SELECT count(*) FROM {t} WHERE anggota_id NOT IN (SELECT id FROM t_anggota)")
                  .fetchone()[0] for t in ("t_upload_ktp", "t_upload_kta"))
    assert orphans == summary.orphan_uploads > 0
    several = conn.execute("SELECT count(*) FROM (SELECT anggota_id FROM t_upload_kta GROUP BY anggota_id "
                           "HAVING count(*) > 1)").fetchone()[0]
    assert several > 0


def test_no_plants_gives_clean_rows(tmp_path):
    summary = synthesize(f"sqlite:///{tmp_path / 'legacy.sqlite'}", tmp_path / "truth.jsonl",
                         members=500, rates=PlantRates.none())
    truth = load_truth(tmp_path / "truth.jsonl")
    assert {t["outcome"] for t in truth} == {"MS"} and summary.outcomes == {"MS": 500}


def test_progress_is_reported(tmp_path):
    seen = []
    synthesize(f"sqlite:///{tmp_path / 'legacy.sqlite'}", tmp_path / "truth.jsonl", members=45_000,
               progress=seen.append, rates=PlantRates.none())
    assert seen == [20_000, 40_000, 45_000]


def test_double_encoding_avoids_bytes_cp1252_leaves_undefined():
    assert double_encode("Ma’ruf") == "Maâ€™ruf"
    assert double_encode("Désirée") == "DÃ©sirÃ©e"
    with pytest.raises(ValueError):
        double_encode("Ý")  # UTF-8 C3 9D


# -- MariaDB ----------------------------------------------------------------------------------

@pytest.mark.integration
def test_mariadb_schema_is_the_spec_and_text_round_trips(maria_url, tmp_path):
    summary = synthesize(maria_url, tmp_path / "truth.jsonl", members=2000, seed=7)
    truth = load_truth(tmp_path / "truth.jsonl")
    database = maria_url.rsplit("/", 1)[1]
    engine = sa.create_engine(maria_url + "?charset=utf8mb4")
    with engine.connect() as conn:
        for table, columns in spec_columns().items():
            actual = conn.execute(sa.text(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = :db "
                "AND table_name = :t ORDER BY ordinal_position"), {"db": database, "t": table}).all()
            assert [tuple(map(str.lower, row)) for row in actual] == columns, table
            charset = conn.execute(sa.text("SELECT table_collation FROM information_schema.tables "
                                           "WHERE table_schema = :db AND table_name = :t"),
                                   {"db": database, "t": table}).scalar_one()
            assert charset.startswith("latin1"), table
        keys = conn.execute(sa.text("SELECT DISTINCT index_name FROM information_schema.statistics "
                                    "WHERE table_schema = :db AND table_name = 't_anggota'"), {"db": database})
        assert {k[0] for k in keys} == {"PRIMARY", "ix_anggota_partai", "ix_anggota_nik", "ix_anggota_updated"}
        count = conn.execute(sa.text("SELECT count(*) FROM t_anggota")).scalar_one()
        assert count == summary.tables["t_anggota"] == len(truth)
        repaired = [t["legacy_id"] for t in truth if any(c == "NAME_ENCODING_REPAIRED" for c, _s, _d in t["findings"])]
        assert repaired
        double_encoded, correct_latin1 = set(), set()
        for legacy_id, shown, stored in conn.execute(sa.text("SELECT id, nama, CAST(nama AS BINARY) FROM t_anggota")):
            if not stored or stored.isascii():
                continue
            try:
                real = stored.decode("utf-8")  # the bytes on disk are the UTF-8 of the real name
            except UnicodeDecodeError:  # stored right in latin1 ('André'): read back as it is
                assert stored.decode("cp1252") == shown
                correct_latin1.add(legacy_id)
            else:
                assert shown == double_encode(real) and shown != real
                double_encoded.add(legacy_id)
        assert set(repaired) <= double_encoded
        assert correct_latin1 and not correct_latin1 & set(repaired)
        zero = conn.execute(sa.text("SELECT count(*) FROM t_anggota WHERE CAST(tgl_lahir AS CHAR) = '0000-00-00'"))
        assert zero.scalar_one() > 0
    engine.dispose()


@pytest.mark.integration
def test_mariadb_database_is_created_when_missing(tmp_path):
    name = f"t_synth_{secrets.token_hex(5)}"
    try:
        synthesize(f"mysql+pymysql://root@127.0.0.1:3306/{name}", tmp_path / "truth.jsonl", members=300)
        conn = pymysql.connect(database=name, **MARIA_ADMIN)
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM t_anggota")
            assert cursor.fetchone()[0] == 300
        conn.close()
    finally:
        conn = pymysql.connect(**MARIA_ADMIN)
        with conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


# -- units, officers and parties ---------------------------------------------------------------

STRUCTURE_CODES = {
    "UNIT_LEVEL_UNKNOWN", "UNIT_REGION_INVALID", "MGMT_PROVINCE_MISSING", "MGMT_KABKOTA_COVERAGE",
    "MGMT_KECAMATAN_COVERAGE", "MGMT_WOMEN_SHARE", "MGMT_OFFICER_MISSING", "OFFICE_LEASE_EXPIRED",
    "MEMBERSHIP_BELOW_MINIMUM", "OFFICER_NIK_INVALID", "OFFICER_GENDER_UNKNOWN",
    "SKIPPED_ORPHAN", "SKIPPED_PARTY_UNMAPPED", "SKIPPED_DELETED"}


def test_structure_truth_has_one_line_per_unit_officer_and_party(demo):
    folder, summary, _truth, conn = demo
    everything = load_truth(folder / "truth.jsonl", entity=None)
    for entity, table in (("kepengurusan", "t_kepengurusan"), ("pengurus", "t_pengurus"), ("partai", "m_partai")):
        ids = [row[0] for row in conn.execute(f"SELECT id FROM {table} ORDER BY id")]
        assert sorted(t["legacy_id"] for t in everything if t["entity"] == entity) == ids, entity
    structure = [t for t in everything if t["entity"] != "anggota"]
    assert all(t["outcome"] is None for t in structure)
    codes = {code for t in structure for code, _s, _d in t["findings"]}
    assert codes == STRUCTURE_CODES and set(summary.structure_findings) == STRUCTURE_CODES
    details = {code: detail for t in structure for code, _s, detail in t["findings"]}
    assert details["MGMT_KABKOTA_COVERAGE"].startswith("province=") and details["OFFICE_LEASE_EXPIRED"] is None
    women = {d for t in structure for c, _s, d in t["findings"] if c == "MGMT_WOMEN_SHARE"}
    assert {"women=29;officers=100", "women=0;officers=0"} <= women


def test_structure_truth_party_follows_the_unit(demo):
    folder, _summary, _truth, conn = demo
    mapped = {p["legacy_id"]: p["code"] for p in yaml.safe_load((folder / "parties.yaml").read_text())["parties"]}
    party_of_unit = dict(conn.execute("SELECT id, partai_id FROM t_kepengurusan"))
    unit_of_officer = dict(conn.execute("SELECT id, kepengurusan_id FROM t_pengurus"))
    for line in load_truth(folder / "truth.jsonl", entity=None):
        if line["entity"] == "kepengurusan":
            assert line["party"] == mapped.get(party_of_unit[line["legacy_id"]]), line
        elif line["entity"] == "pengurus":
            assert line["party"] == mapped.get(party_of_unit.get(unit_of_officer[line["legacy_id"]])), line
