"""PostgreSQL COPY text format, encoded fast: one generated function per (table, columns).

`load._copy_field` decides per value (NULL → \\N, text escaped, booleans t/f, dates ISO); calling
it for every field of millions of rows was a third of the member phase. `line_encoder` writes,
once per column list, a function whose body holds one inline expression per column chosen by
the column's SQL type (text: escape; integer: str; boolean: t/f; date: isoformat); a value of
another Python type than the column's falls back to `_copy_field`, so the output is exactly
what `_copy_field` gives for every value.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Integer, String, Table, Text

# COPY text format: backslash escapes; NUL cannot be stored in PostgreSQL text and is dropped.
TEXT_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": None})


def copy_field(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(TEXT_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _expression(type_, key: str) -> str:
    """The inline expression that encodes r[key] (walrus `v` is local to the generated function)."""
    get = f"(v := r_get({key!r}))"
    if isinstance(type_, Boolean):
        return f"(N if {get} is None else ('t' if v is True else 'f' if v is False else F(v)))"
    if isinstance(type_, Integer):
        return f"(N if {get} is None else (str(v) if type(v) is int else F(v)))"
    if isinstance(type_, (String, Text)):
        return f"(N if {get} is None else (v.translate(T) if type(v) is str else F(v)))"
    if isinstance(type_, (Date, DateTime)):
        return f"(N if {get} is None else (v.isoformat() if type(v) in DT else F(v)))"
    return f"(N if {get} is None else F(v))"


_CACHE: dict[tuple, Callable[[list[dict]], list[str]]] = {}


def line_encoder(table: Table, columns: list[str]) -> Callable[[list[dict]], list[str]]:
    """A function: list of row dicts → list of COPY text lines (no trailing newline)."""
    key = (table.name, tuple(columns))
    encoder = _CACHE.get(key)
    if encoder is None:
        fields = ",\n            ".join(_expression(table.c[name].type, name) for name in columns)
        source = (
            "def encode(rows):\n"
            "    out = []\n"
            "    append = out.append\n"
            "    join = '\\t'.join\n"
            "    for r in rows:\n"
            "        r_get = r.get\n"
            f"        append(join((\n            {fields},\n        )))\n"
            "    return out\n"
        )
        namespace = {"N": "\\N", "T": TEXT_ESCAPES, "F": copy_field, "DT": (date, datetime)}
        exec(compile(source, f"<copy encoder {table.name}>", "exec"), namespace)  # noqa: S102 — our own code, no data
        encoder = _CACHE[key] = namespace["encode"]
    return encoder
