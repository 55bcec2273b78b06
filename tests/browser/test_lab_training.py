"""JupyterLab in headless Chromium: run 03_training, then train live from the dashboard's buttons."""

import re
import time

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture reports it: skipped locally, a failure in CI
    expect = None

# the check cell of 03_training prints this last, after resetting the dashboard for 20 epochs
CHECK_CELL_DONE = ("TrainingPanel(MLP(784 → 100 → 10 → 10, sigmoid, float32), 5000 train / 1000 test "
                   "images, epoch 0 of 20)")
STEPS_DONE = re.compile(r"\((\d[\d,]*) in all\)")
REACTION_SECONDS = 3.0  # a click while training must show its effect within this
EPOCHS = 500


def steps_done(status) -> int:
    match = STEPS_DONE.search(status.inner_text())
    return int(match.group(1).replace(",", "")) if match else 0


def test_training_notebook_live_dashboard(lab, page, shot):
    page.set_viewport_size({"width": 1400, "height": 2000})  # the whole dashboard in view
    lab.open(page, "03_training.ipynb")
    lab.run_all(page)
    expect(page.get_by_text(CHECK_CELL_DONE)).to_be_visible(timeout=120_000)
    panel = page.locator(".bpl-training")
    expect(panel).to_have_count(1)
    status = panel.locator(".bpl-train-status")
    filters, confusion = panel.locator("img.bpl-filters"), panel.locator(".bpl-confusion table")
    expect(status).to_contain_text("ready")
    expect(filters).to_have_attribute("src", re.compile(r"^blob:"))
    expect(panel.locator(".bpl-confusion")).to_contain_text("test set")
    expect(panel.locator(".bpl-curves svg")).to_be_visible()
    filters_before, confusion_before = filters.get_attribute("src"), confusion.inner_text()
    shot(panel, "03-training-ready")

    # a much longer run than the notebook's (an epoch of 5,000 images takes about 0.1 s), so
    # that it is still running when the test pauses it, even on a busy machine; Stop ends it
    epochs = panel.locator(".bpl-train-epochs input")
    epochs.fill(str(EPOCHS))
    epochs.press("Enter")
    panel.locator("button.bpl-train-start").click()
    expect(status).to_contain_text("running")
    expect(filters).not_to_have_attribute("src", filters_before, timeout=15_000)  # redrawn live
    expect(confusion).not_to_have_text(confusion_before, timeout=15_000)  # after epoch 1
    first = steps_done(status)
    expect(status).not_to_contain_text(f"({first:,} in all)", timeout=10_000)  # the status moves on
    shot(panel, "03-training-running")

    # the page answers while training runs: Pause takes effect at once
    clicked = time.monotonic()
    panel.locator("button.bpl-train-pause").click()
    expect(status).to_contain_text("paused", timeout=REACTION_SECONDS * 1000)
    pause_seconds = time.monotonic() - clicked
    paused_at = steps_done(status)
    assert 0 < paused_at < EPOCHS * 157, paused_at
    expect(panel.locator("button.bpl-train-start")).to_have_text(re.compile("Resume"))
    lab.wait_idle(page)

    # Step trains one batch and redraws the figures; the status says so once they are on show
    filters_paused = filters.get_attribute("src")
    clicked = time.monotonic()
    panel.locator("button.bpl-train-step").click()
    expect(status).to_contain_text(f"({paused_at + 1:,} in all)", timeout=REACTION_SECONDS * 1000)
    step_seconds = time.monotonic() - clicked
    expect(filters).not_to_have_attribute("src", filters_paused, timeout=500)  # already redrawn
    lab.wait_idle(page)
    shot(panel, "03-training-paused")

    # resume, then stop: the weights and the history stay
    panel.locator("button.bpl-train-start").click()
    expect(status).to_contain_text("running")
    panel.locator("button.bpl-train-stop").click()
    expect(status).to_contain_text("stopped", timeout=REACTION_SECONDS * 1000)
    expect(panel.locator("button.bpl-train-start")).to_be_disabled()

    # the drill-down: a cell of the confusion matrix, then one of its images, stepped through
    lab.wait_idle(page)  # Stop's final redraw is done
    panel.locator(".bpl-train-tabs .lm-TabBar-tab", has_text="Drill-down").click()
    # the grid is drawn when its tab opens; until then its buttons are blank and disabled, and
    # its caption has its room already: drawing moves nothing under the pointer
    cell = panel.locator("button.bpl-drill-cell-7-7")
    expect(cell).to_be_visible()
    top = cell.bounding_box()["y"]
    expect(panel.locator(".bpl-drill-grid-caption")).to_contain_text("test confusion matrix at")
    expect(cell).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(cell).to_be_enabled()
    assert cell.bounding_box()["y"] == top, "drawing the grid moved it"
    shot(panel.locator(".bpl-drilldown"), "03-training-drilldown-grid")
    lab.wait_idle(page)
    cell.click()
    expect(panel.locator(".bpl-drill-caption")).to_contain_text("true 7, predicted 7")
    panel.locator("button.bpl-drill-thumb-0").click()
    example = panel.locator(".bpl-drilldown .bpl-step-through")
    expect(example).to_be_visible()
    expect(panel.locator(".bpl-drill-example")).to_contain_text("true 7")
    example.locator("button.bpl-step-end").click()
    expect(example.locator(".bpl-step-shape")).to_have_text("shape 785×100")
    for error in panel.locator(".bpl-error").all():  # the dashboard's and the example's
        expect(error).to_be_hidden()
    shot(panel, "03-training-drilldown")
    print(f"Pause answered in {pause_seconds:.2f} s, Step in {step_seconds:.2f} s")
    lab.delete_sessions()
