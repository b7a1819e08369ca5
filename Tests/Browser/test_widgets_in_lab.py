"""The interactive notebook used by hand in JupyterLab: dragging the clamp
slider of `clip.steer` changes the probability table and the kernel stays
responsive; clicking a patch of `sae.explore` lists the latents active there,
and choosing one shows its top images. Screenshots of both widgets are kept
in out/browser/ (the steering one is the README's picture)."""
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

NOTEBOOK = "07-interactive.ipynb"

STEER_TABLE = """
const tables = [...document.querySelectorAll('.widget-html-content')].filter(n => n.textContent.includes('clamped to'));
return tables.length ? tables[0].textContent : null;"""

RUN_IN_KERNEL = """
const done = arguments[arguments.length - 1];
const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
const started = performance.now();
const future = kernel.requestExecute({code: arguments[0], silent: false, store_history: false});
future.done.then(reply => done([reply.content.status, performance.now() - started]), e => done([String(e), 0]));"""


def widget_ready(page):
    page.open(NOTEBOOK)
    page.run_all()
    page.wait_until_settled(300)
    return page.poll("the widgets to render", lambda: page.js(STEER_TABLE), 60)


def element_with_label(page, css, label):
    for element in page.driver.find_elements(By.CSS_SELECTOR, css):
        if label in element.text:
            return element
    return None


def test_dragging_the_clamp_changes_the_table_and_the_kernel_stays_responsive(page, out_dir):
    before = widget_ready(page)
    slider = page.poll("the clamp slider", lambda: element_with_label(page, ".widget-slider", "clamp"), 30)
    handle = slider.find_element(By.CSS_SELECTOR, ".noUi-handle")
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", slider)
    ActionChains(page.driver).click_and_hold(handle).move_by_offset(140, 0).pause(0.3).release().perform()
    after = page.poll("the table to change after the drag", lambda: (t := page.js(STEER_TABLE)) != before and t, 30)
    assert "clamped to 40" in before and "clamped to 40" not in after, f"before: {before[:120]!r}; after: {after[:120]!r}"
    status, ms = page.driver.execute_async_script(RUN_IN_KERNEL, "1 + 1")
    assert status == "ok", f"the kernel did not answer a new request after the drag: {status}"
    box = slider.find_element(By.XPATH, "./ancestor::div[contains(@class, 'widget-vbox')][1]")
    box.screenshot(str(out_dir / "07-steer-widget.png"))
    print(f"after the drag the kernel answered a new execute in {ms:.0f} ms")


def test_clicking_a_patch_lists_its_latents_and_a_latent_its_top_images(page, out_dir):
    widget_ready(page)
    patches = page.poll("the patch grid", lambda: page.driver.find_elements(By.CSS_SELECTOR, ".widget-gridbox button"), 30)
    assert len(patches) == 49, f"{len(patches)} patches, expected 7 x 7"
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", patches[24])
    patches[24].click()
    latents = page.poll("the latents of the clicked patch",
                        lambda: page.driver.find_elements(By.CSS_SELECTOR, ".widget-toggle-buttons button"), 30)
    assert latents and "·" in latents[0].text, [b.text for b in latents]
    panel = latents[0].find_element(By.XPATH, "./ancestor::div[contains(@class, 'widget-vbox')][1]")
    latents[0].click()

    def top_images():
        return page.js("""return [...arguments[0].querySelectorAll('img')].map(i => i.naturalWidth).filter(w => w > 0);""", panel) or None

    page.poll("the chosen latent's top images", top_images, 30)
    grid = patches[24].find_element(By.XPATH, "./ancestor::div[contains(@class, 'widget-hbox')][last()]")
    grid.screenshot(str(out_dir / "07-explore-widget.png"))
