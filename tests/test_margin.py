"""Margin-based references: class weights, the Crammer–Singer variant, label conventions,
finite differences with every parameter, identities and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lossbook as lb
from compare import (
    PROPERTIES,
    REDUCTIONS,
    SETTINGS,
    assert_gradient,
    assert_matches_pytorch,
    assert_same,
    keras_per_sample,
)
from strategies import (
    MULTI_MARGIN_MARGINS,
    multi_margin_pairs,
    multilabel_pairs,
    padded_label_sets,
    scores_and_one_hot,
    signed_pairs,
)


def class_weight_for(c: int) -> np.ndarray:
    return np.linspace(0.5, 3.0, c)


@SETTINGS
@given(data=multi_margin_pairs(), p=st.sampled_from([1, 2]),
       margin=st.sampled_from(MULTI_MARGIN_MARGINS), reduction=REDUCTIONS)
def test_multi_margin_with_class_weights_matches_pytorch(frameworks, data, p, margin,
                                                         reduction):
    pred, target = data
    assert_matches_pytorch("multi_margin", pred, target, reduction=reduction, p=p,
                           margin=margin, class_weight=class_weight_for(pred.shape[-1]))


def test_multi_margin_weight_is_applied_after_the_power(frameworks):
    """The docstring writes max(0, w[y] (margin - x_y + x_i))**p; the kernel computes
    w[y] max(0, margin - x_y + x_i)**p. They differ for p = 2."""
    torch, _ = frameworks
    x, y, w = np.array([[0.2, 0.9, -0.4]]), np.array([0]), np.array([3.0, 1.0, 1.0])
    slack = np.maximum(0.0, 1.0 - x[0, 0] + x[0, 1:])
    for p in (1, 2):
        got = torch.nn.MultiMarginLoss(p=p, weight=torch.tensor(w))(
            torch.tensor(x), torch.tensor(y)).item()
        assert got == pytest.approx(np.sum(3.0 * slack**p) / 3)
        assert got == pytest.approx(lb.multi_margin(x, y, p=p, class_weight=w))
        docstring = np.sum((3.0 * slack) ** p) / 3
        assert (got == pytest.approx(docstring)) == (p == 1)


@SETTINGS
@given(data=multilabel_pairs(), reduction=REDUCTIONS)
def test_multilabel_soft_margin_with_class_weights_matches_pytorch(frameworks, data,
                                                                   reduction):
    pred, target = data
    assert_matches_pytorch("multilabel_soft_margin", pred, target, reduction=reduction,
                           class_weight=class_weight_for(pred.shape[-1]))


@SETTINGS
@given(data=scores_and_one_hot(), reduction=REDUCTIONS)
def test_crammer_singer_matches_a_torch_implementation(frameworks, data, reduction):
    """optax's multiclass_hinge_loss: max_j (s_j + 1 - [j = y]) - s_y."""
    torch, _ = frameworks
    pred, onehot = data

    def crammer_singer(s, y):
        loss = torch.amax(s + 1 - y, dim=-1) - (s * y).sum(dim=-1)
        return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]

    assert_same(lb.run_torch(crammer_singer, pred, onehot),
                lb.categorical_hinge.value_and_grad(pred, onehot, crammer_singer=True,
                                                    reduction=reduction))


def test_keras_categorical_hinge_differs_when_every_other_score_is_negative(frameworks):
    _, keras = frameworks
    s, y = np.array([[-2.0, -1.0, 0.5]]), np.array([[0.0, 0.0, 1.0]])
    keras_value = float(keras.losses.CategoricalHinge(dtype="float64")(y, s))
    assert keras_value == pytest.approx(0.5) == lb.categorical_hinge(s, y)
    assert lb.categorical_hinge(s, y, crammer_singer=True) == 0.0
    s2 = np.array([[-2.0, 0.3, 0.5]])  # a non-target score is positive: they agree
    assert lb.categorical_hinge(s2, y) == lb.categorical_hinge(s2, y, crammer_singer=True)


def test_optax_multiclass_hinge_is_crammer_singer(optax):
    """optax's ``multiclass_hinge_loss(scores, labels)`` takes class indices and the max
    over the other classes only: 0 where Keras' (target entry read as 0) gives 0.5."""
    s, y = np.array([[-2.0, -1.0, 0.5]]), np.array([2])
    got = lb.run_jax(optax.losses.multiclass_hinge_loss, s, y)
    assert float(got.value[0]) == 0.0 == lb.categorical_hinge(s, np.eye(3)[y],
                                                              crammer_singer=True)
    assert lb.categorical_hinge(s, np.eye(3)[y]) == 0.5


def test_optax_hinge_takes_labels_as_they_are(optax):
    """optax's ``hinge_loss`` is ``max(0, 1 - f y)`` for any ``y`` (no check, no
    conversion): a 0 label costs 1 whatever the score, where Keras reads 0 as -1 and the
    reference refuses it."""
    f = np.array([-2.0, 0.5, 3.0])
    got = lb.run_jax(optax.losses.hinge_loss, f, np.zeros(3))
    np.testing.assert_array_equal(got.value, 1.0)
    np.testing.assert_array_equal(got.grad, 0.0)
    with pytest.raises(ValueError, match="target must"):
        lb.hinge(f, np.zeros(3))


@SETTINGS
@given(data=signed_pairs(min_dims=2, labels=(0.0, 1.0)))
def test_keras_hinge_converts_0_1_labels(frameworks, data):
    """Keras turns labels that are all 0 or 1 into -1 and 1 (2 y - 1) before the hinge."""
    _, keras = frameworks
    pred, y01 = data
    for name, ref in (("Hinge", lb.hinge), ("SquaredHinge", lb.squared_hinge)):
        loss = getattr(keras.losses, name)(reduction="none", dtype="float64")
        got = lb.run_tf(lambda p, t, loss=loss: loss(t, p), pred, y01)
        want = ref.value_and_grad(pred, 2 * y01 - 1, reduction="none")
        assert_same(got, keras_per_sample(want, pred))


def test_multilabel_margin_padding_rule(frameworks):
    """Only the indices before the first -1 count; a later index is not a target."""
    torch, _ = frameworks
    x = np.array([[0.1, 0.2, 0.4, 0.8]])
    y = np.array([[3, 0, -1, 1]])  # targets {3, 0}; the 1 after -1 is ignored
    by_hand = sum(max(0.0, 1 - (x[0, j] - x[0, i])) for j in (3, 0) for i in (1, 2)) / 4
    assert lb.multilabel_margin(x, y) == pytest.approx(by_hand)
    got = torch.nn.MultiLabelMarginLoss()(torch.tensor(x), torch.tensor(y)).item()
    assert got == pytest.approx(by_hand)
    assert lb.multilabel_margin(x, np.array([[-1, 0, 1, 2]])) == 0.0  # no targets


@SETTINGS
@given(data=st.data(), reduction=REDUCTIONS)
def test_multilabel_margin_with_any_index_rows_matches_pytorch(frameworks, data, reduction):
    """Arbitrary rows of indices and -1: repeated indices count once per occurrence."""
    torch, _ = frameworks
    pred, _ = data.draw(padded_label_sets())
    c = pred.shape[-1]
    target = data.draw(hnp.arrays(np.int64, pred.shape, elements=st.integers(-1, c - 1)))
    module = torch.nn.MultiLabelMarginLoss(reduction=reduction)
    assert_same(lb.run_torch(module, pred, target),
                lb.multilabel_margin.value_and_grad(pred, target, reduction=reduction))


# --- finite differences with every parameter -------------------------------------------

@SETTINGS
@given(data=st.data(), reduction=REDUCTIONS)
def test_gradients_by_finite_differences(data, reduction):
    pred, target = data.draw(multi_margin_pairs())
    w = class_weight_for(pred.shape[-1])
    for p in (1, 2):
        for margin in MULTI_MARGIN_MARGINS:
            assert_gradient(lb.multi_margin, pred, target, reduction=reduction, p=p,
                            margin=margin, class_weight=w)
    pred, onehot = data.draw(scores_and_one_hot())
    for cs in (False, True):
        assert_gradient(lb.categorical_hinge, pred, onehot, reduction=reduction,
                        crammer_singer=cs)
    pred, target = data.draw(padded_label_sets())
    assert_gradient(lb.multilabel_margin, pred, target, reduction=reduction)
    pred, target = data.draw(multilabel_pairs())
    assert_gradient(lb.multilabel_soft_margin, pred, target, reduction=reduction,
                    class_weight=class_weight_for(pred.shape[-1]))
    pred, target = data.draw(signed_pairs())
    for ref in (lb.hinge, lb.squared_hinge, lb.soft_margin):
        assert_gradient(ref, pred, target, reduction=reduction)


# --- identities -------------------------------------------------------------------------

@PROPERTIES
@given(data=signed_pairs())
def test_binary_margin_identities(data):
    f, y = data
    hinge = lb.hinge(f, y, reduction="none")
    np.testing.assert_allclose(lb.squared_hinge(f, y, reduction="none"), hinge**2)
    # soft margin with ±1 labels = BCE with logits with 0/1 labels
    np.testing.assert_allclose(lb.soft_margin(f, y, reduction="none"),
                               lb.bce_with_logits(f, (y + 1) / 2, reduction="none"),
                               rtol=1e-12, atol=1e-14)
    # the hinge bounds the 0-1 loss; the soft margin / log 2 does too
    wrong = (y * f <= 0).astype(float)
    assert np.all(hinge >= wrong)
    assert np.all(lb.soft_margin(f, y, reduction="none") / np.log(2) >= wrong - 1e-12)
    # each loss depends on the margin y f only
    np.testing.assert_allclose(hinge, lb.hinge(y * f, np.ones_like(y), reduction="none"))


@PROPERTIES
@given(data=multilabel_pairs())
def test_multilabel_soft_margin_is_mean_bce_with_logits(data):
    x, y = data
    np.testing.assert_allclose(
        lb.multilabel_soft_margin(x, y, reduction="none"),
        lb.bce_with_logits(x, y, reduction="none").mean(axis=-1), rtol=1e-12, atol=1e-14)


@PROPERTIES
@given(data=scores_and_one_hot())
def test_categorical_hinge_identities(data):
    s, onehot = data
    keras_form = lb.categorical_hinge(s, onehot, reduction="none")
    cs = lb.categorical_hinge(s, onehot, reduction="none", crammer_singer=True)
    assert np.all(keras_form >= cs - 1e-12)  # Keras' inner max includes a 0
    others_negative = np.all(np.where(onehot == 1, -1.0, s) < 0, axis=-1)
    np.testing.assert_allclose(keras_form[~others_negative], cs[~others_negative])
    # C times the multi-margin loss = the sum of one hinge per wrong class
    y = onehot.argmax(axis=-1)
    mm = lb.multi_margin(s, y, reduction="none", margin=1.0)
    np.testing.assert_allclose(mm * s.shape[-1], np.sum(np.maximum(
        0.0, 1.0 - s[np.arange(len(y)), y][:, None] + s) * (1 - onehot), axis=-1))


@pytest.mark.parametrize("call, error, message", [
    (lambda: lb.hinge(np.zeros(2), np.array([0.0, 1.0])), ValueError,
     r"target must take only the values \{-1, 1\}, got 0"),
    (lambda: lb.soft_margin(np.zeros(2), np.array([1.0, 2.0])), ValueError,
     r"target must take only the values \{-1, 1\}, got 2"),
    (lambda: lb.squared_hinge(np.zeros(2), np.ones(3)), ValueError,
     r"pred and target must have the same shape"),
    (lambda: lb.multilabel_soft_margin(np.zeros((1, 2)), np.array([[-1.0, 1.0]])),
     ValueError, r"target must take only the values \{0, 1\}, got -1"),
    (lambda: lb.categorical_hinge(np.zeros((1, 3)), np.array([[1.0, 1.0, 0.0]])),
     ValueError, r"target must be one-hot along the last axis, got a row with 2 ones"),
    (lambda: lb.categorical_hinge(np.zeros((1, 2)), np.array([[0.5, 0.5]])),
     ValueError, r"target must take only the values \{0, 1\}, got 0.5"),
    (lambda: lb.multi_margin(np.zeros((2, 3)), np.array([0, 3])), ValueError,
     r"target must be class indices in \[0, 2\], got 3"),
    (lambda: lb.multi_margin(np.zeros((2, 3)), np.array([0, 1]), p=3), ValueError,
     r"p must be 1 or 2, got 3"),
    (lambda: lb.multi_margin(np.zeros((2, 3)), np.array([0, 1]), class_weight=[1.0]),
     ValueError, r"class_weight must have shape \(3,\) for 3 classes, got shape \(1,\)"),
    (lambda: lb.multi_margin(np.zeros((2, 3)), np.array([0, 1, 2])), ValueError,
     r"target must have the shape of pred without its last \(class\) axis"),
    (lambda: lb.multilabel_margin(np.zeros((1, 3)), np.array([[0, -2, -1]])), ValueError,
     r"target must be class indices in \[0, 2\] padded with -1, got -2"),
    (lambda: lb.multilabel_margin(np.zeros((1, 3)), np.array([[0, 3, -1]])), ValueError,
     r"target must be class indices in \[0, 2\] padded with -1, got 3"),
    (lambda: lb.multilabel_margin(np.zeros((1, 3)), np.array([[0, -1]])), ValueError,
     r"target must have the shape of pred \(class indices padded with -1\)"),
    (lambda: lb.multilabel_margin(np.zeros((1, 3)), np.array([[0.0, 1.0, -1.0]])),
     TypeError, r"target must hold integer class indices, got dtype float64"),
])
def test_bad_input_message(call, error, message):
    with pytest.raises(error, match=message):
        call()
