"""The legacy schema: the spec's MySQL DDL as it is, and its SQLite equivalent.

MariaDB runs `data/legacy_sipol_2017.sql` (a copy of the spec file) unchanged. SQLite gets the
same tables and columns translated statement by statement: integers stay INTEGER, every text,
DATE and DATETIME column becomes TEXT, so dates are stored as the strings MySQL returns
('0000-00-00', '1985-00-12', '2018-03-01 10:00:00').
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..settings import PACKAGE_DATA

SPEC_DDL = PACKAGE_DATA / "legacy_sipol_2017.sql"
TABLES = ("m_wilayah", "m_partai", "t_kepengurusan", "t_pengurus", "t_anggota", "t_upload_ktp",
          "t_upload_kta")

_CREATE = re.compile(r"CREATE TABLE (\w+) \((.*?)\)\s*ENGINE", re.S)
_COLUMN = re.compile(r"^(\w+)\s+([A-Z]+)(?:\([\d,]+\))?\s*(.*)$")
_KEY = re.compile(r"^(PRIMARY KEY|KEY (\w+)|UNIQUE KEY (\w+))\s*\(([^)]*)\)$")
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "BIGINT"}


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    not_null: bool
    default: str | None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    indexes: tuple[tuple[str, tuple[str, ...]], ...]


def spec_text() -> str:
    return SPEC_DDL.read_text(encoding="utf-8")


def _without_comments(text: str) -> str:
    return re.sub(r"--[^\n]*", "", text)


def mysql_statements(text: str | None = None) -> list[str]:
    """The spec's statements, comments removed, in order."""
    body = _without_comments(text or spec_text())
    return [s.strip() for s in body.split(";") if s.strip()]


def parse_tables(text: str | None = None) -> dict[str, Table]:
    tables = {}
    for match in _CREATE.finditer(_without_comments(text or spec_text())):
        columns, primary, indexes = [], (), []
        for line in (part.strip().rstrip(",") for part in match.group(2).splitlines()):
            if not line:
                continue
            key = _KEY.match(line)
            if key:
                names = tuple(c.strip().strip("`") for c in key.group(4).split(","))
                if key.group(1) == "PRIMARY KEY":
                    primary = names
                else:
                    indexes.append((key.group(2) or key.group(3), names))
                continue
            column = _COLUMN.match(line)
            rest = column.group(3).upper()
            default = re.search(r"DEFAULT\s+(\S+)", column.group(3))
            columns.append(Column(column.group(1), column.group(2).upper(), "NOT NULL" in rest,
                                  default.group(1) if default else None))
        tables[match.group(1)] = Table(match.group(1), tuple(columns), primary, tuple(indexes))
    return tables


def column_names(table: str) -> tuple[str, ...]:
    return tuple(c.name for c in parse_tables()[table].columns)


def mysql_drop_index_statements(text: str | None = None) -> list[str]:
    """Drop the secondary indexes before a bulk load (they are rebuilt by sorting afterwards)."""
    return [f"ALTER TABLE `{t.name}` " + ", ".join(f"DROP INDEX `{name}`" for name, _ in t.indexes)
            for t in parse_tables(text).values() if t.indexes]


def mysql_add_index_statements(text: str | None = None) -> list[str]:
    """The spec's secondary indexes, one ALTER per table (built in one pass over the rows)."""
    return [f"ALTER TABLE `{t.name}` " + ", ".join(f"ADD KEY `{name}` ({', '.join(cols)})"
                                                  for name, cols in t.indexes)
            for t in parse_tables(text).values() if t.indexes]


def sqlite_index_statements(text: str | None = None) -> list[str]:
    return [f"CREATE INDEX {name} ON {t.name} ({', '.join(cols)})"
            for t in parse_tables(text).values() for name, cols in t.indexes]


def sqlite_statements(text: str | None = None) -> list[str]:
    """CREATE TABLE statements without the secondary indexes (see sqlite_index_statements)."""
    statements = []
    for table in parse_tables(text).values():
        parts = []
        for column in table.columns:
            sql_type = "INTEGER" if column.sql_type in _INTEGER_TYPES else "TEXT"
            part = f"{column.name} {sql_type}" + (" NOT NULL" if column.not_null else "")
            parts.append(part + (f" DEFAULT {column.default}" if column.default else ""))
        parts.append(f"PRIMARY KEY ({', '.join(table.primary_key)})")
        statements.append(f"CREATE TABLE {table.name} (\n  " + ",\n  ".join(parts) + "\n)")
    return statements
