"""Where-clauses over the legacy tables, safe to pickle to another process or machine.

A plain pickle of a SQLAlchemy clause carries its own copy of the Table, which the receiving
side's queries then treat as a second table (`FROM t_anggota, t_anggota`). The clause travels
through `sqlalchemy.ext.serializer` instead and is bound again to `legacy.legacy_metadata`.
"""

from __future__ import annotations

from sqlalchemy.ext import serializer
from sqlalchemy.sql import ClauseElement


class _Serialized:
    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data


def dump_clause(value):
    return _Serialized(serializer.dumps(value)) if isinstance(value, ClauseElement) else value


def load_clause(value):
    if isinstance(value, _Serialized):
        from .legacy import legacy_metadata

        return serializer.loads(value.data, legacy_metadata)
    return value


class Shipped:
    """A task argument sent to a Dask cluster, opaque to Prefect's and Dask's walkers.

    Prefect's `quote()` is a tuple subclass, and Dask rebuilds the tuples of task arguments as
    plain tuples, so a quoted argument arrived on the worker as `(value,)`; unquoted, Prefect
    walks every region row and unit of the inputs on each submit. A plain object is neither
    walked nor rebuilt; the pipeline function unwraps it (`unbox`)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __getstate__(self):
        return (self.value,)  # never falsy: pickle skips __setstate__ for a falsy state

    def __setstate__(self, state) -> None:
        self.value = state[0]


def unbox(value):
    return value.value if isinstance(value, Shipped) else value
