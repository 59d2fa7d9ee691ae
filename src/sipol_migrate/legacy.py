"""The legacy tables as SQLAlchemy Core objects, for reading only.

Columns are declared as the extract layer wants to receive them: DATE and DATETIME columns are
`String`, because the raw value is parsed by normalisation (zero dates are legal in the source).
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

legacy_metadata = MetaData()

m_wilayah = Table(
    "m_wilayah", legacy_metadata,
    Column("kode", String(13), primary_key=True),
    Column("nama", String(100)),
    Column("tingkat", Integer),
    Column("induk", String(13)),
    Column("jumlah_penduduk", Integer),
)

m_partai = Table(
    "m_partai", legacy_metadata,
    Column("id", Integer, primary_key=True),
    Column("nama_partai", String(150)),
    Column("singkatan", String(30)),
    Column("no_urut", Integer),
    Column("alamat_dpp", Text),
    Column("email", String(100)),
    Column("created_at", String(19)),
)

t_kepengurusan = Table(
    "t_kepengurusan", legacy_metadata,
    Column("id", Integer, primary_key=True),
    Column("partai_id", Integer),
    Column("tingkat", String(20)),
    Column("kode_wilayah", String(13)),
    Column("no_sk", String(100)),
    Column("tgl_sk", String(10)),
    Column("alamat_kantor", Text),
    Column("status_kantor", String(30)),
    Column("kantor_berlaku_sampai", String(10)),
    Column("is_deleted", Integer),
    Column("created_at", String(19)),
    Column("updated_at", String(19)),
)

t_pengurus = Table(
    "t_pengurus", legacy_metadata,
    Column("id", Integer, primary_key=True),
    Column("kepengurusan_id", Integer),
    Column("jabatan", String(50)),
    Column("nik", String(25)),
    Column("nama", String(100)),
    Column("jenis_kelamin", String(10)),
    Column("no_hp", String(20)),
    Column("is_deleted", Integer),
)

t_anggota = Table(
    "t_anggota", legacy_metadata,
    Column("id", Integer, primary_key=True),
    Column("partai_id", Integer),
    Column("kepengurusan_id", Integer),
    Column("nik", String(25)),
    Column("no_kk", String(25)),
    Column("nama", String(100)),
    Column("tempat_lahir", String(60)),
    Column("tgl_lahir", String(10)),
    Column("jenis_kelamin", String(10)),
    Column("status_kawin", String(20)),
    Column("pekerjaan", String(60)),
    Column("alamat", String(255)),
    Column("kode_wilayah", String(13)),
    Column("no_kta", String(40)),
    Column("is_deleted", Integer),
    Column("created_by", String(50)),
    Column("created_at", String(19)),
    Column("updated_at", String(19)),
)


def _upload_table(name: str) -> Table:
    return Table(
        name, legacy_metadata,
        Column("id", Integer, primary_key=True),
        Column("anggota_id", Integer),
        Column("path", String(255)),
        Column("ukuran", Integer),
        Column("uploaded_at", String(19)),
    )


t_upload_ktp = _upload_table("t_upload_ktp")
t_upload_kta = _upload_table("t_upload_kta")

LEGACY_TABLES = {t.name: t for t in legacy_metadata.sorted_tables}
