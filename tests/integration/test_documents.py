"""member_document: each member's latest KTP and KTA upload, the same on PostgreSQL (DISTINCT ON)
and SQLite (a window), ties and missing upload times included."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from sipol_migrate.publish import replace_documents
from sipol_migrate.schema import create_schema, member_document, stg_member, stg_upload

pytestmark = [pytest.mark.integration]
RUN = "r20260101T000000-aaaaaa"
JAN, FEB = datetime(2018, 1, 1), datetime(2018, 2, 1)
UPLOADS = [  # (kind, legacy id, member, uploaded_at)
    ("ktp", 10, 1, JAN), ("ktp", 11, 1, FEB), ("ktp", 9, 1, None),  # the newest: 11
    ("ktp", 20, 2, FEB), ("ktp", 21, 2, FEB),  # a tie: the highest id, 21
    ("kta", 30, 3, None), ("kta", 31, 3, None), ("kta", 29, 3, JAN),  # a dated one before undated: 29
    ("kta", 40, 4, JAN), ("ktp", 41, 4, None),
    ("ktp", 50, 99, FEB),  # of no staged member
]
EXPECTED = {(1, 11, None), (2, 21, None), (3, None, 29), (4, 41, 40)}


def _documents(url: str) -> set[tuple]:
    engine = sa.create_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(stg_member.insert(), [{"run_id": RUN, "legacy_id": i, "party_code": "PKB", "partai_id": 1,
                                            "is_deleted": False} for i in (1, 2, 3, 4, 5)])
        conn.execute(stg_upload.insert(), [{"run_id": RUN, "kind": kind, "legacy_id": legacy_id, "anggota_id": owner,
                                            "path": f"/{legacy_id}.jpg", "size": 1, "uploaded_at": at}
                                           for kind, legacy_id, owner, at in UPLOADS])
        replace_documents(conn, RUN)
        d = member_document.c
        rows = {tuple(r) for r in conn.execute(sa.select(d.member_legacy_id, d.ktp_legacy_id, d.kta_legacy_id))}
    engine.dispose()
    return rows


def test_latest_upload_per_member_on_both_dialects(pg_url, tmp_path):
    assert _documents(pg_url) == EXPECTED
    assert _documents(f"sqlite:///{tmp_path / 'target.sqlite'}") == EXPECTED
