"""member_document: each member's latest KTP and KTA upload, the same on PostgreSQL (DISTINCT ON)
and SQLite (a window), ties and missing upload times included."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from sipol_migrate import load
from sipol_migrate.publish import prepare_documents, replace_documents
from sipol_migrate.schema import create_schema, member_document, stg_document, stg_member, stg_upload

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


def _staged(url: str) -> sa.Engine:
    engine = sa.create_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(stg_member.insert(), [{"run_id": RUN, "legacy_id": i, "party_code": "PKB", "partai_id": 1,
                                            "is_deleted": False} for i in (1, 2, 3, 4, 5)])
        conn.execute(stg_upload.insert(), [{"run_id": RUN, "kind": kind, "legacy_id": legacy_id, "anggota_id": owner,
                                            "path": f"/{legacy_id}.jpg", "size": 1, "uploaded_at": at}
                                           for kind, legacy_id, owner, at in UPLOADS])
    return engine


def _published(engine: sa.Engine) -> set[tuple]:
    with engine.begin() as conn:
        replace_documents(conn, RUN)
        d = member_document.c
        return {tuple(r) for r in conn.execute(sa.select(d.member_legacy_id, d.ktp_legacy_id, d.kta_legacy_id))}


def test_latest_upload_per_member_on_both_dialects(pg_url, tmp_path):
    for url in (pg_url, f"sqlite:///{tmp_path / 'target.sqlite'}"):
        engine = _staged(url)
        assert _published(engine) == EXPECTED
        engine.dispose()


def test_prepared_documents_are_published_and_prepared_again_from_the_current_staging(pg_url):
    engine = _staged(pg_url)
    prepare_documents(engine, RUN)
    with engine.begin() as conn:  # a newer KTP for member 2, staged after the first preparation
        conn.execute(stg_upload.insert(), [{"run_id": RUN, "kind": "ktp", "legacy_id": 22, "anggota_id": 2,
                                            "path": "/22.jpg", "size": 1, "uploaded_at": datetime(2018, 3, 1)}])
    prepare_documents(engine, RUN)  # computed again, not kept
    with engine.begin() as conn:  # the publish takes the prepared rows, it does not read the uploads
        conn.execute(sa.delete(stg_upload))
    assert _published(engine) == EXPECTED - {(2, 21, None)} | {(2, 22, None)}
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(stg_document)).scalar() == 4
    engine.dispose()


def test_a_duplicate_key_in_a_bulk_insert_fails_its_transaction_and_the_key_stays(pg_url):
    # The publish drops member_document's key for its insert and adds it again afterwards.
    engine = sa.create_engine(pg_url)
    create_schema(engine)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        with load.indexes_built_after(conn, member_document):
            conn.execute(member_document.insert(), [{"member_legacy_id": 7, "party_code": "PKB"}] * 2)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(member_document)).scalar() == 0
    assert sa.inspect(engine).get_pk_constraint("member_document")["name"] == "member_document_pkey"
    engine.dispose()
