"""A new notebook with the Loupe kernel, used as a person would: Tab completes
the cases of an enum argument, and the Stop button ends a long command at once,
skips the cells queued behind it and keeps the session's variables."""
import json
import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys


def write_notebook(root, name, sources):
    nb = {
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"cell-{i}", "metadata": {},
                   "outputs": [], "source": source} for i, source in enumerate(sources)],
        "metadata": {"kernelspec": {"display_name": "Loupe", "language": "loupe", "name": "loupe"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / name).write_text(json.dumps(nb, indent=1) + "\n")
    return name


def editor(page, index):
    cells = page.driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")
    return cells[index].find_element(By.CSS_SELECTOR, ".cm-content")


def type_and_run(page, index, text):
    editor(page, index).click()
    (ActionChains(page.driver).send_keys(text)
     .key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform())


def cell(page, index):
    return page.state()["cells"][index]


def completer_items(page):
    return page.js("""
        const c = document.querySelector('.jp-Completer');
        if (!c || c.classList.contains('lm-mod-hidden')) return null;
        const items = [...c.querySelectorAll('.jp-Completer-item')].map(i => i.getAttribute('data-value') || i.innerText.trim());
        return items.length ? items : null;""")


def test_tab_completes_the_token_choices(page, lab):
    name = write_notebook(lab.root, "scratch-completion.ipynb", [""])
    page.open(name)
    type_and_run(page, 0, "let clip = CLIP.load()\nlet scenes = Dataset.scenes(count: 8, seed: 7)")
    page.poll("the first cell to run", lambda: (c := cell(page, 0))["count"] and c["state"] == "idle", 60)
    state = page.state()
    assert state["mode"] == "edit" and state["active"] == 1, f"no new cell in edit mode after Shift+Enter: {state}"

    partial = "clip.activations(scenes, layer: 1, tokens: ."
    ActionChains(page.driver).send_keys(partial).perform()
    page.poll("the second cell to hold the typed text", lambda: cell(page, 1)["source"] == partial, 10)
    ActionChains(page.driver).send_keys(Keys.TAB).perform()
    items = page.poll("the completer to show", lambda: completer_items(page), 15)
    missing = [m for m in (".cls", ".spatial", ".all") if m not in items]
    assert not missing, f"Tab after `tokens: .` offers {items}; missing {missing}"

    option = page.driver.find_element(By.CSS_SELECTOR, '.jp-Completer-item[data-value=".spatial"]')
    ActionChains(page.driver).move_to_element(option).click().perform()
    chosen = page.poll("the choice to be inserted", lambda: (src := cell(page, 1)["source"]) != partial and src, 10)
    assert chosen == "clip.activations(scenes, layer: 1, tokens: .spatial", chosen


def test_stop_ends_a_long_command_skips_the_queue_and_keeps_variables(page, lab):
    name = write_notebook(lab.root, "scratch-stop.ipynb", ["let a = 41", "sleep(60)", "let b = 2"])
    page.open(name)
    # Watch the kernel's iopub messages, to interrupt only once sleep(60) runs.
    page.js("""
        window.loupeInputs = [];
        const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        kernel.iopubMessage.connect((_, msg) => {
          if (msg.header.msg_type === 'execute_input') window.loupeInputs.push(msg.content.code);
        });""")
    page.run_all()
    page.poll("sleep(60) to start", lambda: "sleep(60)" in page.js("return window.loupeInputs;"), 30)
    interrupted = time.monotonic()
    # The toolbar's Stop button runs this command.
    error = page.command("notebook:interrupt-kernel")
    assert error is None, error
    page.wait_until_settled(30)
    stopped_after = time.monotonic() - interrupted

    report = page.outputs()
    first, sleeper, queued = report[0], report[1], report[2]
    problems = []
    if first["count"] is None or first["outputs"]:
        problems.append(f"`let a = 41` did not run quietly: {first}")
    if stopped_after > 10:
        problems.append(f"the interrupted cell took {stopped_after:.1f} s to end")
    errors = [o for o in sleeper["outputs"] if o["type"] == "error"]
    shown = " ".join(errors[0]["stderr"]) if errors else ""
    if not errors:
        problems.append(f"sleep(60) shows no error output after the interrupt: {sleeper['outputs']}")
    elif "Interrupted" not in shown:
        problems.append(f"the interrupted cell's error output reads {shown!r}")
    if queued["count"] is not None or queued["outputs"]:
        problems.append(f"`let b = 2`, queued behind the interrupted cell, looks executed: "
                        f"execution count {queued['count']}, outputs {queued['outputs']}")

    page.js("window.jupyterapp.shell.currentWidget.content.activeCellIndex = 2;")
    page.command("notebook:insert-cell-below")
    type_and_run(page, 3, "a + 1")
    page.poll("a + 1 to run", lambda: (c := cell(page, 3))["count"] and c["state"] == "idle", 30)
    result = page.outputs()[3]
    texts = [o["text"].strip() for o in result["outputs"] if o["type"] == "execute_result"]
    if texts != ["42"]:
        problems.append(f"a + 1 after the interrupt shows {result['outputs']}, not 42")
    assert not problems, "Stop in JupyterLab:\n  " + "\n  ".join(problems)
