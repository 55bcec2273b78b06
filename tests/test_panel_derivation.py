"""The step-through panel's "check your derivation" box, whole chain and convention selector.

Driven as a learner would (set the box, Button.click()), no browser. Expected shapes are
counted by hand for the classic 784 → 100 → 10 → 10 network (W1 785×100, W2 101×10,
W3 11×10 as stored; W_k = W[1:]ᵀ and a separate b_k in the row-separate and column views).
"""

import numpy as np
import pytest

import backproplab as bl
from backproplab.errors import ConfigError
from backproplab.panels import StepThroughPanel

QUESTION = r"[1\ H_1]^T(\hat{y}-y)W_3^TH_2(1-H_2)"


@pytest.fixture
def panel():
    rng = np.random.default_rng(0)
    x, y = rng.random((4, 784)).astype(np.float32), rng.integers(0, 10, 4)
    return StepThroughPanel(bl.MLP(), x, y, quiz=False)


def visible(panel, cls) -> bool:
    return panel.control(cls).layout.display != "none"


def submit(panel, text: str) -> str:
    panel.control("bpl-derive-input").value = text
    panel.control("bpl-derive-submit").click()
    return panel.shown("bpl-derive-feedback")


def shape_of(panel, sub: str) -> str:
    """The shape the feedback table gives the sub-expression ``sub`` (its row starts with it)."""
    rows = [r[len(sub) + 1:] for r in feedback_rows(panel) if r.startswith(sub + " ")]
    assert len(rows) == 1, (sub, feedback_rows(panel))
    return rows[0].split(" ")[0]


def feedback_rows(panel) -> list[str]:
    return panel.shown("bpl-derive-feedback").splitlines()


def test_the_questions_answer_shows_each_shape_and_the_first_failure(panel):
    panel.go_to("dL/dW2")
    shown = submit(panel, QUESTION)
    assert panel.shown("bpl-error") == ""
    assert "bias-row-kept" in shown and "elementwise-as-matrix-product" in shown
    assert "W3[1:]" in shown and "⊙" in shown  # the fixes
    # hand-counted: [1 H1]ᵀ 101×1, · (ŷ − y) 1×10 → 101×10, · W3ᵀ 10×11 → 101×11, then · H2(1 − H2) 1×10 fails
    assert shape_of(panel, r"[1\ H_1]^T") == "101×1"
    assert shape_of(panel, r"[1\ H_1]^T(\hat{y}-y)") == "101×10"
    assert shape_of(panel, r"[1\ H_1]^T(\hat{y}-y)W_3^T") == "101×11"
    assert shape_of(panel, r"H_2(1-H_2)") == "1×10"
    marked = [r for r in feedback_rows(panel) if "stops here" in r]
    assert len(marked) == 1 and marked[0].startswith(QUESTION) and "11 ≠ 1" in marked[0]
    # not by colour alone: the red row carries the words too
    html = panel.control("bpl-derive-feedback").value
    red_row = next(part for part in html.split("<tr") if "stops here" in part)
    assert "#c62828" in red_row and "✗ stops here" in red_row
    assert panel.state.derivation_text == QUESTION
    assert panel.derivation.mistakes[:2] == ("bias-row-kept", "elementwise-as-matrix-product")


def test_a_right_derivation_is_accepted_and_nothing_is_marked(panel):
    panel.go_to("dL/dW2")
    shown = submit(panel, "dL/dW2 = [1 H1]^T ((ŷ − y) W3[1:]^T ⊙ H2 ⊙ (1 − H2))")
    assert shown.startswith("✓ Right: dL/dW2 is 101×10")
    assert "✗" not in shown and panel.derivation.ok


def test_batch_derivation_needs_the_mean(panel):
    panel.go_to("dL/dW2")
    panel.batch = True
    assert "missing-batch-mean" in submit(panel, "[1 H1]^T δ2 * 4")  # δ2 is already the mean: 4× too big
    assert submit(panel, "[1 H1]^T δ2").startswith("✓ Right: dL/dW2 is 101×10")


def test_the_feedback_belongs_to_its_step(panel):
    panel.go_to("dL/dW2")
    submit(panel, QUESTION)
    assert visible(panel, "bpl-derive-feedback")
    panel.control("bpl-step-next").click()
    assert panel.derivation is None and not visible(panel, "bpl-derive-feedback")


def test_the_box_and_chain_show_only_at_backward_steps(panel):
    panel.go_to("z2")
    assert not visible(panel, "bpl-derive") and not visible(panel, "bpl-chain")
    with pytest.raises(ConfigError, match="forward step"):
        panel.check_derivation("z2 = [1 H1] W2")
    panel.control("bpl-derive-submit").click()  # a click that slips through: shown, not lost
    assert "forward step" in panel.shown("bpl-error")
    panel.go_to("dL/dz3")
    assert visible(panel, "bpl-derive") and visible(panel, "bpl-chain")


def test_check_derivation_from_code_refuses_non_text(panel):
    panel.go_to("dL/dW2")
    with pytest.raises(ConfigError, match="as text"):
        panel.check_derivation(None)


def test_the_whole_chain_for_dW2_and_dW1(panel):
    panel.go_to("dL/dW2")
    lines = panel.shown("bpl-chain").splitlines()
    assert "1×10 · 10×10 · 10×10 diagonal · 10×101×10 outer → 101×10" in lines
    assert lines[-4:] == ["∂L/∂z3 1×10 → ∂L/∂z3 is 1×10", "· ∂z3/∂H2 10×10 → ∂L/∂H2 is 1×10",
                          "· ∂H2/∂z2 10×10 diagonal → ∂L/∂z2 is 1×10",
                          "· ∂z2/∂W2 10×101×10 outer → ∂L/∂W2 is 101×10"]
    panel.go_to("dL/dW1")  # z2 → H1 uses W2[1:]ᵀ: 10×100; ∂z1/∂W1 is 100×785×100
    assert ("1×10 · 10×10 · 10×10 diagonal · 10×100 · 100×100 diagonal · 100×785×100 outer → 785×100"
            in panel.shown("bpl-chain").splitlines())
    panel.go_to("dL/dz3")
    assert "1×10 → 1×10" in panel.shown("bpl-chain").splitlines()


def test_the_convention_selector_rerenders_everything(panel):
    panel.go_to("dL/dW2")
    before = {c: panel.shown(c) for c in ("bpl-step-formula", "bpl-diagram", "bpl-ledger")}
    assert "W2 ← 101×10" in " ".join(before["bpl-diagram"].split())
    panel.control("bpl-convention").value = "column"
    assert panel.convention == "column" and panel.current.name == "dL/dW2"
    assert panel.current.shape == (10, 100)
    assert "W2 ← 10×100" in " ".join(panel.shown("bpl-diagram").split())
    assert panel.shown("bpl-step-formula") != before["bpl-step-formula"]
    assert "10×100" in panel.shown("bpl-ledger") and "101×10" not in panel.shown("bpl-ledger")
    assert "dL/dW2 is 10×100" in panel.shown("bpl-step-value")
    assert "10×1 · 10×10 · 10×10 diagonal · 10×10×100 outer → 10×100" in panel.shown("bpl-chain")
    assert "W_k = W[1:]ᵀ" in panel.shown("bpl-convention-mapping")
    # the derivation box reads the convention: Ng's vectorised form is right here ...
    assert submit(panel, "dW2 = 1/m * np.dot(dZ2, A1.T)").startswith("✓ Right: dW2 is 10×100")
    assert "(column convention)" in panel.shown("bpl-derive-title")
    panel.control("bpl-convention").value = "row-folded"
    panel.check_derivation("dL/dW2 = δ2 H1^T")  # ... and the column form is wrong in rows
    assert not panel.derivation.ok and "✗" in panel.shown("bpl-derive-feedback")


def test_switching_keeps_the_quantity_and_the_slider_range(panel):
    slider = panel.control("bpl-step-slider")
    panel.go_to("dL/dW1")  # the last of 16 steps
    assert (slider.max, slider.value) == (16, 16)
    panel.convention = "row-separate"  # 19 steps: dL/db3, dL/db2, dL/db1 added
    assert panel.current.name == "dL/dW1" and (slider.max, slider.value) == (19, 18)
    panel.go_to("dL/db1")
    assert slider.value == 19
    panel.convention = "row-folded"  # no dL/db1 here: the bias gradient is row 0 of dL/dW1
    assert panel.current.name == "dL/dW1" and (slider.max, slider.value) == (16, 16)
    assert panel.shown("bpl-error") == ""


def test_gradient_check_only_in_the_stored_layout(panel):
    panel.go_to("dL/dW2")
    assert not panel.control("bpl-gradcheck").disabled
    panel.convention = "column"
    assert panel.control("bpl-gradcheck").disabled
    panel.control("bpl-gradcheck").click()
    assert "row-folded" in panel.shown("bpl-error")


def test_the_quiz_asks_again_in_another_convention():
    rng = np.random.default_rng(1)
    p = StepThroughPanel(bl.MLP(), rng.random((2, 784)), rng.integers(0, 10, 2), quiz=True)
    p.go_to("z2")  # step 4 in every convention
    p.answer("1x10")
    assert p.state.answered
    p.convention = "column"
    assert p.current.name == "z2" and not p.state.answered  # 10×1 now: a new question
    p.answer("10x1")
    assert p.state.answered


def test_chain_reaches_a_separate_bias():
    rng = np.random.default_rng(2)
    trace = bl.MLP().trace(rng.random((1, 784)), np.array([5]))
    for conv, b2 in (("row-separate", (10,)), ("column", (10, 1))):
        c = trace.view(conv).chain("dL/db2")
        assert [link.name for link in c] == ["∂L/∂z3", "∂z3/∂H2", "∂H2/∂z2", "∂z2/∂b2"]
        assert c.shape == b2 and c.links[-1].structure == "identity"


def test_a_bad_convention_names_the_choices_and_the_repr_says_which(panel):
    with pytest.raises(ConfigError, match="row-folded.*row-separate.*column"):
        panel.convention = "columns"
    panel.convention = "column"
    assert repr(panel).endswith("step 1 of 19: x, column convention)")


def test_the_chain_of_the_quadratic_cost_starts_at_dL_dy_hat():
    """Nielsen's network: ∂L/∂ŷ (1×10) · ∂ŷ/∂z3 (10×10 diagonal, the output sigmoid) · ... = 101×10."""
    rng = np.random.default_rng(3)
    p = StepThroughPanel(bl.MLP(loss="quadratic"), rng.random((2, 784)), rng.integers(0, 10, 2), quiz=False)
    p.go_to("dL/dy_hat")
    assert p.shown("bpl-error") == "" and "1×10 → 1×10" in p.shown("bpl-chain").splitlines()
    p.go_to("dL/dW2")
    assert ("1×10 · 10×10 diagonal · 10×10 · 10×10 diagonal · 10×101×10 outer → 101×10"
            in p.shown("bpl-chain").splitlines())
