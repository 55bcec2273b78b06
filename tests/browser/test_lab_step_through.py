"""JupyterLab in headless Chromium: run 02_backward_pass and click through its step-through panel."""

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture reports it: skipped locally, a failure in CI
    expect = None

# the check cell of 02_backward_pass prints this last, after returning the panel to step 1
CHECK_CELL_DONE = "StepThroughPanel(MLP(784 → 100 → 10 → 10, sigmoid, float32), step 1 of 16: x)"


def test_backward_pass_notebook_step_through(lab, page, shot):
    lab.open(page, "02_backward_pass.ipynb")
    lab.run_all(page)
    expect(page.get_by_text(CHECK_CELL_DONE)).to_be_visible(timeout=90_000)
    panel = page.locator(".bpl-step-through")
    expect(panel).to_have_count(1)
    name, shape = panel.locator(".bpl-step-name"), panel.locator(".bpl-step-shape")
    ledger, counter = panel.locator(".bpl-ledger"), panel.locator(".bpl-step-counter")
    expect(counter).to_have_text("step 1 of 16")
    expect(shape).to_have_text("shape 1×784")

    # Next, twelve times: x -> ... -> dL/dW2, each click answered by the kernel
    next_button = panel.locator("button.bpl-step-next")
    for _ in range(12):
        next_button.click()
    expect(counter).to_have_text("step 13 of 16")
    expect(name).to_contain_text("dL/dW2")
    expect(shape).to_have_text("shape 101×10")
    expect(ledger).to_contain_text("[1 H1]ᵀ (101×1) · δ2 (1×10) = 101×10 = shape of W2")
    expect(ledger).to_contain_text("inner dimensions 1 = 1 ✓")
    expect(panel.locator(".bpl-step-formula")).to_contain_text("∂L")  # MathJax rendered the formula
    expect(panel.locator(".bpl-diagram")).to_contain_text("← backward pass")
    shot(panel, "02-step-through-dW2")

    # the full Jacobian dz2/dW2: ten 101×10 blocks side by side, not a 10×1010 strip
    panel.locator("button.bpl-full-jacobian").click()
    expect(panel.locator(".bpl-jacobian-info")).to_contain_text(
        "drawn as 10 blocks, one per entry of z2 (10): block j is ∂z2[j]/∂W2, 101×10 like W2")
    jacobian = panel.locator("img.bpl-jacobian-image")
    expect(jacobian).to_be_visible()
    jacobian.scroll_into_view_if_needed()
    box = jacobian.bounding_box()
    assert box["height"] >= 200 and box["width"] >= 200, box
    shot(jacobian, "02-step-through-jacobian-dW2")

    # Previous: dL/dz2, the elementwise product with the sigmoid's slope
    panel.locator("button.bpl-step-prev").click()
    expect(name).to_contain_text("dL/dz2")
    expect(shape).to_have_text("shape 1×10")
    expect(ledger).to_contain_text("⊙ H2(1 − H2)")

    # the batch toggle: the same step for the batch of 8
    panel.locator(".bpl-batch button", has_text="batch of 8").click()
    expect(shape).to_have_text("shape 8×10")
    expect(ledger).to_contain_text("∂L/∂H2 (8×10) ⊙ H2(1 − H2) (8×10) = 8×10")
    shot(panel, "02-step-through-batch")

    # the quiz: switch it on, the shape hides; answer, it shows
    panel.locator(".bpl-quiz-toggle input[type=checkbox]").check()
    expect(shape).to_have_text("shape ?")
    panel.locator(".bpl-quiz-input input").fill("8x10")
    panel.locator("button.bpl-quiz-submit").click()
    feedback = panel.locator(".bpl-quiz-feedback")
    expect(feedback).to_contain_text(re.compile(r"^Right: dL/dz2 is 8×10"))
    expect(shape).to_have_text("shape 8×10")
    expect(panel.locator(".bpl-quiz-score")).to_have_text("score 1 / 1")
    expect(panel.locator(".bpl-error")).to_be_hidden()
    shot(panel, "02-step-through-quiz")
    shot(page, "02-backward-pass-page")
    lab.delete_sessions()
