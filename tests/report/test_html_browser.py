"""laporan.html in headless Chromium: no console errors, the ledger equals summary.json, the
filters narrow the list; a screenshot of each page is saved in the test's tmp dir.

Needs the Debian packages chromium and chromium-driver (scripts/install-system-deps.sh).
"""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from report_state import write_all

pytestmark = pytest.mark.integration
CHROME_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--no-first-run", "--disable-dev-shm-usage", "--window-size=1280,1000")


@pytest.fixture(scope="module")
def browser():
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        pytest.fail("chromium and chromium-driver are not installed: run scripts/install-system-deps.sh")
    options = Options()
    options.binary_location = chromium
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def open_page(driver, path) -> float:
    started = time.perf_counter()
    driver.get(path.resolve().as_uri())
    driver.execute_script("return document.readyState")
    return time.perf_counter() - started


def console_errors(driver) -> list[dict]:
    return [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def screenshot(driver, path) -> None:
    driver.execute_script("window.scrollTo(0, 0)")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height, 800), 12000))
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 1000)


def rows(driver, table="#tabel-data") -> list[str]:
    return [row.text for row in driver.find_elements(By.CSS_SELECTOR, f"{table} tbody tr")]


def as_int(text: str) -> int:
    return int(text.replace(".", "").strip())


def test_party_page_renders_matches_summary_and_filters(state, tmp_path, browser):
    write_all(state, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    open_page(browser, tmp_path / "PXA" / "laporan.html")
    assert console_errors(browser) == []
    ledger = summary["parties"]["PXA"]["anggota"]
    shown = browser.find_elements(By.CSS_SELECTOR, "#ringkasan [data-ledger]")
    assert {e.get_attribute("data-ledger") for e in shown} == set(ledger)
    for element in shown:
        key = element.get_attribute("data-ledger")
        assert as_int(element.text) == ledger[key] == int(element.get_attribute("data-value"))
    assert as_int(browser.find_element(By.CSS_SELECTOR, "[data-progress=fixed]").text) == 2
    assert as_int(browser.find_element(By.CSS_SELECTOR, "[data-progress=still_open]").text) == 1

    assert len(rows(browser)) == 6  # 3 BMS, 1 TMS, 1 ganda, 1 catatan
    search = browser.find_element(By.ID, "cari")
    search.send_keys("dewi")
    assert len(rows(browser)) == 1 and "1005" in rows(browser)[0]
    assert "Dewi Lestari <b>" in rows(browser)[0]  # shown as text, never as markup
    search.clear()
    search.send_keys(" ")  # an input event after clearing
    assert len(rows(browser)) == 6
    Select(browser.find_element(By.ID, "filter-kode")).select_by_value("KTA_MISSING")
    assert sorted(re.search(r"\b(100\d)\b", r).group(1) for r in rows(browser)) == ["1003", "1006"]
    Select(browser.find_element(By.ID, "filter-kode")).select_by_value("")
    Select(browser.find_element(By.ID, "filter-provinsi")).select_by_value("94")
    assert len(rows(browser)) == 1 and "1002" in rows(browser)[0]
    Select(browser.find_element(By.ID, "filter-provinsi")).select_by_value("")

    provinces = rows(browser, "#tabel-wilayah")
    assert any(r.startswith("JAWA BARAT (32)") for r in provinces)
    browser.find_element(By.ID, "wilayah-buka").click()
    assert any(r.startswith("KOTA BANDUNG (32.73)") for r in rows(browser, "#tabel-wilayah"))
    assert len(rows(browser, "#tabel-struktur")) == 3
    assert console_errors(browser) == []
    screenshot(browser, tmp_path / "laporan-PXA.png")
    assert (tmp_path / "laporan-PXA.png").stat().st_size > 10_000


def test_kpu_page_renders_and_matches_summary(state, tmp_path, browser):
    write_all(state, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    open_page(browser, tmp_path / "_kpu" / "laporan.html")
    assert console_errors(browser) == []
    for code, counts in summary["parties"].items():
        row = browser.find_element(By.CSS_SELECTOR, f"#tabel-ledger tr[data-party={code}]")
        for key, value in counts["anggota"].items():
            assert as_int(row.find_element(By.CSS_SELECTOR, f"[data-ledger={key}]").text) == value
    assert as_int(browser.find_element(By.ID, "jumlah-pasangan").text) == 1
    screenshot(browser, tmp_path / "laporan-kpu.png")
