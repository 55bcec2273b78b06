"""JupyterLab in headless Chromium: type the question's answer into the step-through panel's
"check your derivation" box, read the mistakes, and switch the notation."""

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture reports it: skipped locally, a failure in CI
    expect = None

# the check cell of 02_backward_pass prints this last, after returning the panel to step 1
CHECK_CELL_DONE = "StepThroughPanel(MLP(784 → 100 → 10 → 10, sigmoid, float32), step 1 of 16: x)"
QUESTION = r"[1\ H_1]^T(\hat{y}-y)W_3^TH_2(1-H_2)"


def type_derivation(panel, text: str) -> None:
    box = panel.locator(".bpl-derive-input input")
    box.fill(text)
    box.press("Enter")  # commits the value to the kernel (the box updates on Enter or leaving it)
    panel.locator("button.bpl-derive-submit").click()


def test_check_the_questions_derivation_and_switch_notation(lab, page, shot):
    lab.open(page, "02_backward_pass.ipynb")
    lab.run_all(page)
    expect(page.get_by_text(CHECK_CELL_DONE)).to_be_visible(timeout=90_000)
    panel = page.locator(".bpl-step-through")
    name, shape = panel.locator(".bpl-step-name"), panel.locator(".bpl-step-shape")
    counter, chain = panel.locator(".bpl-step-counter"), panel.locator(".bpl-chain")
    derive, feedback = panel.locator(".bpl-derive"), panel.locator(".bpl-derive-feedback")
    expect(derive).to_be_hidden()  # step 1 is x: nothing to derive yet

    # End, then back three steps: dL/dz1, dL/dH1, dL/dW2
    panel.locator("button.bpl-step-end").click()
    expect(counter).to_have_text("step 16 of 16")
    for _ in range(3):
        panel.locator("button.bpl-step-prev").click()
    expect(name).to_contain_text("dL/dW2")
    expect(shape).to_have_text("shape 101×10")
    expect(chain).to_contain_text("1×10 · 10×10 · 10×10 diagonal · 10×101×10 outer → 101×10")

    type_derivation(panel, QUESTION)
    expect(feedback).to_contain_text("✗ Not yet: your expression does not evaluate")
    expect(feedback).to_contain_text("✗ bias-row-kept")
    expect(feedback).to_contain_text("✗ elementwise-as-matrix-product")
    failed = feedback.locator("tr", has_text="stops here")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("11 ≠ 1")
    expect(feedback.locator("tr", has_text="101×10 · 10×11 → 101×11")).to_have_count(1)  # [1 H1]ᵀ(ŷ − y)W3ᵀ
    expect(panel.locator(".bpl-error")).to_be_hidden()
    shot(derive, "02-derivation-question")

    # the notation: columns, as in Ng's and Nielsen's courses
    panel.locator(".bpl-convention button", has_text="columns").click()
    expect(shape).to_have_text("shape 10×100")
    expect(name).to_contain_text("dL/dW2")
    expect(counter).to_have_text("step 14 of 19")  # dL/db3 comes before it now
    expect(chain).to_contain_text("10×1 · 10×10 · 10×10 diagonal · 10×10×100 outer → 10×100")
    expect(panel.locator(".bpl-diagram")).to_contain_text("10×100")
    expect(feedback).to_be_hidden()  # the old verdict was about the old notation
    type_derivation(panel, "dW2 = 1/m * np.dot(dZ2, A1.T)")
    expect(feedback).to_contain_text("✓ Right: dW2 is 10×100")
    expect(panel.locator(".bpl-error")).to_be_hidden()
    shot(panel, "02-derivation-column")
    lab.delete_sessions()
