"""Mapping files load into strict models; every problem is a one-line InputError naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sipol_migrate import normalize
from sipol_migrate.errors import InputError
from sipol_migrate.mappings import load_codes, load_column_map, load_party_map
from sipol_migrate.model import FEMALE, KABKOTA, MALE, MemberRecord, OfficerRecord, UnitRecord

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"


def write(tmp_path: Path, data, name: str = "file.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def raises_one_line(load, path: Path, *words: str) -> str:
    with pytest.raises(InputError) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    for word in words:
        assert word in message, message
    return message


# --- codes ------------------------------------------------------------------------------------


def test_codes_file_loads_and_compiles():
    codes = load_codes(MAPPINGS / "codes.yaml")
    tables = codes.tables
    assert tables.gender["LAKI-LAKI"] == MALE and tables.gender["2"] == FEMALE
    assert tables.unit_level["kabupatenkota"] == KABKOTA
    assert tables.officer_role["SEKJEN"] == "SEKRETARIS"
    assert "PNS" in tables.barred_words and " KEPALA DESA " in tables.barred_phrases
    assert tables.exempt_words == {"PENSIUNAN", "PURNAWIRAWAN", "PURN", "MANTAN"}
    assert tables.office_lease_statuses == {"sewa", "pinjam pakai"}


def codes_data() -> dict:
    return yaml.safe_load((MAPPINGS / "codes.yaml").read_text(encoding="utf-8"))


def test_codes_reject_unknown_key(tmp_path):
    data = codes_data()
    data["gender"]["other"] = ["X"]
    raises_one_line(load_codes, write(tmp_path, data), "gender.other", "unknown key")


def test_codes_reject_a_spelling_with_two_meanings(tmp_path):
    data = codes_data()
    data["gender"]["female"].append(" l ")  # the key of 'L' after trim and upper-case
    raises_one_line(load_codes, write(tmp_path, data), "two meanings")


def test_codes_reject_missing_section(tmp_path):
    data = codes_data()
    del data["marital"]
    raises_one_line(load_codes, write(tmp_path, data), "marital")


def test_codes_reject_unquoted_number(tmp_path):
    data = codes_data()
    data["gender"]["male"] = [1]
    raises_one_line(load_codes, write(tmp_path, data), "gender.male")


# --- party map --------------------------------------------------------------------------------


def test_party_map_loads(tmp_path):
    path = write(tmp_path, {"parties": [{"legacy_id": 3, "code": "PKB", "name": " Partai X "}]})
    parties = load_party_map(path)
    assert parties.code_of(3) == "PKB" and parties.code_of(4) is None
    assert parties.by_legacy_id()[3].name == "Partai X"


@pytest.mark.parametrize(
    "parties, words",
    [
        ([], ["empty"]),
        (
            [
                {"legacy_id": 3, "code": "PKB", "name": "a"},
                {"legacy_id": 3, "code": "PDI", "name": "b"},
            ],
            ["duplicate legacy_id 3"],
        ),
        (
            [
                {"legacy_id": 3, "code": "PKB", "name": "a"},
                {"legacy_id": 4, "code": "PKB", "name": "b"},
            ],
            ["duplicate code PKB"],
        ),
        ([{"legacy_id": 3, "code": "../x", "name": "a"}], ["code"]),
        ([{"legacy_id": 3, "code": "/", "name": "a"}], ["code"]),
        ([{"legacy_id": 3, "code": "PK\0B", "name": "a"}], ["code"]),
        ([{"legacy_id": 3, "code": "PKB\n", "name": "a"}], ["code"]),
        ([{"legacy_id": 3, "code": "pkb", "name": "a"}], ["code"]),
        ([{"legacy_id": 3, "code": "P", "name": "a"}], ["code"]),
        ([{"legacy_id": 3, "code": "A" * 21, "name": "a"}], ["code"]),
        ([{"legacy_id": "3", "code": "PKB", "name": "a"}], ["legacy_id"]),
        ([{"legacy_id": 0, "code": "PKB", "name": "a"}], ["legacy_id"]),
        ([{"legacy_id": 3, "code": "PKB", "name": "  "}], ["name"]),
        ([{"legacy_id": 3, "code": "PKB"}], ["name"]),
        (
            [{"legacy_id": 3, "code": "PKB", "name": "a", "colour": "red"}],
            ["colour", "unknown key"],
        ),
    ],
)
def test_party_map_rejects(tmp_path, parties, words):
    raises_one_line(load_party_map, write(tmp_path, {"parties": parties}), *words)


def test_party_map_rejects_unknown_top_level_key(tmp_path):
    path = write(tmp_path, {"parties": [{"legacy_id": 3, "code": "PKB", "name": "a"}], "x": 1})
    raises_one_line(load_party_map, path, "unknown key")


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "parties: [\n", "\0"])
def test_party_map_rejects_bad_yaml(tmp_path, text):
    raises_one_line(load_party_map, write(tmp_path, text), "party map")


def test_party_map_missing_file(tmp_path):
    raises_one_line(load_party_map, tmp_path / "nope.yaml", "cannot read")


# --- column map -------------------------------------------------------------------------------

LEGACY_SCHEMA = {
    "t_anggota": set(normalize.MEMBER_COLUMNS),
    "t_kepengurusan": set(normalize.UNIT_COLUMNS) | {"created_at"},
    "t_pengurus": set(normalize.OFFICER_COLUMNS),
    "t_upload_ktp": {"id", "anggota_id", "path", "ukuran", "uploaded_at"},
    "t_upload_kta": {"id", "anggota_id", "path", "ukuran", "uploaded_at"},
    "m_partai": {"id", "nama_partai", "singkatan"},
    "m_wilayah": {"kode", "nama", "tingkat", "induk", "jumlah_penduduk"},
}


def test_column_map_matches_what_the_mappers_read():
    columns = load_column_map(MAPPINGS / "columns.yaml")
    assert tuple(columns.source_columns("member")) == normalize.MEMBER_COLUMNS
    assert tuple(columns.source_columns("unit")) == normalize.UNIT_COLUMNS
    assert tuple(columns.source_columns("officer")) == normalize.OFFICER_COLUMNS


def test_column_map_fields_are_record_fields():
    columns = load_column_map(MAPPINGS / "columns.yaml")
    for entity, record in (
        ("member", MemberRecord),
        ("unit", UnitRecord),
        ("officer", OfficerRecord),
    ):
        fields = set(record.__dataclass_fields__)
        for spec in columns.entities()[entity].columns.values():
            assert spec.field in fields, (entity, spec.field)


def test_column_map_check_source_passes_on_the_legacy_schema():
    load_column_map(MAPPINGS / "columns.yaml").check_source(LEGACY_SCHEMA)


def test_column_map_check_source_names_the_missing_column():
    reflected = {**LEGACY_SCHEMA, "t_anggota": LEGACY_SCHEMA["t_anggota"] - {"nik"}}
    with pytest.raises(InputError, match="^legacy table t_anggota lacks column nik$"):
        load_column_map(MAPPINGS / "columns.yaml").check_source(reflected)


def test_column_map_check_source_names_the_missing_table():
    reflected = {k: v for k, v in LEGACY_SCHEMA.items() if k != "t_upload_kta"}
    with pytest.raises(InputError, match="legacy table t_upload_kta is missing"):
        load_column_map(MAPPINGS / "columns.yaml").check_source(reflected)


def test_column_map_check_target():
    columns = load_column_map(MAPPINGS / "columns.yaml")
    member = {
        "party_code",
        "legacy_id",
        "nik",
        "name",
        "birth_date",
        "gender",
        "region_code",
        "kta_number",
        "status",
    }
    columns.check_target({"member": member | {"migrated_hash"}})
    with pytest.raises(InputError, match="^target table member lacks column kta_number$"):
        columns.check_target({"member": member - {"kta_number"}})
    with pytest.raises(InputError, match="target table member is missing"):
        columns.check_target({})


def test_column_map_rejects_unknown_keys(tmp_path):
    data = yaml.safe_load((MAPPINGS / "columns.yaml").read_text(encoding="utf-8"))
    data["member"]["columns"]["nik"]["kind"] = "nik"
    raises_one_line(
        load_column_map, write(tmp_path, data), "member.columns.nik.kind", "unknown key"
    )
