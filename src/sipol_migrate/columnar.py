"""Member staging as columns: a batch of t_anggota mapped and checked at once (polars).

The per-row path (`stage.transform_members`: `normalize.map_member` + `rules.member_findings`)
costs about 40 µs of Python per member, which alone is more than the whole copy budget of the
member phase on two cores. This module stages the same rows with the same findings, batch by
batch, without a Python object per row:

- A text value that is not plain ASCII (double-encoded UTF-8 and other repairs, non-breaking
  spaces, NUL) is normalised by the per-row function of its column itself (`_patched`): the
  repair rules stay in one place, and such values are a few per cent. The rest of its row, and
  every rule, still runs as columns.
- Skipped rows (soft-deleted ones, and every row of a partition of an unmapped or unknown party)
  keep only their ids and a SKIPPED finding, built as columns too (`_skipped`).
- Columns with few distinct values in a batch (gender, marital status, occupation) are
  normalised and judged by the per-row functions themselves, once per distinct value; so are
  dates that are not printed the way MariaDB prints them.
- Region validity and translation, units and the NIK's birth digits are joins against small
  frames built once per rule context.
- Everything else (NIK, names, addresses, KK, KTA, region codes, dates, every row rule) is a
  polars expression written from FINDINGS.md like its per-row twin. `tests/unit/test_columnar.py`
  (generated rows) and `tests/integration/test_columnar_staging.py` (a synthesised source staged
  both ways) hold the two paths to identical staged rows and findings.

Reads come from connectorx (Rust: the GIL is released, so the prefetching reader really
overlaps the work), dates cast to text by MariaDB (zero dates would not convert); writes are one
binary COPY per table (load.write_rows). Used for partitions read whole (not incremental) from
a MariaDB source into PostgreSQL when polars and connectorx are installed (`usable`); otherwise
the per-row path runs as before.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlalchemy import Engine, String, cast, select
from sqlalchemy.dialects import mysql

from . import memory
from .legacy import LEGACY_TABLES
from .mappings import Codes
from .model import ANGGOTA, EVER_MARRIED, FEMALE, KABKOTA
from .normalize import (
    DATE_FLOOR, clean_text, normalize_gender, normalize_kta, normalize_marital, normalize_name, normalize_nik,
    normalize_region_code, parse_date, parse_datetime,
)
from .rules import STATUS_OF, nik_birth
from .rules.member import MINIMUM_AGE, MemberRuleContext, barred_remembered
from .schema import stg_finding, stg_member, stg_upload

try:  # optional at import: without them `usable` is False and the per-row path runs
    import connectorx
    import polars as pl
except ImportError:  # pragma: no cover - the project installs both
    connectorx = pl = None  # type: ignore[assignment]

# What Python's str.split()/strip() take for white space among ASCII characters.
_WS_CHARS = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
_MEMBER_COLUMNS = [c.name for c in stg_member.columns]


def usable(source: Engine, target: Engine, changed=None) -> bool:
    """Whether rows can be staged here: partitions read whole (no incremental `changed` clause),
    MariaDB/MySQL over TCP into PostgreSQL, polars and connectorx installed."""
    url = source.url
    return (pl is not None and changed is None
            and url.get_backend_name() in ("mysql", "mariadb") and url.host is not None
            and target.dialect.name == "postgresql")


# --- reading ----------------------------------------------------------------------------------

UPLOAD_COLUMNS = ("id", "anggota_id", "path", "ukuran", "uploaded_at")
_DATE_COLUMNS = {"tgl_lahir", "updated_at", "uploaded_at"}  # as MariaDB prints them: zero dates too


def _connectorx_url(source: Engine) -> str:
    return source.url.set(drivername="mysql", query={}).render_as_string(hide_password=False)


@lru_cache(maxsize=8)
def _batch_sql(table_name: str, columns: tuple[str, ...], by_party: bool, bounded: bool) -> str:
    """The batch query, with placeholders for the party, the last id read, the last id of the
    range and the batch size."""
    table = LEGACY_TABLES[table_name]
    cols = [cast(table.c[name], String).label(name) if name in _DATE_COLUMNS else table.c[name]
            for name in columns]
    query = select(*cols).where(table.c.id > -1002).order_by(table.c.id).limit(1003)
    if by_party:
        query = query.where(table.c.partai_id == -1001)
    if bounded:
        query = query.where(table.c.id <= -1004)
    sql = str(query.compile(dialect=mysql.dialect(), compile_kwargs={"literal_binds": True}))
    return (sql.replace("-1001", "{partai_id}").replace("-1002", "{after}").replace("-1004", "{last}")
            .replace("1003", "{limit}"))


def read_batches(source: Engine, table_name: str, columns: tuple[str, ...], batch_size: int, after_id: int,
                 partai_id: int | None = None, last_id: int | None = None):
    """Yield polars frames of a legacy table (one party's rows of it, given `partai_id`; up to
    `last_id`, given) in id order, by keyset pages like extract.iter_batches."""
    memory.limit_arenas()
    url = _connectorx_url(source)
    template = _batch_sql(table_name, columns, partai_id is not None, last_id is not None)
    last = after_id
    while True:
        sql = template.format(partai_id=int(partai_id or 0), after=int(last), last=int(last_id or 0),
                              limit=int(batch_size))
        frame = connectorx.read_sql(url, sql, return_type="polars")
        if frame.height == 0:
            return
        yield frame
        if frame.height < batch_size:
            return
        last = int(frame["id"][-1])


# --- reference frames (once per rule context) -------------------------------------------------


@lru_cache(maxsize=1)
def _nik_births() -> pl.DataFrame:
    """Every DDMMYY that is a calendar date by the NIK rule, with what it says."""
    rows = []
    for day in range(100):
        for month in range(1, 13):
            for yy in range(100):
                digits = f"{day:02d}{month:02d}{yy:02d}"
                found = nik_birth(digits)
                if found is not None:
                    rows.append((digits, *found))
    return pl.DataFrame(rows, schema={"b_digits": pl.String, "b_day": pl.Int32, "b_month": pl.Int32,
                                      "b_yy": pl.Int32, "b_woman": pl.Boolean}, orient="row")


def warm() -> None:
    """Build now what every batch needs whatever the run (a worker process does while it waits)."""
    if pl is not None:
        _nik_births()


@dataclass(eq=False)
class ColumnContext:
    """What this path reads of a MemberRuleContext: its codes and reference date, and its regions
    and units as frames. A staging process that stages whole partitions only is given this
    instead of the rule context (member_workers): the regions and units as Python objects take
    about 100 MB in each process, these frames about 10."""

    codes: Codes
    reference_date: date
    districts: pl.Series  # kecamatan digits of either reference
    units: pl.DataFrame
    domiciles: pl.DataFrame  # the valid domiciles with their translation
    barred: dict[str, bool] = field(default_factory=dict, repr=False)  # occupation → barred

    def is_barred(self, occupation: str) -> bool:
        return barred_remembered(self.barred, occupation, self.codes)


_built: dict[int, tuple] = {}
_built_lock = threading.Lock()  # partitions staged in threads share one context


def column_context(ctx: MemberRuleContext | ColumnContext) -> ColumnContext:
    """The ColumnContext of a rule context, built once per context (one per run)."""
    if isinstance(ctx, ColumnContext):
        return ctx
    key = id(ctx)
    with _built_lock:
        if key not in _built:
            _built.clear()  # one context per run (the entry keeps it alive: ids stay unique)
            # Without the collector: its passes over a staging process's whole heap, triggered
            # by the tuples built here, took 1.0 of 1.5 s at the start of every process's staging.
            collecting = gc.isenabled()
            gc.disable()
            try:
                _built[key] = (ctx, _build(ctx))
            finally:
                if collecting:
                    gc.enable()
        return _built[key][1]


def _build(ctx: MemberRuleContext) -> ColumnContext:
    units = [(uid, unit.partai_id, not unit.is_deleted and unit.level == KABKOTA, unit.region_2017,
              ctx.regions.is_unit_region_valid(KABKOTA, unit.region_2017))
             for uid, unit in ctx.units.items()]
    unit_frame = pl.DataFrame(units, orient="row", schema={
        "kepengurusan_id": pl.Int64, "u_partai": pl.Int64, "u_ok": pl.Boolean, "u_region": pl.String,
        "u_region_valid": pl.Boolean})
    districts = pl.Series("d", sorted(ctx.regions.kecamatan_digits()), dtype=pl.String)
    domiciles = pl.DataFrame(ctx.regions.domiciles(), orient="row", schema={
        "legacy_region_code": pl.String, "region_new": pl.String}).with_columns(region_valid=pl.lit(True))
    return ColumnContext(ctx.codes, ctx.reference_date, districts, unit_frame, domiciles)


# --- mapping ----------------------------------------------------------------------------------


def _per_value(values: pl.Series, fn, dtype) -> pl.Series:
    """`fn` applied once per distinct non-null value (nulls give null, as fn(None) does)."""
    distinct = values.drop_nulls().unique()
    mapped = pl.Series([fn(v) for v in distinct.to_list()], dtype=dtype)
    return values.replace_strict(distinct, mapped, default=None, return_dtype=dtype)


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr != "").then(expr)  # no otherwise: null, and the output keeps its name


def _stripped(name: str) -> pl.Expr:
    """clean_text of ASCII text: trimmed, None when blank."""
    return _blank_to_null(pl.col(name).str.strip_chars(_WS_CHARS))


def _identity_number(name: str) -> pl.Expr:
    """normalize_nik of ASCII text: no white space, '.', '-', then one leading apostrophe."""
    compact = pl.col(name).str.replace_all(r"[\t\n\x0B\x0C\r\x1C-\x1F .\-]+", "")
    return _blank_to_null(compact.str.strip_prefix("'"))


def _kta(missing_chars: str) -> pl.Expr:
    only_missing = "^[" + "".join(f"\\x{{{ord(ch):X}}}" for ch in _WS_CHARS + missing_chars) + "]*$"
    text = _stripped("no_kta")
    return pl.when(~text.str.contains(only_missing)).then(text)


_DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATETIME_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"


def _date_column(values: pl.Series, parse, pattern: str, fmt: str, dtype) -> pl.Series:
    """`parse` (normalize.parse_date / parse_datetime) of each value: text as MariaDB prints a
    date parsed by polars (an impossible date such as 0000-00-00 is null, as there), any other
    text by `parse` itself; then dates on or before the floor are missing, as `parse` says."""
    plain = values.str.contains(pattern).fill_null(False)
    parsed = values.str.strptime(dtype, fmt, strict=False)
    other = _per_value(values.filter(~plain), parse, dtype)
    out = parsed.scatter((~plain).arg_true(), other) if other.len() else parsed
    if dtype == pl.Date:
        out = pl.select(pl.when(out > DATE_FLOOR).then(out)).to_series()
    return out


def _plain(name: str) -> pl.Expr:
    """The value is ASCII (one byte per character) without NUL, or null: the expressions of
    `_mapped` normalise it as the per-row functions do."""
    text = pl.col(name)
    return ((text.str.len_bytes() == text.str.len_chars()) & ~text.str.contains("\x00", literal=True)).fill_null(True)


def _patched(frame: pl.DataFrame, mapped: pl.DataFrame, odd: pl.Series, raw: str, fn, outputs: dict) -> pl.DataFrame:
    """`mapped` with the values of `outputs` (its column → position in fn's result, None: the
    result itself) replaced, in the `odd` rows, by `fn` of their `raw` text."""
    if not odd.any():
        return mapped
    at = odd.arg_true()
    results = [fn(value) for value in frame[raw].filter(odd).to_list()]
    return mapped.with_columns(
        mapped[column].scatter(at, pl.Series([r if i is None else r[i] for r in results], dtype=mapped[column].dtype))
        for column, i in outputs.items())


# The values `_mapped` hands to the per-row function of their column: text that is not plain,
# and text the expressions leave as it is, so they need not rewrite every value.
_ODD = {
    "nik": lambda: pl.col("nik").str.contains_any(["e", "E"]),  # perhaps scientific notation
    "nama": lambda: pl.col("nama").str.contains(r"[\t\n\x0B\x0C\r\x1C-\x1F]|  |^ | $"),  # white space to tidy
    "kode_wilayah": lambda: _stripped("kode_wilayah").str.contains(r"^(?:[0-9]{6}|[0-9]{10})$"),  # undotted
}


def _mapped(rows: pl.DataFrame, ctx: ColumnContext) -> pl.DataFrame:
    """The normalised columns (normalize.map_member), plus the lookups the rules need."""
    codes = ctx.codes
    mapped = rows.select(
        pl.col("id").cast(pl.Int64).alias("legacy_id"),
        pl.col("partai_id").cast(pl.Int64),
        pl.col("party_code"),
        pl.col("kepengurusan_id").cast(pl.Int64).alias("unit_legacy_id"),
        _identity_number("nik").alias("nik"),
        pl.lit(False).alias("nik_scientific"),
        _identity_number("no_kk").alias("no_kk"),
        _blank_to_null(pl.col("nama")).alias("name"),
        pl.lit(False).alias("name_repaired"),
        _stripped("tempat_lahir").alias("birth_place"),
        _stripped("alamat").alias("address"),
        _stripped("pekerjaan").alias("occupation"),
        _kta(codes.tables.kta_missing_chars).alias("kta_number"),
        _stripped("kode_wilayah").alias("legacy_region_code"),
    )
    patches = (  # the values the expressions above do not handle, by their column's own function
        ("nik", normalize_nik, {"nik": 0, "nik_scientific": 1}),
        ("no_kk", normalize_nik, {"no_kk": 0}),
        ("nama", normalize_name, {"name": 0, "name_repaired": 1}),
        ("tempat_lahir", clean_text, {"birth_place": None}),
        ("alamat", clean_text, {"address": None}),
        ("pekerjaan", clean_text, {"occupation": None}),
        ("no_kta", lambda v: normalize_kta(v, codes), {"kta_number": None}),
        ("kode_wilayah", normalize_region_code, {"legacy_region_code": None}),
    )
    odd = rows.select((~_plain(raw) | _ODD[raw]().fill_null(False)).alias(raw) if raw in _ODD else ~_plain(raw)
                      for raw, _, _ in patches)
    for raw, fn, outputs in patches:
        mapped = _patched(rows, mapped, odd[raw], raw, fn, outputs)
    return mapped.with_columns(
        birth_date=_date_column(rows["tgl_lahir"], parse_date, _DATE_TEXT, "%Y-%m-%d", pl.Date),
        legacy_updated_at=_date_column(rows["updated_at"], parse_datetime, _DATETIME_TEXT,
                                       "%Y-%m-%d %H:%M:%S", pl.Datetime("us")),
        gender=_per_value(rows["jenis_kelamin"], lambda v: normalize_gender(v, codes), pl.String),
        marital_status=_per_value(rows["status_kawin"], lambda v: normalize_marital(v, codes), pl.String),
        barred=_per_value(mapped["occupation"], ctx.is_barred, pl.Boolean).fill_null(False),
    ).join(ctx.domiciles, on="legacy_region_code", how="left").with_columns(
        region_valid=pl.col("region_valid").fill_null(False))


# --- rules ------------------------------------------------------------------------------------


def _checked(mapped: pl.DataFrame, ctx: ColumnContext) -> pl.DataFrame:
    """One boolean column per row-rule code (rules.member.member_findings), and the row's values."""
    ref = ctx.reference_date
    col = pl.col
    nik = col("nik")
    frame = mapped.with_columns(b_digits=nik.str.slice(6, 6)).join(
        _nik_births(), on="b_digits", how="left").join(ctx.units, left_on="unit_legacy_id",
                                                        right_on="kepengurusan_id", how="left")
    missing = nik.is_null()
    malformed = ~missing & (col("nik_scientific") | ~nik.str.contains(r"^[0-9]{16}$"))
    structure = ~missing & ~malformed & (col("b_day").is_null() | (nik.str.slice(12, 4) == "0000")
                                         | ~nik.str.slice(0, 6).is_in(ctx.districts.implode()))
    frame = frame.with_columns(NIK_MISSING=missing, NIK_MALFORMED=malformed,
                               NIK_INVALID_STRUCTURE=structure)
    valid_nik = ~(col("NIK_MISSING") | col("NIK_MALFORMED") | col("NIK_INVALID_STRUCTURE"))
    birth = col("birth_date")
    born_later = (birth.dt.month() > ref.month) | ((birth.dt.month() == ref.month) & (birth.dt.day() > ref.day))
    age = ref.year - birth.dt.year().cast(pl.Int32) - born_later.cast(pl.Int32)
    unit_missing = (col("unit_legacy_id").is_null() | ~col("u_ok").fill_null(False)
                    | (col("u_partai") != col("partai_id")).fill_null(True))
    valid_region, new = col("region_valid"), col("region_new")
    code = col("legacy_region_code")
    frame = frame.with_columns(nik_valid=valid_nik).with_columns(
        NAME_MISSING=col("name").is_null(),
        NAME_ENCODING_REPAIRED=col("name_repaired"),
        BIRTHDATE_MISSING=birth.is_null(),
        BIRTHDATE_NIK_MISMATCH=(birth.is_not_null() & col("nik_valid") & (
            (birth.dt.day() != col("b_day")) | (birth.dt.month() != col("b_month"))
            | ((birth.dt.year() % 100) != col("b_yy")))).fill_null(False),
        GENDER_UNKNOWN=col("gender").is_null(),
        GENDER_NIK_MISMATCH=(col("gender").is_not_null() & col("nik_valid")
                             & ((col("gender") == FEMALE) != col("b_woman"))).fill_null(False),
        UNDERAGE=(birth.is_not_null() & (col("marital_status") != EVER_MARRIED).fill_null(True)
                  & (age < MINIMUM_AGE)).fill_null(False),
        BARRED_OCCUPATION=col("occupation").is_not_null() & col("barred"),
        KTA_MISSING=col("kta_number").is_null(),
        REGION_UNKNOWN=~valid_region,
        REGION_RETIRED=valid_region & new.is_null(),
        REGION_RECODED=(valid_region & new.is_not_null() & (new != code)).fill_null(False),
        UNIT_MISSING=unit_missing,
        DOMICILE_OUTSIDE_UNIT=(~unit_missing & valid_region & col("u_region_valid").fill_null(False)
                               & (code.str.slice(0, 5) != col("u_region").str.slice(0, 5))).fill_null(False),
        region_code=pl.when(valid_region & new.is_not_null()).then(new).otherwise(code),
    )
    tms = pl.any_horizontal(*(col(c) for c in _RULES if STATUS_OF[c] == "TMS"))
    bms = pl.any_horizontal(*(col(c) for c in _RULES if STATUS_OF[c] == "BMS"))
    return frame.with_columns(row_status=pl.when(tms).then(pl.lit("TMS")).when(bms).then(pl.lit("BMS"))
                              .otherwise(pl.lit("MS")))


# Row-rule codes with the legacy column each names, and its detail (FINDINGS.md).
_RULES = {
    "NIK_MISSING": "nik", "NIK_MALFORMED": "nik", "NIK_INVALID_STRUCTURE": "nik",
    "NAME_MISSING": "nama", "NAME_ENCODING_REPAIRED": "nama",
    "BIRTHDATE_MISSING": "tgl_lahir", "BIRTHDATE_NIK_MISMATCH": "tgl_lahir",
    "GENDER_UNKNOWN": "jenis_kelamin", "GENDER_NIK_MISMATCH": "jenis_kelamin",
    "UNDERAGE": "tgl_lahir", "BARRED_OCCUPATION": "pekerjaan", "KTA_MISSING": "no_kta",
    "REGION_UNKNOWN": "kode_wilayah", "REGION_RETIRED": "kode_wilayah", "REGION_RECODED": "kode_wilayah",
    "UNIT_MISSING": "kepengurusan_id", "DOMICILE_OUTSIDE_UNIT": "kode_wilayah",
}  # fmt: skip


def _detail(code: str) -> pl.Expr:
    if code == "REGION_RETIRED":
        return pl.lit("from=") + pl.col("legacy_region_code")
    if code == "REGION_RECODED":
        return pl.lit("from=") + pl.col("legacy_region_code") + pl.lit(";to=") + pl.col("region_new")
    return pl.lit(None, dtype=pl.String)


def _findings(checked: pl.DataFrame, run_id: str) -> pl.DataFrame:
    # Only what the findings hold: filtering the whole frame once per code copied all its columns.
    checked = checked.select("legacy_id", "party_code", "legacy_region_code", "region_new", *_RULES)
    parts = [checked.filter(pl.col(code)).select(
        pl.col("legacy_id"), pl.col("party_code"), pl.lit(code).alias("code"), pl.lit(STATUS_OF[code]).alias("status"),
        pl.lit(field).alias("field"), _detail(code).alias("detail")) for code, field in _RULES.items()]
    return pl.concat(parts).select(
        pl.lit(run_id).alias("run_id"), "party_code", pl.lit(ANGGOTA).alias("entity"), "legacy_id", "code",
        "status", "field", "detail", pl.lit("row").alias("origin"))


def _staged(checked: pl.DataFrame, run_id: str) -> pl.DataFrame:
    return checked.with_columns(
        run_id=pl.lit(run_id), is_deleted=pl.lit(False), origin=pl.lit("legacy"),
        outcome=pl.col("row_status"), kept_id=pl.lit(None, dtype=pl.Int64),
    ).select(_MEMBER_COLUMNS)


# --- a batch ----------------------------------------------------------------------------------


def _skipped(frame: pl.DataFrame, run_id: str) -> list[tuple]:
    """stage._skipped of every row: the staged row keeps its ids, the finding names the skip
    (column `skip`)."""
    ids = (pl.lit(run_id).alias("run_id"), pl.col("party_code"), pl.col("id").cast(pl.Int64).alias("legacy_id"))
    known = {"partai_id": pl.col("partai_id").cast(pl.Int64), "is_deleted": pl.col("is_deleted") != 0,
             "nik_valid": pl.lit(False), "outcome": pl.lit("SKIPPED"), "origin": pl.lit("legacy")}
    rows = frame.select(*ids, **known).select(
        [pl.col(c) if c in known or c in ("run_id", "party_code", "legacy_id") else pl.lit(None).alias(c)
         for c in _MEMBER_COLUMNS])
    findings = frame.select(*ids, entity=pl.lit(ANGGOTA), code=pl.col("skip"), status=pl.lit("SKIPPED"),
                            field=pl.lit(None, dtype=pl.String), detail=pl.lit(None, dtype=pl.String),
                            origin=pl.lit("row"))
    return [(stg_member, rows), (stg_finding, findings)]


def _parties(partition) -> tuple[pl.Expr, pl.Expr]:
    """(party code, skip code) of each row, as Partition.party_of says."""
    if partition.parties is None:
        return pl.lit(partition.party_code, dtype=pl.String), pl.lit(partition.skip_code, dtype=pl.String)
    from .stage import SKIPPED_ORPHAN, SKIPPED_PARTY_UNMAPPED

    ids = list(partition.parties)
    partai_id = pl.col("partai_id").cast(pl.Int64)
    code = partai_id.replace_strict(ids, [partition.parties[i] for i in ids], default=None, return_dtype=pl.String)
    skip = (pl.when(~partai_id.is_in(ids)).then(pl.lit(SKIPPED_ORPHAN))
            .when(code.is_null()).then(pl.lit(SKIPPED_PARTY_UNMAPPED)))
    return code, skip


def transform(run_id: str, frame: pl.DataFrame, partition, ctx: MemberRuleContext | ColumnContext) -> list[tuple]:
    """The writes of one batch, (table, frame) pairs: every row of `frame` is staged once,
    skipped (`_skipped`: its party is not migrated, or the row is soft-deleted) or mapped and
    checked (`_staged`, `_findings`)."""
    from .stage import SKIPPED_DELETED

    code, skip = _parties(partition)
    deleted = pl.when(pl.col("is_deleted") != 0).then(pl.lit(SKIPPED_DELETED))
    frame = frame.with_columns(party_code=code, skip=pl.coalesce(skip, deleted))
    writes = []
    if (skipped := frame.filter(pl.col("skip").is_not_null())).height:
        writes += _skipped(skipped, run_id)
    if (kept := frame.filter(pl.col("skip").is_null())).height:
        columns = column_context(ctx)
        checked = _checked(_mapped(kept, columns), columns)
        writes += [(stg_member, _staged(checked, run_id)), (stg_finding, _findings(checked, run_id))]
    return writes


def transform_uploads(run_id: str, kind: str, frame: pl.DataFrame) -> pl.DataFrame:
    """stage._staged_upload of every row: ids, path and size as read, uploaded_at parsed."""
    staged = frame.select(
        pl.lit(run_id).alias("run_id"), pl.lit(kind).alias("kind"), pl.col("id").cast(pl.Int64).alias("legacy_id"),
        pl.col("anggota_id").cast(pl.Int64), pl.col("path").str.replace_all("\x00", "", literal=True),
        pl.col("ukuran").cast(pl.Int64).alias("size"),
    ).with_columns(uploaded_at=_date_column(frame["uploaded_at"], parse_datetime, _DATETIME_TEXT,
                                            "%Y-%m-%d %H:%M:%S", pl.Datetime("us")))
    return staged.select([c.name for c in stg_upload.columns])

