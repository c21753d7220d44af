"""Probabilistic classification references: what the registry-driven tests cannot reach.

Class weights, ``ignore_index``, label smoothing, ``pos_weight``, K-dimensional inputs
(PyTorch's class axis 1 against the references' last axis), Keras' ``ignore_class``,
finite differences with every parameter, and identities between the losses.
"""

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
)
from strategies import LOGIT, binary_pairs, scores_and_classes

CLASS_WEIGHT = st.floats(0.1, 3.0, allow_subnormal=False)


@st.composite
def indexed(draw, ignore: bool = True):
    """Logits ``(..., C)`` with 1 to 3 leading axes, targets with some ``-100`` entries,
    class weights or None."""
    lead = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    c = draw(st.integers(2, 4))
    logits = draw(hnp.arrays(np.float64, (*lead, c), elements=LOGIT))
    low = -1 if ignore else 0
    target = draw(hnp.arrays(np.int64, lead, elements=st.integers(low, c - 1)))
    target[target == -1] = -100
    if np.all(target == -100):  # PyTorch's "mean" is NaN then: tested separately
        target.flat[0] = 0
    weight = draw(st.one_of(st.none(), hnp.arrays(np.float64, (c,), elements=CLASS_WEIGHT)))
    return logits, target, weight


def torch_layout(torch, x):
    """(N, d1, ..., C) -> (N, C, d1, ...): PyTorch's class axis 1.

    ``.contiguous()``: in PyTorch 2.13 the CPU backward of ``nll_loss`` on a 4-D
    channels-last view raises "grad_input must be contiguous" (see chapter 03).
    """
    return x.movedim(-1, 1).contiguous() if x.ndim > 2 else x


@SETTINGS
@given(data=indexed(), smoothing=st.sampled_from([0.0, 0.1, 0.3]), reduction=REDUCTIONS)
def test_cross_entropy_and_nll_match_pytorch_with_every_option(frameworks, data, smoothing,
                                                               reduction):
    torch, _ = frameworks
    logits, target, weight = data
    w = None if weight is None else torch.tensor(weight, device=lb.torch_device())
    ce = torch.nn.CrossEntropyLoss(weight=w, label_smoothing=smoothing, reduction=reduction)
    got = lb.run_torch(lambda x, t: ce(torch_layout(torch, x), t), logits, target)
    ref = lb.cross_entropy.value_and_grad(logits, target, class_weight=weight,
                                          label_smoothing=smoothing, reduction=reduction)
    assert_same(got, ref)

    logp = lb.log_softmax(logits)
    nll = torch.nn.NLLLoss(weight=w, reduction=reduction)
    got = lb.run_torch(lambda x, t: nll(torch_layout(torch, x), t), logp, target)
    assert_same(got, lb.nll.value_and_grad(logp, target, class_weight=weight,
                                           reduction=reduction))


@SETTINGS
@given(data=scores_and_classes(probability_targets=True),
       smoothing=st.sampled_from([0.0, 0.2]), reduction=REDUCTIONS, with_weight=st.booleans())
def test_probability_targets_match_pytorch_with_class_weights(frameworks, data, smoothing,
                                                              reduction, with_weight):
    """With probability targets PyTorch's mean divides by N, not by the weights."""
    torch, _ = frameworks
    logits, target = data
    weight = np.linspace(0.5, 2.0, logits.shape[-1]) if with_weight else None
    w = None if weight is None else torch.tensor(weight, device=lb.torch_device())
    ce = torch.nn.CrossEntropyLoss(weight=w, label_smoothing=smoothing, reduction=reduction)
    assert_same(lb.run_torch(ce, logits, target),
                lb.categorical_cross_entropy.value_and_grad(
                    logits, target, class_weight=weight, label_smoothing=smoothing,
                    reduction=reduction))


def test_images_and_point_clouds(frameworks):
    """(N, C, H, W) and (N, L, C) layouts: PyTorch wants the class axis at 1."""
    torch, keras = frameworks
    g = lb.rng(1)
    images = g.normal(size=(2, 3, 4, 5))  # N, C, H, W
    labels = g.integers(0, 3, size=(2, 4, 5))
    ref = lb.cross_entropy.value_and_grad(np.moveaxis(images, 1, -1), labels)
    got = lb.run_torch(torch.nn.CrossEntropyLoss(), images, labels)
    assert_same(got, lb.Result(ref.value, np.moveaxis(ref.grad, -1, 1), ref.dtype))
    sparse = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    assert_same(lb.run_tf(lambda x, t: sparse(t, x), np.moveaxis(images, 1, -1), labels), ref)

    points = g.normal(size=(2, 6, 4))  # N, L, C
    classes = g.integers(0, 4, size=(2, 6))
    ref = lb.cross_entropy.value_and_grad(points, classes)
    got = lb.run_torch(lambda x, t: torch.nn.CrossEntropyLoss()(x.permute(0, 2, 1), t),
                       points, classes)
    assert_same(got, ref)


def test_label_smoothing_with_a_zero_class_weight_matches_pytorch(frameworks):
    """A sample whose target class weighs 0 counts 0 in the mean, yet still gets the
    smoothing term, which weighs every class."""
    torch, _ = frameworks
    logits, target = lb.rng(4).normal(size=(4, 3)), np.array([0, 1, 2, 0])
    weight = np.array([0.0, 1.0, 2.0])
    for reduction in ("none", "mean", "sum"):
        ce = torch.nn.CrossEntropyLoss(weight=torch.tensor(weight, device=lb.torch_device()),
                                       label_smoothing=0.2, reduction=reduction)
        assert_same(lb.run_torch(ce, logits, target),
                    lb.cross_entropy.value_and_grad(logits, target, class_weight=weight,
                                                    label_smoothing=0.2, reduction=reduction))


def test_ignore_index_denominators_and_all_ignored(frameworks):
    torch, keras = frameworks
    logits = lb.rng(2).normal(size=(5, 3))
    target = np.array([0, -100, 2, -100, 1])
    weight = np.array([1.0, 2.0, 4.0])
    none = lb.cross_entropy(logits, target, class_weight=weight, reduction="none")
    assert none[1] == none[3] == 0.0
    mean = lb.cross_entropy(logits, target, class_weight=weight)
    assert mean == pytest.approx(none.sum() / (1.0 + 4.0 + 2.0))  # w[y] of kept samples
    assert lb.cross_entropy(logits, target) == pytest.approx(
        lb.cross_entropy(logits, target, reduction="sum") / 3)
    sparse = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-100,
                                                        dtype="float64")
    got = lb.run_tf(lambda x, t: sparse(t, x), logits, target)
    assert_same(got, lb.cross_entropy.value_and_grad(logits, target))

    everything = np.full(5, -100)
    torch_mean = torch.nn.CrossEntropyLoss()(torch.tensor(logits), torch.tensor(everything))
    assert torch.isnan(torch_mean)
    assert float(sparse(everything, logits)) == 0.0
    with pytest.raises(ValueError, match="positive sum"):
        lb.cross_entropy(logits, everything)
    assert lb.cross_entropy(logits, everything, reduction="sum") == 0.0


@SETTINGS
@given(data=binary_pairs(min_dims=2), reduction=REDUCTIONS,
       pw=hnp.arrays(np.float64, st.integers(1, 1), elements=st.floats(0.0, 5.0)))
def test_pos_weight_broadcasts_over_the_last_axis(frameworks, data, reduction, pw):
    logits, target = data
    pos_weight = np.resize(pw, logits.shape[-1]) * np.arange(1, logits.shape[-1] + 1)
    assert_matches_pytorch("bce_with_logits", logits, target, reduction=reduction,
                           pos_weight=pos_weight)


@SETTINGS
@given(data=binary_pairs(), alpha=st.one_of(st.none(), st.floats(0.0, 1.0)),
       gamma=st.floats(0.0, 4.0), reduction=REDUCTIONS)
def test_focal_matches_torchvision_formula_and_keras(frameworks, data, alpha, gamma,
                                                     reduction):
    """torchvision is not installed: its ``sigmoid_focal_loss`` written out in torch."""
    torch, keras = frameworks
    logits, target = data

    def sigmoid_focal_loss(x, y):  # torchvision.ops.sigmoid_focal_loss, alpha=-1 as None
        p = torch.sigmoid(x)
        ce = torch.nn.functional.binary_cross_entropy_with_logits(x, y, reduction="none")
        p_t = p * y + (1 - p) * (1 - y)
        loss = ce * (1 - p_t) ** gamma
        if alpha is not None:
            loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
        return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]

    ref = lb.focal.value_and_grad(logits, target, alpha=alpha, gamma=gamma,
                                  reduction=reduction)
    assert_same(lb.run_torch(sigmoid_focal_loss, logits, target), ref)
    keras_loss = keras.losses.BinaryFocalCrossentropy(
        apply_class_balancing=alpha is not None, alpha=0.25 if alpha is None else alpha,
        gamma=gamma, from_logits=True, reduction="sum", dtype="float64")
    got = lb.run_tf(lambda x, t: keras_loss(t, x), logits, target)
    ref = lb.focal.value_and_grad(logits, target, alpha=alpha, gamma=gamma, reduction="sum")
    np.testing.assert_allclose(got.value, ref.value / logits.shape[-1], rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(got.grad, ref.grad / logits.shape[-1], rtol=1e-8, atol=1e-9)


def test_optax_integer_labels_on_log_probabilities_give_the_nll_value_not_its_gradient(
        optax):
    """optax has no NLL of log-probabilities: softmax_cross_entropy_with_integer_labels on
    them has its value (log_softmax changes no log-probabilities) but differentiates through
    its logsumexp (optax/losses/_classification.py: ``log_normalizers - label_logits``):
    gradient ``softmax - onehot`` instead of ``-onehot``."""
    logp, y = lb.log_softmax(lb.rng(0).normal(size=(3, 4))), np.array([0, 3, 1])
    got = lb.run_jax(optax.losses.softmax_cross_entropy_with_integer_labels, logp, y)
    ref = lb.nll.value_and_grad(logp, y, reduction="none")
    np.testing.assert_allclose(got.value, ref.value, rtol=1e-12)
    np.testing.assert_allclose(got.grad, ref.grad + np.exp(logp), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("smoothing", [0.1, 0.4])
def test_optax_smooth_labels_is_label_smoothing(optax, smoothing):
    """optax smooths the targets in a function of its own, ``smooth_labels(labels, alpha)``:
    ``(1 - alpha) y + alpha / C``, PyTorch's and Keras' ``label_smoothing``."""
    logits, target = lb.rng(1).normal(size=(3, 4)), lb.softmax(lb.rng(2).normal(size=(3, 4)))
    got = lb.run_jax(lambda x, t: optax.losses.softmax_cross_entropy(
        x, optax.smooth_labels(t, smoothing)), logits, target)
    assert_same(got, lb.categorical_cross_entropy.value_and_grad(
        logits, target, label_smoothing=smoothing, reduction="none"))


def test_optax_focal_default_weighs_no_class(optax):
    """optax's ``sigmoid_focal_loss`` defaults to ``alpha=None`` (no class weight), the
    reference and Keras' ``BinaryFocalCrossentropy(apply_class_balancing=True)`` to 0.25."""
    logits, y = np.array([2.0, -1.0, 0.5]), np.array([1.0, 0.0, 1.0])
    got = lb.run_jax(optax.losses.sigmoid_focal_loss, logits, y)
    assert_same(got, lb.focal.value_and_grad(logits, y, alpha=None, reduction="none"))
    weighted = lb.focal(logits, y, reduction="none")  # alpha = 0.25
    np.testing.assert_allclose(weighted, got.value * np.where(y == 1, 0.25, 0.75), rtol=1e-12)


# --- finite differences with every parameter -------------------------------------------

@SETTINGS
@given(data=indexed(), smoothing=st.sampled_from([0.0, 0.25]), reduction=REDUCTIONS)
def test_index_target_gradients_by_finite_differences(data, smoothing, reduction):
    logits, target, weight = data
    assert_gradient(lb.cross_entropy, logits, target, reduction=reduction,
                    class_weight=weight, label_smoothing=smoothing)
    assert_gradient(lb.nll, lb.log_softmax(logits), target, reduction=reduction,
                    class_weight=weight)


@SETTINGS
@given(data=scores_and_classes(probability_targets=True), smoothing=st.floats(0.0, 0.5),
       reduction=REDUCTIONS)
def test_probability_target_gradients_by_finite_differences(data, smoothing, reduction):
    logits, target = data
    weight = np.linspace(0.5, 2.0, logits.shape[-1])
    assert_gradient(lb.categorical_cross_entropy, logits, target, reduction=reduction,
                    class_weight=weight, label_smoothing=smoothing)


@SETTINGS
@given(data=binary_pairs(), gamma=st.floats(0.0, 4.0), alpha=st.floats(0.0, 1.0),
       reduction=REDUCTIONS)
def test_binary_gradients_by_finite_differences(data, gamma, alpha, reduction):
    logits, target = data
    assert_gradient(lb.bce_with_logits, logits, target, reduction=reduction,
                    pos_weight=np.linspace(0.5, 3.0, logits.shape[-1]))
    assert_gradient(lb.focal, logits, target, reduction=reduction, alpha=alpha, gamma=gamma)
    assert_gradient(lb.binary_cross_entropy, lb.sigmoid(logits / 2), target,
                    reduction=reduction)


# --- identities -------------------------------------------------------------------------

@PROPERTIES
@given(data=indexed(ignore=False), smoothing=st.floats(0.0, 1.0))
def test_identities_of_index_targets(data, smoothing):
    logits, target, weight = data
    c = logits.shape[-1]
    np.testing.assert_allclose(
        lb.cross_entropy(logits, target, reduction="none", class_weight=weight),
        lb.nll(lb.log_softmax(logits), target, reduction="none", class_weight=weight))
    onehot = np.eye(c)[target]
    # Without class weights, PyTorch's smoothing = CE against the mixed target.
    np.testing.assert_allclose(
        lb.cross_entropy(logits, target, reduction="none", label_smoothing=smoothing),
        lb.categorical_cross_entropy(logits, onehot, reduction="none",
                                     label_smoothing=smoothing), rtol=1e-12, atol=1e-12)
    # Shifting every logit of a sample by the same amount changes nothing.
    np.testing.assert_allclose(lb.cross_entropy(logits + 7.5, target),
                               lb.cross_entropy(logits, target), rtol=1e-12)
    # The gradient of the mean over logits sums to 0 for each sample.
    g = lb.cross_entropy.value_and_grad(logits, target, label_smoothing=smoothing).grad
    np.testing.assert_allclose(g.sum(axis=-1), 0.0, atol=1e-12)


@PROPERTIES
@given(data=binary_pairs())
def test_identities_of_binary_losses(data):
    logits, target = data
    bce = lb.bce_with_logits(logits, target, reduction="none")
    np.testing.assert_allclose(
        lb.binary_cross_entropy(lb.sigmoid(logits), target, reduction="none"), bce,
        rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        lb.focal(logits, target, reduction="none", alpha=None, gamma=0.0), bce)
    np.testing.assert_allclose(
        lb.focal(logits, target, reduction="none", alpha=0.5, gamma=0.0), 0.5 * bce)
    assert np.all(lb.focal(logits, target, reduction="none", gamma=2.0) <= bce + 1e-15)
    # The binary loss is the two-class softmax cross-entropy with logits (0, x).
    two = np.stack([np.zeros_like(logits), logits], axis=-1)
    np.testing.assert_allclose(
        lb.categorical_cross_entropy(two, np.stack([1 - target, target], axis=-1),
                                     reduction="none"), bce, rtol=1e-9, atol=1e-12)


def test_known_values_and_stability():
    assert lb.cross_entropy(np.zeros((1, 4)), np.array([2])) == pytest.approx(np.log(4))
    big = np.array([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(lb.log_softmax(big), [[0.0, -1000.0, -2000.0]])
    assert lb.cross_entropy(big, np.array([1])) == pytest.approx(1000.0)
    assert lb.binary_cross_entropy(np.array([0.0]), np.array([1.0])) == 100.0
    assert lb.binary_cross_entropy(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0.0
    assert lb.bce_with_logits(np.array([-800.0]), np.array([1.0])) == pytest.approx(800.0)
    assert lb.bce_with_logits(np.array([3.0]), np.array([1.0]), pos_weight=[2.0]) == \
        pytest.approx(2 * np.log1p(np.exp(-3.0)))


@pytest.mark.parametrize("call, error, message", [
    (lambda: lb.cross_entropy(np.zeros((2, 3)), np.array([0, 3])), ValueError,
     r"target must be class indices in \[0, 2\] or ignore_index=-100, got 3"),
    (lambda: lb.nll(np.zeros((2, 3)), np.array([0, -1])), ValueError,
     r"target must be class indices in \[0, 2\] or ignore_index=-100, got -1"),
    (lambda: lb.cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])), TypeError,
     r"target must hold integer class indices, got dtype float64"),
    (lambda: lb.cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2])), ValueError,
     r"target must have the shape of pred without its last \(class\) axis, "
     r"got pred \(2, 3\) and target \(3,\)"),
    (lambda: lb.cross_entropy(np.float64(1.0), np.int64(0)), ValueError,
     r"pred must have a class axis"),
    (lambda: lb.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), class_weight=[1.0, 2.0]),
     ValueError, r"class_weight must have shape \(3,\) for 3 classes, got shape \(2,\)"),
    (lambda: lb.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), class_weight=[1, -1, 1]),
     ValueError, r"class_weight must be >= 0, got -1"),
    (lambda: lb.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), label_smoothing=1.5),
     ValueError, r"label_smoothing must be in \[0, 1\], got 1.5"),
    (lambda: lb.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), ignore_index=0.5),
     TypeError, r"ignore_index must be an int, got float"),
    (lambda: lb.categorical_cross_entropy(np.zeros((1, 2)), np.array([[0.7, 0.7]])),
     ValueError, r"target must sum to 1 along axis -1, got a sum of 1.4"),
    (lambda: lb.categorical_cross_entropy(np.zeros((1, 2)), np.array([[1.5, -0.5]])),
     ValueError, r"target must be probabilities in \[0, 1\], got 1.5"),
    (lambda: lb.categorical_cross_entropy(np.zeros((1, 2)), np.array([1.0, 0.0])),
     ValueError, r"pred and target must have the same shape"),
    (lambda: lb.binary_cross_entropy(np.array([0.5, 1.2]), np.array([0.0, 1.0])),
     ValueError, r"pred must be probabilities in \[0, 1\], got 1.2"),
    (lambda: lb.binary_cross_entropy(np.array([0.5, 0.2]), np.array([0.0, 2.0])),
     ValueError, r"target must be probabilities in \[0, 1\], got 2"),
    (lambda: lb.bce_with_logits(np.zeros(2), np.array([-1.0, 1.0])),
     ValueError, r"target must be probabilities in \[0, 1\], got -1"),
    (lambda: lb.bce_with_logits(np.zeros((2, 3)), np.ones((2, 3)), pos_weight=[1.0, 2.0]),
     ValueError, r"pos_weight of shape \(2,\) does not broadcast to the target shape "
                 r"\(2, 3\) \(it aligns with the last axis\)"),
    (lambda: lb.bce_with_logits(np.zeros(2), np.ones(2), pos_weight=[-1.0]),
     ValueError, r"pos_weight must be >= 0, got -1"),
    (lambda: lb.focal(np.zeros(2), np.ones(2), alpha=1.5), ValueError,
     r"alpha must be in \[0, 1\], got 1.5"),
    (lambda: lb.focal(np.zeros(2), np.ones(2), gamma=-1.0), ValueError,
     r"gamma must be in \[0, inf\], got -1"),
])
def test_bad_input_message(call, error, message):
    with pytest.raises(error, match=message):
        call()
