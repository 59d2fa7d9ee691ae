"""Where a structure finding (entity kepengurusan, pengurus, partai) belongs, in words.

The `unit` and `officer` tables come from another part of the migration; their columns are read
by reflection and used only when present, so the report works before and after they exist.
Without them a finding is described by its detail (a province or a region code) alone.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, MetaData, Table, and_, null, select

from ..model import KEPENGURUSAN, PARTAI, PENGURUS
from ..schema import finding, region
from .places import PlaceBook
from .queries import table_columns

LEVEL_NAMES = {"pusat": "DPP (pusat)", "provinsi": "DPD/DPW provinsi", "kabkota": "DPC kab/kota",
               "kecamatan": "PAC kecamatan"}
_LEVEL_COLUMNS = ("level", "tingkat")
_REGION_COLUMNS = ("legacy_region_code", "region_2017", "region_code", "kode_wilayah")
_ROLE_COLUMNS = ("role", "jabatan", "role_raw")
_UNIT_REF_COLUMNS = ("unit_legacy_id", "kepengurusan_id")


def _first(columns: set[str], names: tuple[str, ...]) -> str | None:
    return next((name for name in names if name in columns), None)


def _detail_values(detail: str | None) -> dict[str, str]:
    pairs = (part.split("=", 1) for part in (detail or "").split(";") if "=" in part)
    return {key.strip(): value.strip() for key, value in pairs}


def _flagged_ids(run_id: str, party_code: str, entity: str):
    f = finding
    return select(f.c.legacy_id).where(f.c.run_id == run_id, f.c.party_code == party_code,
                                       f.c.entity == entity)


def _column(table: Table, columns: set[str], names: tuple[str, ...]):
    name = _first(columns, names)
    return table.c[name] if name else null()


def unit_labels(target: Engine, run_id: str, party_code: str, ids=None) -> dict[int, str]:
    """legacy unit id → 'DPC kab/kota KAB. BOGOR (32.01)' for the party's flagged units."""
    columns = table_columns(target, "unit")
    if "legacy_id" not in columns:
        return {}
    unit = Table("unit", MetaData(), autoload_with=target)
    level, code = _column(unit, columns, _LEVEL_COLUMNS), _column(unit, columns, _REGION_COLUMNS)
    wanted = ids if ids is not None else _flagged_ids(run_id, party_code, KEPENGURUSAN)
    query = (select(unit.c.legacy_id, level, code, region.c.name)
             .select_from(unit.outerjoin(region, and_(region.c.code == code, region.c.year == 2017)))
             .where(unit.c.legacy_id.in_(wanted)))
    labels = {}
    with target.connect() as conn:
        for legacy_id, level_value, code_value, name in conn.execute(query):
            parts = [LEVEL_NAMES.get(level_value or "", level_value or "Kepengurusan")]
            if code_value:
                parts.append(f"{name} ({code_value})" if name else code_value)
            labels[int(legacy_id)] = " ".join(parts)
    return labels


def officer_labels(target: Engine, run_id: str, party_code: str) -> dict[int, str]:
    """legacy officer id → 'KETUA — Nama, DPC kab/kota …' for the party's flagged officers."""
    columns = table_columns(target, "officer")
    if "legacy_id" not in columns:
        return {}
    officer = Table("officer", MetaData(), autoload_with=target)
    query = select(officer.c.legacy_id, _column(officer, columns, _ROLE_COLUMNS),
                   _column(officer, columns, ("name",)), _column(officer, columns, _UNIT_REF_COLUMNS)) \
        .where(officer.c.legacy_id.in_(_flagged_ids(run_id, party_code, PENGURUS)))
    with target.connect() as conn:
        rows = conn.execute(query).all()
    units = unit_labels(target, run_id, party_code, ids=[r[3] for r in rows if r[3] is not None])
    labels = {}
    for legacy_id, role, name, unit_id in rows:
        who = " — ".join(str(v) for v in (role, name) if v) or "Pengurus"
        where = units.get(int(unit_id)) if unit_id is not None else None
        labels[int(legacy_id)] = ", ".join(part for part in (who, where) if part)
    return labels


def describer(target: Engine, run_id: str, party_code: str,
              places: PlaceBook) -> Callable[[str, int, str | None], str]:
    """A function (entity, legacy_id, detail) → where the finding belongs, for the reports."""
    units = unit_labels(target, run_id, party_code)
    officers = officer_labels(target, run_id, party_code)

    def describe(entity: str, legacy_id: int, detail: str | None) -> str:
        values = _detail_values(detail)
        if entity == PARTAI:
            prov = values.get("province")
            return f"Provinsi {places.province_name(prov)} ({prov})" if prov else "Partai (pusat)"
        if entity == PENGURUS:
            return officers.get(int(legacy_id), f"Pengurus ID {legacy_id}")
        if int(legacy_id) in units:
            return units[int(legacy_id)]
        code = values.get("code")
        return f"Kepengurusan ID {legacy_id}" + (f", kode wilayah {code}" if code else "")

    return describe
