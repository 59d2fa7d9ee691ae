"""laporan.json: the party page's data, written with the page; a rerun with the same findings
(an unchanged rerun, pages_from) renders its pages from it instead of querying again."""

from __future__ import annotations

import json

from report_state import write_all


def _page_data(folder) -> dict:
    page = (folder / "laporan.html").read_text(encoding="utf-8")
    tag = '<script type="application/json" id="data">'
    start = page.index(tag) + len(tag)
    return json.loads(page[start:page.index("</script>", start)])


def test_page_data_is_written_beside_the_page(state, tmp_path):
    write_all(state, tmp_path)
    saved = json.loads((tmp_path / "PXA" / "laporan.json").read_text(encoding="utf-8"))
    assert saved["run_id"] == state.run_id and saved["code"] == "PXA"
    assert saved["ledger"]["read"] == state.summary["parties"]["PXA"]["anggota"]["read"]
    page = _page_data(tmp_path / "PXA")
    samples = saved["samples"]
    assert [row for c in ("BMS", "TMS", "MERGED", "NOTE") for row in samples.get(c, [])] == page["records"]
    assert samples["structure"] == page["structure"] and page["records"]
    assert saved["progress"]["previous_run_id"] == state.previous_run_id


def test_a_rerun_renders_its_pages_from_the_saved_data(state, tmp_path):
    first, again, other = tmp_path / "first", tmp_path / "again", tmp_path / "other"
    write_all(state, first)
    with state.engine.begin() as conn:  # what the pages would query changes: the saved data does not
        conn.exec_driver_sql("UPDATE member SET name = 'Diganti'")
        conn.exec_driver_sql("UPDATE member_holding SET name = 'Diganti'")
    write_all(state, again, pages_from=(state.run_id, first))
    assert _page_data(again / "PXA") == _page_data(first / "PXA")
    assert not (again / "PXA" / "laporan.xlsx").exists()  # the caller copies the base run's
    assert json.loads((again / "PXA" / "laporan.json").read_text(encoding="utf-8"))["progress"] \
        == json.loads((first / "PXA" / "laporan.json").read_text(encoding="utf-8"))["progress"]
    # Saved by another run (or missing): the page is read from the database again.
    write_all(state, other, pages_from=("r20990101T000000-cccccc", first))
    names = {row[4] for row in _page_data(other / "PXA")["records"]}
    assert names == {"Diganti"}
