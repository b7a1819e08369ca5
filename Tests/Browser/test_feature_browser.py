"""The static feature browser (`sae.export`) opened from file:// in headless
Chromium: pages load, the search filters, every link resolves inside the
folder, and no request leaves it. Screenshots in out/browser/."""
import pathlib
import re
import subprocess
import time

import pytest
from selenium.webdriver.common.by import By

from .browser_lab import ROOT, start_chromium, stop_chromium

LOUPE = ROOT / ".build" / "release" / "loupe"

SCRIPT = """
let clip = CLIP.load()
let scenes = Dataset.scenes(count: 160, seed: 5)
let acts = clip.activations(scenes, layer: 3, tokens: .all)
let sae = SAE.train(acts, kind: .topK(k: 8), width: 128, steps: 120, batch: 512)
sae.labels(in: scenes, vocabulary: vocabulary(.scenes))
let ms = sae.monosemanticity(scenes, encoder: .attributes)
sae.export("{folder}", images: scenes, ms: ms)
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("export")
    folder = base / "site"
    script = base / "export.loupe"
    script.write_text(SCRIPT.replace("{folder}", str(folder)))
    run = subprocess.run([str(LOUPE), "run", str(script)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert (folder / "index.html").exists()
    # A second export into the now non-empty folder is refused, and changes nothing.
    before = sorted(p.name for p in folder.rglob("*"))
    again = subprocess.run([str(LOUPE), "run", str(script)], capture_output=True, text=True, timeout=600)
    assert again.returncode != 0 and "never overwrites" in again.stdout + again.stderr
    assert sorted(p.name for p in folder.rglob("*")) == before
    return folder


@pytest.fixture
def browser(tmp_path):
    driver, service = start_chromium(tmp_path / "chromium-profile")
    try:
        yield driver
    finally:
        stop_chromium(driver, service)


def requested(driver):
    """Every URL the page loaded: the document and each resource it fetched."""
    return [driver.current_url] + driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")


def test_pages_load_search_filters_and_nothing_leaves_the_folder(site, browser, out_dir):
    inside = site.resolve().as_uri()
    # No page names anything outside the folder (no http, no absolute paths).
    for page in site.rglob("*.html"):
        for target in re.findall(r'(?:src|href)="([^"]+)"', page.read_text()):
            assert not re.match(r"^[a-z]+:|^/", target), f"{page.name} links outside: {target}"
            assert (page.parent / target).resolve().exists(), f"{page.name} links to a missing {target}"

    browser.get((site / "index.html").as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "#latents tbody tr")
    assert len(rows) > 20
    count = browser.find_element(By.ID, "count").text
    assert count == f"{len(rows)} of {len(rows)} latents"
    browser.save_screenshot(str(out_dir / "feature-browser-index.png"))

    # Search: a label word keeps only rows that carry it; a number finds its latent.
    labels = [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows]
    word = max(set(labels) - {""}, key=labels.count)
    box = browser.find_element(By.ID, "search")
    box.send_keys(word)
    time.sleep(0.2)
    shown = [r for r in rows if r.is_displayed()]
    assert 0 < len(shown) < len(rows)
    assert all(word in r.get_attribute("data-search").split(" ") for r in shown)
    assert browser.find_element(By.ID, "count").text.startswith(f"{len(shown)} of ")
    browser.save_screenshot(str(out_dir / "feature-browser-search.png"))

    # A latent's page, reached by its link: top images load, patches shaded, links back.
    shown[0].find_element(By.TAG_NAME, "a").click()
    assert "/latents/" in browser.current_url
    images = browser.find_elements(By.CSS_SELECTOR, ".tile img")
    assert images and all(browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i) for i in images)
    assert browser.find_elements(By.CSS_SELECTOR, ".tile .cells span"), "the patch shading was not drawn"
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Latent ")
    browser.save_screenshot(str(out_dir / "feature-browser-latent.png"))
    for url in requested(browser):
        assert url.startswith(inside), f"a request left the folder: {url}"
    browser.find_element(By.LINK_TEXT, "all latents").click()
    assert browser.current_url.endswith("/index.html")
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
