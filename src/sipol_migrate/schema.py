"""The target schema, owned by the project: live tables, staging tables, run bookkeeping.

`create_schema()` creates what is missing (idempotent). Staging rows carry `run_id`, so a run's
staged data can be resumed, inspected by the quality gate, published in one transaction, or
discarded without touching the live tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger, Boolean, Column, Date, DateTime, Index, Integer, MetaData, PrimaryKeyConstraint, String,
    Table, Text, case, func, literal, cast, text,
)
from sqlalchemy.engine import Engine

metadata = MetaData()

RUN_ID = String(40)


def _member_columns() -> list[Column]:
    """Columns a member has both in staging, in the live table and in the holding table."""
    return [
        Column("party_code", String(20), nullable=True),
        Column("partai_id", BigInteger, nullable=False),
        # Text, not VARCHAR(n): a legacy value is kept whatever its length (a SQLite source has no
        # length limits); the findings say what is wrong with it.
        Column("nik", Text),
        Column("name", Text),
        Column("birth_place", Text),
        Column("birth_date", Date),
        Column("gender", String(1)),
        Column("marital_status", String(12)),
        Column("occupation", Text),
        Column("address", Text),
        Column("no_kk", Text),
        Column("region_code", Text),  # 2022 code the member is migrated under
        Column("legacy_region_code", Text),  # normalised 2017 code as the legacy row had it
        Column("kta_number", Text),
        Column("unit_legacy_id", BigInteger),
        Column("name_repaired", Boolean),
        Column("nik_scientific", Boolean),
        Column("legacy_updated_at", DateTime),
        Column("nik_valid", Boolean),  # no NIK_MISSING / NIK_MALFORMED / NIK_INVALID_STRUCTURE
        Column("row_status", String(3)),  # worst status of the row rules: TMS / BMS / MS
    ]


# Content a party may correct; the fingerprint covers exactly these (see `content_hash`).
MEMBER_CONTENT = (
    "nik", "name", "birth_place", "birth_date", "gender", "marital_status", "occupation",
    "address", "no_kk", "region_code", "kta_number", "unit_legacy_id",
)

party = Table(
    "party", metadata,
    Column("code", String(20), primary_key=True),
    Column("legacy_id", BigInteger, nullable=False, unique=True),
    Column("name", String(200), nullable=False),
)

def _region_columns() -> list[Column]:
    return [
        Column("year", Integer, primary_key=True),  # 2017 (legacy m_wilayah) or 2022 (--regions)
        Column("code", String(13), primary_key=True),
        Column("name", String(120), nullable=False),
        Column("level", Integer, nullable=False),
        Column("parent", String(13)),
        Column("population", BigInteger),
    ]


region = Table("region", metadata, *_region_columns())

member = Table(
    "member", metadata,
    Column("legacy_id", BigInteger, primary_key=True),
    *_member_columns(),
    Column("status", String(3), nullable=False),
    Column("migrated_hash", String(32), nullable=False),
    Column("migrated_run_id", RUN_ID, nullable=False),
    Index("ix_member_party", "party_code"),
    Index("ix_member_nik", "nik"),
)

member_holding = Table(
    "member_holding", metadata,
    Column("legacy_id", BigInteger, primary_key=True),
    *_member_columns(),
    Column("outcome", String(7), nullable=False),
    Index("ix_holding_party", "party_code"),
)


def _document_columns() -> list[Column]:
    """A member's latest KTP and KTA upload, beside its legacy id (member_document, stg_document)."""
    return [
        Column("party_code", String(20)),
        Column("ktp_legacy_id", BigInteger),
        Column("ktp_path", Text),
        Column("ktp_size", BigInteger),
        Column("ktp_uploaded_at", DateTime),
        Column("kta_legacy_id", BigInteger),
        Column("kta_path", Text),
        Column("kta_size", BigInteger),
        Column("kta_uploaded_at", DateTime),
    ]


member_document = Table(
    "member_document", metadata,
    Column("member_legacy_id", BigInteger, primary_key=True),
    *_document_columns(),
)

def _unit_columns() -> list[Column]:
    """Columns a management unit (t_kepengurusan) has in staging and in the live table."""
    return [
        Column("party_code", String(20)),
        Column("partai_id", BigInteger),  # NULL only for a SKIPPED row a reconcile carries over
        Column("level", String(10)),  # pusat | provinsi | kabkota | kecamatan, NULL when unknown
        Column("level_raw", Text),
        Column("region_code", Text),  # 2022 translation of a valid region, else the 2017 code
        Column("legacy_region_code", Text),  # normalised 2017 code as the legacy row had it
        Column("no_sk", Text),
        Column("sk_date", Date),
        Column("office_address", Text),
        Column("office_status", Text),
        Column("office_valid_until", Date),
        Column("region_valid", Boolean),  # a region of the unit's level in 2017 (pusat: true)
    ]


def _officer_columns() -> list[Column]:
    """Columns an officer (t_pengurus) has in staging and in the live table."""
    return [
        Column("unit_legacy_id", BigInteger),
        Column("party_code", String(20)),
        Column("partai_id", BigInteger),  # the unit's partai_id, NULL when the unit does not exist
        Column("role", String(12)),  # KETUA | SEKRETARIS | BENDAHARA, NULL for any other role
        Column("role_raw", Text),
        Column("nik", Text),
        Column("name", Text),
        Column("gender", String(1)),
        Column("phone", Text),
    ]


unit = Table(
    "unit", metadata,
    Column("legacy_id", BigInteger, primary_key=True),
    *_unit_columns(),
    Index("ix_unit_party", "party_code"),
)

officer = Table(
    "officer", metadata,
    Column("legacy_id", BigInteger, primary_key=True),
    *_officer_columns(),
    Index("ix_officer_unit", "unit_legacy_id"),
)

# The current row-level findings of every member (migrated or not): what a later incremental run
# or `reconcile` starts from for the rows it does not read again.
member_row_finding = Table(
    "member_row_finding", metadata,
    Column("legacy_id", BigInteger, primary_key=True),
    Column("code", String(40), primary_key=True),
    Column("status", String(7), nullable=False),
    Column("field", String(40)),
    Column("detail", Text),
)

finding = Table(
    "finding", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("run_id", RUN_ID, nullable=False),
    Column("party_code", String(20)),
    Column("entity", String(12), nullable=False),
    Column("legacy_id", BigInteger, nullable=False),
    Column("code", String(40), nullable=False),
    Column("status", String(7), nullable=False),
    Column("outcome", String(7)),
    Column("field", String(40)),
    Column("detail", Text),
    Index("ix_finding_run_party", "run_id", "party_code"),
)

migration_run = Table(
    "migration_run", metadata,
    Column("run_id", RUN_ID, primary_key=True),
    Column("kind", String(12), nullable=False),  # run | reconcile
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("state", String(12), nullable=False),  # staging | published | failed | abandoned
    Column("fingerprint", String(64), nullable=False),
    Column("settings", Text),
    Column("ledger", Text),
    Column("stats", Text),
    Column("error", Text),
)

run_checkpoint = Table(
    "run_checkpoint", metadata,
    Column("run_id", RUN_ID, primary_key=True),
    Column("phase", String(16), primary_key=True),
    Column("partition_key", String(40), primary_key=True),
    Column("batch_no", Integer, primary_key=True),
    Column("last_id", BigInteger, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("committed_at", DateTime, nullable=False, server_default=func.current_timestamp()),
)

stg_member = Table(
    "stg_member", metadata,
    Column("run_id", RUN_ID, nullable=False),
    Column("legacy_id", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_id", "legacy_id", name="stg_member_pkey").ddl_if(dialect="sqlite"),  # see BULK_STAGING
    *_member_columns(),
    Column("is_deleted", Boolean, nullable=False),
    Column("origin", String(6), nullable=False, server_default="legacy"),  # legacy | live
    Column("outcome", String(7)),  # staging: SKIPPED or the row rules' status; then the set rules (setrules.py)
    Column("kept_id", BigInteger),
    Index("ix_stg_member_nik", "run_id", "nik").ddl_if(dialect="sqlite"),  # see BULK_STAGING
)

stg_finding = Table(
    "stg_finding", metadata,
    Column("run_id", RUN_ID, nullable=False),
    Column("party_code", String(20)),
    Column("entity", String(12), nullable=False),
    Column("legacy_id", BigInteger, nullable=False),
    Column("code", String(40), nullable=False),
    Column("status", String(7), nullable=False),
    Column("field", String(40)),
    Column("detail", Text),
    Column("origin", String(4), nullable=False),  # row | set | edit
    Index("ix_stg_finding_run_entity", "run_id", "entity", "legacy_id").ddl_if(dialect="sqlite"),  # see BULK_STAGING
)

stg_upload = Table(
    "stg_upload", metadata,
    Column("run_id", RUN_ID, nullable=False),
    Column("kind", String(3), nullable=False),  # ktp | kta
    Column("legacy_id", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_id", "kind", "legacy_id", name="stg_upload_pkey").ddl_if(dialect="sqlite"),
    Column("anggota_id", BigInteger, nullable=False),
    Column("path", String(255)),
    Column("size", BigInteger),
    Column("uploaded_at", DateTime),
    Index("ix_stg_upload_member", "run_id", "anggota_id").ddl_if(dialect="sqlite"),  # see BULK_STAGING
)

# The member_document rows of a run (publish.prepare_documents), computed while the run's quality
# gate goes on and copied into member_document when it publishes.
stg_document = Table(
    "stg_document", metadata,
    Column("run_id", RUN_ID, nullable=False),
    Column("member_legacy_id", BigInteger, nullable=False),
    *_document_columns(),
)

stg_region = Table("stg_region", metadata, Column("run_id", RUN_ID, primary_key=True), *_region_columns())

# Ids present in the source, fetched only for partitions whose counts reveal rows deleted outright.
stg_source_id = Table(
    "stg_source_id", metadata,
    Column("run_id", RUN_ID, primary_key=True),
    Column("legacy_id", BigInteger, primary_key=True),
)

# Units and officers of a run; outcome MIGRATED or SKIPPED (decided at staging, see units.py).
stg_unit = Table(
    "stg_unit", metadata,
    Column("run_id", RUN_ID, primary_key=True),
    Column("legacy_id", BigInteger, primary_key=True),
    *_unit_columns(),
    Column("is_deleted", Boolean, nullable=False),
    Column("outcome", String(8), nullable=False),
)

stg_officer = Table(
    "stg_officer", metadata,
    Column("run_id", RUN_ID, primary_key=True),
    Column("legacy_id", BigInteger, primary_key=True),
    *_officer_columns(),
    Column("is_deleted", Boolean, nullable=False),
    Column("outcome", String(8), nullable=False),
    Index("ix_stg_officer_unit", "run_id", "unit_legacy_id"),
)

# Bulk staging on PostgreSQL. SQLite, single-writer and planning nested loops, keeps its keys and
# indexes for the set rules and the publish. PostgreSQL hash-joins millions of staged rows without
# them, and COPY of 2 M staged members took 10.8 s into a logged table with its key, 7.3 s
# unlogged, 4.7 s unlogged without the key:
# - no secondary index and no primary key on the big staging tables; the ledger (rows and id sum
#   per partai_id, ledger.py) proves each legacy member was staged exactly once;
# - UNLOGGED staging tables and checkpoints: no WAL for rows that live only until the publish.
#   After a server crash PostgreSQL empties unlogged tables, the checkpoints with the rows, so the
#   resumed run stages again from the start; stg_region, written once when a run opens, stays
#   logged.
BULK_STAGING_INDEXES = ("ix_stg_member_nik", "ix_stg_finding_run_entity", "ix_stg_upload_member")
BULK_STAGING_KEYS = {"stg_member": "stg_member_pkey", "stg_upload": "stg_upload_pkey"}

STAGING_TABLES = (stg_member, stg_finding, stg_upload, stg_document, stg_region, stg_source_id, stg_unit,
                  stg_officer)
UNLOGGED_TABLES = (*(t for t in STAGING_TABLES if t is not stg_region), run_checkpoint)


def content_hash(table: Table):
    """md5 over the member content columns, the same SQL on every dialect (NULL ≠ '')."""
    parts = [func.coalesce(cast(table.c[name], Text), literal("\x1e")) for name in MEMBER_CONTENT]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.op("||")(literal("\x1f")).op("||")(part)
    return func.md5(joined)


def outcome_after_row_rules(outcome, status):
    """The outcome of a staged row whose row rules gave `status`, as staging writes it: a SKIPPED
    row stays SKIPPED, any other takes `status` until the set rules (setrules.py)."""
    return case((outcome == "SKIPPED", "SKIPPED"), else_=status)


def create_schema(engine: Engine) -> None:
    metadata.create_all(engine, checkfirst=True)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            _bulk_staging(conn)


def _bulk_staging(conn) -> None:
    """PostgreSQL: bring staging tables an earlier version created to what BULK_STAGING says."""
    def present(kind: str, names, extra: str = "") -> set[str]:
        query = (f"SELECT relname FROM pg_class WHERE relkind = '{kind}' {extra} AND relname = ANY(:names)"
                 " AND relnamespace = current_schema()::regnamespace")
        return set(conn.execute(text(query), {"names": list(names)}).scalars())

    indexes = present("i", [*BULK_STAGING_INDEXES, *BULK_STAGING_KEYS.values()])
    for name in indexes.intersection(BULK_STAGING_INDEXES):
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    for table, key in BULK_STAGING_KEYS.items():
        if key in indexes:
            conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{key}"')
    for name in present("r", [t.name for t in UNLOGGED_TABLES], "AND relpersistence = 'p'"):
        conn.exec_driver_sql(f'ALTER TABLE "{name}" SET UNLOGGED')
