"""Pure normalisation of legacy values (FINDINGS.md, "Normalisation", in its order).

Nothing here raises on a value read from the legacy database, whatever its type or content:
text that cannot be normalised becomes "unknown" or "missing" (None), and the rules say why.

Text repair (rule 1) is a precise inverse of what MySQL did, not a heuristic. The legacy
application wrote UTF-8 bytes into latin1 columns; read through utf8mb4, MySQL turns each byte
into the character MySQL's latin1 gives it (cp1252, with the five bytes cp1252 leaves undefined,
0x81 0x8D 0x8F 0x90 0x9D, as U+0081 …). `repair_text` maps every character back to its byte and
decodes the bytes as UTF-8; the value is repaired only when the *whole* value decodes. Text
stored correctly in latin1 ("André": a lone 0xE9) is not valid UTF-8 and stays as it is, curly
quotes stay curly, and nothing else is touched. ftfy was tried and rejected for this column
family: it is heuristic (a badness score decides), its default pipeline un-curls quotes, and it
guesses beyond this failure mode (it reads "Ã  la", with a real space, as "à la"), so it would
not always keep what the person typed. The repair runs to a fixed point (text encoded twice is
repaired twice), which makes it idempotent; ASCII text, nearly every row, returns at once.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from .mappings import Codes, collapsed_upper_key, gender_key, level_key, office_status_key
from .model import MemberRecord, OfficerRecord, UnitRecord

MEMO_LIMIT = 50_000  # distinct raw values remembered per coded column (gender, marital, …)
DATE_FLOOR = date(1900, 1, 1)  # a date on or before it is a placeholder: missing

MEMBER_COLUMNS = (
    "id", "partai_id", "kepengurusan_id", "nik", "no_kk", "nama", "tempat_lahir", "tgl_lahir",
    "jenis_kelamin", "status_kawin", "pekerjaan", "alamat", "kode_wilayah", "no_kta",
    "is_deleted", "created_by", "updated_at",
)  # fmt: skip
UNIT_COLUMNS = (
    "id", "partai_id", "tingkat", "kode_wilayah", "no_sk", "tgl_sk", "alamat_kantor",
    "status_kantor", "kantor_berlaku_sampai", "is_deleted", "updated_at",
)  # fmt: skip
OFFICER_COLUMNS = (
    "id", "kepengurusan_id", "jabatan", "nik", "nama", "jenis_kelamin", "no_hp", "is_deleted",
)  # fmt: skip

# --- rule 1: text repair ----------------------------------------------------------------------

# MySQL's latin1 character of each byte 0x80-0x9F where cp1252 defines one, back to that byte.
# The C1 characters U+0080-U+009F map to their own byte already (latin-1), which covers the five
# bytes cp1252 leaves undefined and text mangled by a plain latin-1 decode.
_CP1252_TO_BYTE = str.maketrans(
    {
        bytes([b]).decode("cp1252"): chr(b)
        for b in range(0x80, 0xA0)
        if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
    }
)
# The reverse: a byte (as its latin-1 character) to the character MySQL's latin1 gives it.
_MYSQL_LATIN1 = str.maketrans({v: chr(k) for k, v in _CP1252_TO_BYTE.items()})


def _undo_double_encoding(text: str) -> str | None:
    """The text the UTF-8 bytes behind `text` spell, or None when they spell none."""
    try:
        raw = text.translate(_CP1252_TO_BYTE).encode("latin-1")
        return raw.decode("utf-8")
    except UnicodeError:  # a character no latin1 byte gives, or bytes that are not UTF-8
        return None


def repair_text(text: str) -> str:
    """Double-encoded UTF-8 back to the text that was typed; anything else unchanged."""
    while not text.isascii():
        fixed = _undo_double_encoding(text)
        if fixed is None or fixed == text:
            break
        text = fixed
    return text


def as_text(value: object) -> str | None:
    """Any legacy value as str (bytes: UTF-8, else MySQL's latin1), None for NULL."""
    if value is None or type(value) is str:
        return value  # type: ignore[return-value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1").translate(_MYSQL_LATIN1)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    return str(value)


# --- rule 2: trim -----------------------------------------------------------------------------


def trim(text: str | None) -> str:
    """Remove all white space at both ends (NBSP and other Unicode spaces included)."""
    return text.strip() if text else ""


def collapse(text: str) -> str:
    """Trim and collapse every inner run of white space into one space."""
    return " ".join(text.split())


def clean_text(value: object) -> str | None:
    """A text column: repaired, trimmed; None when blank."""
    text = as_text(value)
    if not text:
        return None
    if text.isascii():
        return text.strip() or None
    return _repair_and_tidy(text, str.strip)[0] or None


def _repair_and_tidy(text: str, tidy) -> tuple[str, bool]:
    """Repair, then tidy (trim or collapse), until stable: normalising twice equals once.

    A second round matters only when tidying exposed a repairable value (mojibake behind a
    stray non-breaking space, which MySQL itself would have double-encoded too).
    """
    repaired = False
    while True:
        fixed = repair_text(text)
        repaired = repaired or fixed != text
        tidied = tidy(fixed)
        if tidied == text:
            return text, repaired
        text = tidied


# --- rule 3: NIK ------------------------------------------------------------------------------

_SCIENTIFIC = re.compile(r"'?[+-]?[0-9]+(?:[.,][0-9]*)?[eE][+-]?[0-9]+")


def normalize_nik(value: object) -> tuple[str | None, bool]:
    """(NIK without white space, '.', '-' and one leading apostrophe, or None; raw scientific)."""
    text = as_text(value)
    if text is None:
        return None, False
    if len(text) == 16 and text.isdigit() and text.isascii():
        return text, False  # fast path: the usual, clean NIK
    if text.isascii():
        compact = _without_white_space(text)
    else:  # garbage, but normalising twice must still equal once
        compact = _repair_and_tidy(text, _without_white_space)[0]
    scientific = _SCIENTIFIC.fullmatch(compact) is not None or isinstance(value, float)
    nik = _without_separators(compact)
    if not nik.isascii():
        nik = _repair_and_tidy(nik, _without_separators)[0]
    if nik.startswith("'"):
        nik = nik[1:]
    return nik or None, scientific


def _without_white_space(text: str) -> str:
    return "".join(text.split())


def _without_separators(text: str) -> str:
    return "".join(text.split()).replace(".", "").replace("-", "")


# --- rules 4, 5: gender and marital status ----------------------------------------------------


def _coded(value: object, table: dict[str, str], key, memo: dict) -> str | None:
    if value is None:
        return None
    hit = memo.get(value) if type(value) is str else None
    if hit is not None:
        return hit[0]
    text = clean_text(value)
    meaning = table.get(key(text)) if text else None
    if type(value) is str and len(memo) < MEMO_LIMIT:
        memo[value] = (meaning,)
    return meaning


def normalize_gender(value: object, codes: Codes) -> str | None:
    """MALE, FEMALE or None (unknown)."""
    tables = codes.tables
    return _coded(value, tables.gender, gender_key, tables.memo_gender)


def normalize_marital(value: object, codes: Codes) -> str | None:
    """NEVER_MARRIED, EVER_MARRIED or None (unknown)."""
    tables = codes.tables
    return _coded(value, tables.marital, collapsed_upper_key, tables.memo_marital)


def normalize_unit_level(value: object, codes: Codes) -> str | None:
    """pusat, provinsi, kabkota, kecamatan or None (UNIT_LEVEL_UNKNOWN)."""
    tables = codes.tables
    return _coded(value, tables.unit_level, level_key, tables.memo_unit_level)


def normalize_officer_role(value: object, codes: Codes) -> str | None:
    """KETUA, SEKRETARIS, BENDAHARA or None (any other role)."""
    tables = codes.tables
    return _coded(value, tables.officer_role, collapsed_upper_key, tables.memo_officer_role)


# --- rule 6: region code ----------------------------------------------------------------------


def normalize_region_code(value: object) -> str | None:
    """Trimmed; undotted 6 or 10 digits get their dots (320101 → 32.01.01); None when blank."""
    text = clean_text(value)
    if text is None:
        return None
    size = len(text)
    if (size == 6 or size == 10) and text.isdigit() and text.isascii():
        dotted = f"{text[:2]}.{text[2:4]}.{text[4:6]}"
        return dotted if size == 6 else f"{dotted}.{text[6:]}"
    return text


# --- rule 7: names ----------------------------------------------------------------------------


def normalize_name(value: object) -> tuple[str | None, bool]:
    """(repaired, trimmed, collapsed name or None when blank, the encoding repair changed it)."""
    text = as_text(value)
    if not text:
        return None, False
    if text.isascii():
        return " ".join(text.split()) or None, False
    text, repaired = _repair_and_tidy(text, collapse)
    return text or None, repaired


# --- rule 8: dates ----------------------------------------------------------------------------

_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _ymd(text: str) -> tuple[int, int, int] | None:
    """Year, month, day of 'YYYY-MM-DD[ HH:MM:SS]' when each part is a number, else None."""
    text = text.strip()
    head = text[:10]
    if len(head) == 10 and head[4] == "-" and head[7] == "-":
        y, m, d = head[:4], head[5:7], head[8:]
    else:
        parts = text.split(" ", 1)[0].split("T", 1)[0].split("-")
        if len(parts) != 3:
            return None
        y, m, d = parts
    if not (y.isdigit() and m.isdigit() and d.isdigit() and (y + m + d).isascii()):
        return None
    return int(y), int(m), int(d)


def _valid_ymd(year: int, month: int, day: int) -> bool:
    if not (1 <= year <= 9999 and 1 <= month <= 12 and 1 <= day <= _DAYS[month]):
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return leap or not (month == 2 and day == 29)


_DATE_MEMO: dict[str, date | None] = {}  # birth dates repeat: ~40k distinct in a century


def parse_date(value: object) -> date | None:
    """A DATE value, or None when missing: NULL, zero parts, invalid, on or before 1900-01-01."""
    if type(value) is str:
        try:
            return _DATE_MEMO[value]
        except KeyError:
            found = _date_of_text(value)
            if len(_DATE_MEMO) < 2 * MEMO_LIMIT:
                _DATE_MEMO[value] = found
            return found
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value if value > DATE_FLOOR else None
    text = as_text(value)
    return _date_of_text(text) if text else None


def _date_of_text(text: str) -> date | None:
    ymd = _ymd(text)
    if ymd is None or not _valid_ymd(*ymd):
        return None
    found = date(*ymd)
    return found if found > DATE_FLOOR else None


def parse_datetime(value: object) -> datetime | None:
    """A DATETIME value (updated_at), or None when NULL, zero (0000-00-00 …) or invalid."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = trim(as_text(value))
    if text[4:5] != "-" or not text[:4].isdigit():
        return None
    try:  # C parser; zero dates ('0000-00-00 00:00:00') and other invalid text raise
        found = datetime.fromisoformat(text)
    except ValueError:
        return None
    return found.replace(tzinfo=None) if found.tzinfo else found


# --- rule 9: KTA ------------------------------------------------------------------------------


def normalize_kta(value: object, codes: Codes) -> str | None:
    """The trimmed KTA number, or None when blank or only '-', '0', '.' and white space."""
    return _kta(value, codes.tables.kta_missing_chars)


def _kta(value: object, missing_chars: str) -> str | None:
    text = clean_text(value)
    if text is None or not "".join(text.split()).strip(missing_chars):
        return None
    return text


# --- small helpers ----------------------------------------------------------------------------


_ID_MAX = 2**63 - 1  # the largest BIGINT: a larger number is no id (and Python refuses >4,300 digits)


def as_int(value: object) -> int | None:
    """An id column as int; None when NULL, not a whole number, or larger than any id (BIGINT)."""
    if type(value) is int or value is None:
        return value  # type: ignore[return-value]
    if isinstance(value, int):  # bool included: True is 1
        return int(value)
    text = trim(as_text(value))
    if not (text.isdigit() and text.isascii()):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(_ID_MAX)):
        return None
    number = int(digits)
    return number if number <= _ID_MAX else None


def as_flag(value: object) -> bool:
    """is_deleted: true for a non-zero number, false for 0, NULL and anything else."""
    return value != 0 if type(value) is int else bool(as_int(value))


# --- records ----------------------------------------------------------------------------------


def map_member(raw: dict, codes: Codes) -> MemberRecord:
    """A t_anggota row (dict keyed by legacy column names) → normalised MemberRecord."""
    get = raw.get
    tables = codes.tables
    nik, scientific = normalize_nik(get("nik"))
    name, repaired = normalize_name(get("nama"))
    return MemberRecord(
        legacy_id=as_int(get("id")),  # type: ignore[arg-type]
        partai_id=as_int(get("partai_id")),  # type: ignore[arg-type]
        unit_legacy_id=as_int(get("kepengurusan_id")),
        nik=nik,
        nik_scientific=scientific,
        no_kk=normalize_nik(get("no_kk"))[0],  # another identity number: cleaned like a NIK
        name=name,
        name_repaired=repaired,
        birth_place=clean_text(get("tempat_lahir")),
        birth_date=parse_date(get("tgl_lahir")),
        gender=_coded(get("jenis_kelamin"), tables.gender, gender_key, tables.memo_gender),
        marital=_coded(
            get("status_kawin"), tables.marital, collapsed_upper_key, tables.memo_marital
        ),
        occupation=clean_text(get("pekerjaan")),
        address=clean_text(get("alamat")),
        region_2017=normalize_region_code(get("kode_wilayah")),
        kta_number=_kta(get("no_kta"), tables.kta_missing_chars),
        is_deleted=as_flag(get("is_deleted")),
        created_by=clean_text(get("created_by")),
        updated_at=parse_datetime(get("updated_at")),
    )


def map_unit(raw: dict, codes: Codes) -> UnitRecord:
    """A t_kepengurusan row → normalised UnitRecord."""
    get = raw.get
    status = clean_text(get("status_kantor"))
    return UnitRecord(
        legacy_id=as_int(get("id")),  # type: ignore[arg-type]
        partai_id=as_int(get("partai_id")),  # type: ignore[arg-type]
        level=normalize_unit_level(get("tingkat"), codes),
        level_raw=clean_text(get("tingkat")),
        region_2017=normalize_region_code(get("kode_wilayah")),
        no_sk=clean_text(get("no_sk")),
        sk_date=parse_date(get("tgl_sk")),
        office_address=clean_text(get("alamat_kantor")),
        office_status=office_status_key(status) if status else None,
        office_valid_until=parse_date(get("kantor_berlaku_sampai")),
        is_deleted=as_flag(get("is_deleted")),
        updated_at=parse_datetime(get("updated_at")),
    )


def map_officer(raw: dict, codes: Codes) -> OfficerRecord:
    """A t_pengurus row → normalised OfficerRecord."""
    get = raw.get
    nik, scientific = normalize_nik(get("nik"))
    name, repaired = normalize_name(get("nama"))
    return OfficerRecord(
        legacy_id=as_int(get("id")),  # type: ignore[arg-type]
        unit_legacy_id=as_int(get("kepengurusan_id")),  # type: ignore[arg-type]
        role=normalize_officer_role(get("jabatan"), codes),
        role_raw=clean_text(get("jabatan")),
        nik=nik,
        nik_scientific=scientific,
        name=name,
        name_repaired=repaired,
        gender=normalize_gender(get("jenis_kelamin"), codes),
        phone=clean_text(get("no_hp")),
        is_deleted=as_flag(get("is_deleted")),
    )
