"""Bad input gets a clear error that names the argument, what was expected and what was given."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import lossbook as lb
from lossbook import inputs
from lossbook.check import Comparison

P, T = np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 2.0])


@pytest.mark.parametrize("call, error, message", [
    (lambda: lb.mse(P, T[:2]), ValueError,
     r"pred and target must have the same shape, got pred \(3,\) and target \(2,\)"),
    (lambda: lb.l1(np.array([1.0, np.nan, 0.0]), T), ValueError, r"pred must be finite, got nan"),
    (lambda: lb.l1(P, np.array([1.0, np.inf, 0.0])), ValueError,
     r"target must be finite, got inf"),
    (lambda: lb.l1(np.array([]), np.array([])), ValueError, r"pred must not be empty"),
    (lambda: lb.l1("1 2 3", T), TypeError, r"pred must be an array of numbers, got str"),
    (lambda: lb.l1(P, np.array(["a", "b", "c"])), TypeError,
     r"target must be an array of numbers, got dtype <U1"),
    (lambda: lb.l1(P + 1j, T), TypeError, r"pred must be real"),
    (lambda: lb.huber(P, T, delta=0.0), ValueError, r"delta must be in \(0, inf\], got 0"),
    (lambda: lb.huber(P, T, delta="1"), TypeError, r"delta must be a real number, got str"),
    (lambda: lb.smooth_l1(P, T, beta=-1.0), ValueError, r"beta must be in \[0, inf\], got -1"),
    (lambda: lb.pinball(P, T, tau=1.0), ValueError, r"tau must be in \(0, 1\), got 1"),
    (lambda: lb.mape(P, T, eps=0.0), ValueError, r"eps must be in \(0, inf\], got 0"),
    (lambda: lb.msle(-P, T), ValueError, r"pred must be >= 0, got -1"),
    (lambda: lb.msle(P, -T), ValueError, r"target must be >= 0, got -1.5"),
    (lambda: lb.mse(P, T, reduction="avg"), ValueError,
     r"reduction must be one of \('none', 'mean', 'sum', 'weighted_mean'\), got 'avg'"),
    (lambda: lb.mse(P, T, weight=[1.0, -1.0, 1.0]), ValueError, r"weight must be >= 0, got -1"),
    (lambda: lb.mse(P, T, weight=[1.0, 1.0]), ValueError,
     r"weight of shape \(2,\) does not broadcast to the loss shape \(3,\)"),
    (lambda: lb.mse(P, T, reduction="weighted_mean", weight=np.zeros(3)), ValueError,
     r"weighted_mean needs weights with a positive sum"),
    (lambda: lb.huber(P, T, beta=1.0), TypeError,
     r"huber\(\) got unknown parameter\(s\) \['beta'\]; it takes \['delta'\]"),
])
def test_bad_input_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("call, error, message", [
    (lambda: inputs.class_indices("target", np.array([0, 3]), 3), ValueError,
     r"target must be class indices in \[0, 2\], got 3"),
    (lambda: inputs.class_indices("target", np.array([-1]), 3, ignore_index=-100), ValueError,
     r"in \[0, 2\] or ignore_index=-100, got -1"),
    (lambda: inputs.class_indices("target", np.array([0.0]), 3), TypeError,
     r"target must hold integer class indices, got dtype float64"),
    (lambda: inputs.probabilities("pred", [0.5, 1.2]), ValueError,
     r"pred must be probabilities in \[0, 1\], got 1.2"),
    (lambda: inputs.probabilities("target", [[0.2, 0.7]], axis=-1), ValueError,
     r"target must sum to 1 along axis -1, got a sum of 0.9"),
    (lambda: inputs.labels("target", [1.0, 0.0], (-1.0, 1.0)), ValueError,
     r"target must take only the values \{-1, 1\}, got 0"),
    (lambda: inputs.signed_labels([0.5, 1.0], [1.0, 0.0]), ValueError,
     r"target must take only the values \{-1, 1\}, got 0"),
    (lambda: inputs.class_indices("target", np.array([0, -2]), 3, padding=-1), ValueError,
     r"target must be class indices in \[0, 2\] padded with -1, got -2"),
    (lambda: inputs.class_indices("targets", np.array([1, 0]), 3, blank=0), ValueError,
     r"targets must be class indices in \[0, 2\] other than the blank 0, got 0"),
    (lambda: inputs.class_index("blank", 1.0, 3), TypeError, r"blank must be an int, got float"),
    (lambda: inputs.class_index("blank", True, 3), TypeError, r"blank must be an int, got bool"),
    (lambda: inputs.class_weights([1.0, -1.0], 2), ValueError, r"class_weight must be >= 0"),
    (lambda: inputs.lengths("input_lengths", np.array([2.0]), 1, low=1, high=3), TypeError,
     r"input_lengths must hold integers, got dtype float64"),
])
def test_shared_validators(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_check_raises_on_disagreement_and_names_both():
    good = lb.mse.value_and_grad(P, T)
    bad = lb.Result(good.value * (1 + 1e-3), good.grad, "float64")
    with pytest.raises(lb.Disagreement, match="value of wrong differs from value of ref"):
        lb.check({"ref": good, "wrong": bad})
    worse = lb.Result(good.value, good.grad + 1e-3, "float64")
    with pytest.raises(lb.Disagreement, match="gradient of wrong differs"):
        lb.check({"ref": good, "wrong": worse})
    with pytest.raises(ValueError, match="at least two implementations"):
        lb.check({"ref": good})


def test_check_prints_summary_then_rows(capsys):
    r = lb.mse.value_and_grad(P, T)
    lb.check({"a": r, "b": r})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("✓ all 2 agree on value and gradient (rtol=1e-05, atol=1e-07): "
                      "value 0.416667")
    assert out[1].split()[:4] == ["a", "float64", "value", "0.416667"]
    assert out[2].split()[0] == "grad"
    assert len(out) == 5


def test_check_html_hides_the_table_behind_its_summary():
    r = lb.mse.value_and_grad(P, T)
    html = Comparison({"a": r, "b": r}, "summary", grad=True, decimals=6,
                      max_items=6)._repr_html_()
    assert html.startswith('<details class="lb-check"><summary>summary</summary><table')
    assert html.count('<tr class="lb-grad">') == 2


def test_check_prints_the_table_before_raising(capsys):
    good = lb.mse.value_and_grad(P, T)
    bad = lb.Result(good.value * 2, good.grad, "float64")
    with pytest.raises(lb.Disagreement):
        lb.check({"ref": good, "wrong": bad})
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✗ value of wrong differs from value of ref")
    assert [line.split()[0] for line in out[1::2]] == ["ref", "wrong"]


def test_check_shows_at_most_max_items_but_compares_all(capsys):
    n = 10
    r = lb.mse.value_and_grad(np.zeros(n), np.ones(n))
    lb.check({"a": r, "b": r}, max_items=3)
    assert "... (10 values)" in capsys.readouterr().out
    changed = lb.Result(r.value, r.grad.copy(), "float64")
    changed.grad[-1] += 1.0
    with pytest.raises(lb.Disagreement, match=r"at index \(9,\)"):
        lb.check({"a": r, "b": changed}, max_items=3)


def test_result_scaled():
    r = lb.mse.value_and_grad(P, T).scaled(0.5)
    assert r.value == pytest.approx(0.5 * lb.mse(P, T))
    np.testing.assert_allclose(r.grad, (P - T) / 3)


def test_fmt_is_fixed_precision_and_device_neutral():
    assert lb.fmt(-1e-9) == "0.000000"
    assert lb.fmt(np.float32(0.1)) == "0.100000"
    assert lb.fmt(np.array([1.0, -2.5]), 2) == "[ 1.00 -2.50]"
    assert lb.fmt(np.arange(10.0), 1) == "[0.0 1.0 2.0 3.0 4.0 5.0 6.0 7.0 ... (10 values)]"
    assert lb.fmt(np.array([np.nan, np.inf])) == "[nan inf]"
    assert lb.fmt(np.array([3, 4])) == "[3, 4]"


def test_importing_lossbook_imports_no_framework():
    code = ("import sys, lossbook; "
            "print(sorted({'torch', 'tensorflow', 'keras', 'jax', 'optax'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("call, error, message", [
    (lambda: inputs.scores_and_indices(np.zeros((2, 3)), np.array([0, 1, 2])), ValueError,
     r"target must have the shape of pred without its last \(class\) axis, got pred "
     r"\(2, 3\) and target \(3,\)"),
    (lambda: inputs.scores_and_indices(np.zeros(3), np.array(1.0)), TypeError,
     r"target must hold integer class indices, got dtype float64"),
    (lambda: inputs.scores_and_indices(np.float64(0.0), np.int64(0)), ValueError,
     r"pred must have a class axis \(the last one\), got a scalar"),
])
def test_scores_and_indices(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("call, error, message", [
    (lambda: inputs.like("x2", np.zeros(2), "x1", np.zeros(3)), ValueError,
     r"x2 must have the shape of x1 \(3,\), got \(2,\)"),
    (lambda: inputs.parts("target", np.zeros(2), ("x2", "y")), TypeError,
     r"target must be a tuple \(x2, y\), got ndarray"),
    (lambda: inputs.parts("target", (1, 2, 3), ("x2", "y")), TypeError,
     r"target must be a tuple \(x2, y\), got a tuple of 3"),
    (lambda: inputs.sums_to_one("exp(pred)", np.array([[0.5, 0.7]])), ValueError,
     r"exp\(pred\) must sum to 1 along axis -1, got a sum of 1.2"),
])
def test_several_inputs_and_normalisation(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_glue_keeps_the_printed_rounding_as_myst_nb_glues(monkeypatch):
    import myst_nb
    import myst_nb.ext.glue

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: shown.append((a, k)))
    monkeypatch.setattr(myst_nb.ext.glue, "ipy_display", lambda *a, **k: shown.append((a, k)))
    lb.glue("a", 0.91349, 3)
    myst_nb.glue("a", 0.913, display=False)
    lb.glue("n", np.int64(20))
    myst_nb.glue("n", 20, display=False)
    assert shown[0] == shown[1] and shown[2] == shown[3]
    assert shown[0][0][0] == {"application/papermill.record/text/plain": "0.913"}
    assert shown[2][0][0] == {"application/papermill.record/text/plain": "20"}
    with pytest.raises(TypeError, match="assert a claim"):
        lb.glue("b", True)
