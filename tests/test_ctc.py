"""CTC: the reference against brute force, PyTorch, tf.nn.ctc_loss, Keras and optax; bad input.

The reference takes log-probabilities ``(N, T, C)``; PyTorch wants ``(T, N, C)`` and
TensorFlow/Keras/optax take logits, so the frameworks are compared through ``log_softmax``.
optax takes paddings (1.0 on a padded frame or label) instead of lengths.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lossbook as lb
from compare import ON_TOP, REDUCTIONS, SETTINGS, assert_gradient, assert_same, run_optax
from lossbook.numerics import through_log_softmax
from lossbook.registry import KERAS
from strategies import ctc_batches

#: Compared with the frameworks here (lengths, blank, logits), not by the registry tests.
COVERS = ("ctc",)
SPEC = lb.REGISTRY["ctc"]
log_softmax = lb.log_softmax


def of_logits(r: lb.Result, z: np.ndarray) -> lb.Result:
    """The reference's gradient w.r.t. log-probabilities, carried back to the logits."""
    return lb.Result(r.value, through_log_softmax(z, r.grad), r.dtype)


@st.composite
def ctc_cases(draw, max_t: int = 6, max_c: int = 5):
    """Logits, padded targets, lengths and a blank anywhere in [0, C)."""
    n, t, c = draw(st.integers(1, 3)), draw(st.integers(1, max_t)), draw(st.integers(2, max_c))
    s = draw(st.integers(0, min(t, 4)))
    blank = draw(st.integers(0, c - 1))
    input_lengths = draw(hnp.arrays(np.int64, n, elements=st.integers(1, t)))
    target_lengths = np.array([draw(st.integers(0, min(s, int(i)))) for i in input_lengths],
                              dtype=np.int64)
    labels = draw(hnp.arrays(np.int64, (n, s), elements=st.integers(0, c - 2)))
    labels += labels >= blank  # every class but the blank
    padding = draw(hnp.arrays(np.int64, (n, s), elements=st.integers(0, c - 1)))
    targets = np.where(np.arange(s) < target_lengths[:, None], labels, padding)
    logits = draw(hnp.arrays(np.float64, (n, t, c), elements=st.floats(-4.0, 4.0)))
    return logits, targets, input_lengths, target_lengths, blank


def brute_force(log_probs, target, n_frames, blank):
    """-log of the summed probability of every alignment, by enumeration."""
    paths = lb.ctc_alignments(target, n_frames, log_probs.shape[-1], blank)
    if len(paths) == 0:
        return np.inf
    return -np.logaddexp.reduce(log_probs[np.arange(n_frames), paths].sum(axis=1))


# --- brute force and properties ---------------------------------------------------------

@SETTINGS
@given(ctc_cases(max_t=5, max_c=4))
def test_matches_brute_force_enumeration_of_alignments(case):
    logits, targets, il, tl, blank = case
    lp = log_softmax(logits)
    got = lb.ctc(lp, targets, input_lengths=il, target_lengths=tl, blank=blank,
                 reduction="none")
    expected = [brute_force(lp[i, :il[i]], targets[i, :tl[i]], il[i], blank)
                for i in range(len(il))]
    # a near-certain target has a loss -log(1 - d) with d tiny: both sums of probabilities
    # are near 1 and exact to an ulp of 1, so the loss is exact to ~1e-16, not relatively
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_alignments_and_collapse():
    assert lb.ctc_collapse([1, 1, 0, 1, 2, 2, 0]) == [1, 1, 2]
    assert lb.ctc_collapse([3, 3, 3], blank=3) == []
    np.testing.assert_array_equal(lb.ctc_alignments([1], 2, 3), [[0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(lb.ctc_alignments([1, 1], 3, 2), [[1, 0, 1]])
    assert len(lb.ctc_alignments([1, 1], 2, 2)) == 0  # a repeat needs a blank between
    assert len(lb.ctc_alignments([], 3, 4, blank=2)) == 1


@SETTINGS
@given(ctc_cases())
def test_uniform_log_probs_count_alignments(case):
    """With every class equally likely, loss = T log C - log(number of alignments)."""
    logits, targets, il, tl, blank = case
    n, t, c = logits.shape
    assume(c ** t <= 5000)
    lp = np.full(logits.shape, -np.log(c))
    got = lb.ctc(lp, targets, input_lengths=il, target_lengths=tl, blank=blank,
                 reduction="none")
    counts = [len(lb.ctc_alignments(targets[i, :tl[i]], il[i], c, blank)) for i in range(n)]
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(got, il * np.log(c) - np.log(counts), rtol=1e-12)


@SETTINGS
@given(ctc_cases(), st.sampled_from(["sum", "mean"]))
def test_gradient_matches_central_differences(case, reduction):
    logits, targets, il, tl, blank = case
    lp = log_softmax(logits)
    kwargs = dict(input_lengths=il, target_lengths=tl, blank=blank,
                  weight=1.0 / np.maximum(tl, 1))
    assume(np.isfinite(lb.ctc(lp, targets, reduction=reduction, **kwargs)))
    assert_gradient(lb.ctc, lp, targets, reduction=reduction, atol=1e-7, **kwargs)


@SETTINGS
@given(ctc_cases())
def test_occupancy_sums_to_one_per_frame_and_padding_is_ignored(case):
    logits, targets, il, tl, blank = case
    lp = log_softmax(logits)
    r = lb.ctc.value_and_grad(lp, targets, input_lengths=il, target_lengths=tl, blank=blank,
                              reduction="sum")
    assume(np.all(np.isfinite(r.grad)))
    inside = np.arange(lp.shape[1]) < il[:, None]
    np.testing.assert_allclose(r.grad.sum(axis=-1), -inside.astype(float), atol=1e-12)
    assert np.all(r.grad[~inside] == 0.0)
    assert r.value >= 0
    # Garbage after each sequence's end (frames and labels) changes nothing.
    noisy = np.where(inside[..., None], lp, log_softmax(np.ones_like(lp)))
    padded = np.concatenate([targets, np.full((len(il), 2), (blank + 1) % lp.shape[-1])],
                            axis=1)
    again = lb.ctc.value_and_grad(noisy, padded, input_lengths=il, target_lengths=tl,
                                  blank=blank, reduction="sum")
    np.testing.assert_allclose(again.value, r.value, rtol=1e-12)
    np.testing.assert_allclose(again.grad, r.grad, atol=1e-12)


@SETTINGS
@given(ctc_batches())
def test_default_lengths_are_the_full_arrays(pair):
    lp, targets = pair
    n, t, _ = lp.shape
    full = dict(input_lengths=np.full(n, t), target_lengths=np.full(n, targets.shape[1]))
    np.testing.assert_array_equal(lb.ctc(lp, targets, reduction="none"),
                                  lb.ctc(lp, targets, reduction="none", **full))


def test_impossible_alignment_is_inf_or_zero_with_zero_infinity():
    lp = np.log(np.full((1, 3, 3), 1 / 3))
    targets = np.array([[1, 1, 2]])  # needs 4 frames (1, blank, 1, 2)
    r = lb.ctc.value_and_grad(lp, targets, reduction="none")
    assert r.value[0] == np.inf and np.all(np.isnan(r.grad))
    r = lb.ctc.value_and_grad(lp, targets, reduction="none", zero_infinity=True)
    assert r.value[0] == 0.0 and np.all(r.grad == 0.0)


# --- frameworks -------------------------------------------------------------------------

def torch_ctc(torch, module):
    """``module`` (an nn.CTCLoss) called on ``(N, T, C)`` log-probabilities, on the CPU:
    CUDA's CTC backward is refused under ``torch.use_deterministic_algorithms``."""
    return lambda lp, *args: module(lp.cpu().permute(1, 0, 2), *(a.cpu() for a in args))


@SETTINGS
@given(case=ctc_cases(), reduction=REDUCTIONS, zero_infinity=st.booleans())
def test_matches_pytorch(frameworks, case, reduction, zero_infinity):
    torch, _ = frameworks
    logits, targets, il, tl, blank = case
    params = {"blank": blank, "zero_infinity": zero_infinity}
    module = SPEC.torch.build(params, reduction=reduction)
    weight = 1.0 / np.maximum(tl, 1) if reduction == "mean" else None  # PyTorch's "mean"
    lp = log_softmax(logits)
    ref = lb.ctc.value_and_grad(lp, targets, input_lengths=il, target_lengths=tl,
                                reduction=reduction, weight=weight, **params)
    # Through log_softmax: the gradients w.r.t. the logits agree.
    got = lb.run_torch(
        lambda z, *args: torch_ctc(torch, module)(torch.log_softmax(z, -1), *args),
        logits, targets, il, tl)
    expected = of_logits(ref, logits)
    np.testing.assert_allclose(got.value, expected.value, rtol=1e-9)
    np.testing.assert_allclose(got.grad, expected.grad, rtol=1e-9, atol=1e-10)
    # W.r.t. the log-probabilities themselves, PyTorch adds exp(log_probs) (scaled by the
    # reduction) to the exact derivative: its backward assumes log_softmax comes first.
    got = lb.run_torch(torch_ctc(torch, module), lp, targets, il, tl)
    scale = np.ones(len(il)) if weight is None else weight / len(il)
    inside = np.arange(lp.shape[1]) < il[:, None]
    shift = np.exp(lp) * (inside * scale[:, None])[..., None]
    if zero_infinity:
        shift *= np.isfinite(lb.ctc(lp, targets, input_lengths=il, target_lengths=tl,
                                    blank=blank, reduction="none"))[:, None, None]
    np.testing.assert_allclose(got.grad, ref.grad + shift, rtol=1e-9, atol=1e-10)


def test_pytorch_accepts_concatenated_targets(frameworks):
    torch, _ = frameworks
    lp = log_softmax(lb.rng(0).normal(size=(2, 5, 4)))
    padded, tl = np.array([[1, 2, 3], [3, 3, 0]]), np.array([3, 2])
    concatenated = np.array([1, 2, 3, 3, 3])
    module = torch.nn.CTCLoss(reduction="sum")
    for targets in (padded, concatenated):
        got = lb.run_torch(torch_ctc(torch, module), lp, targets, np.array([5, 5]), tl)
        np.testing.assert_allclose(got.value, lb.ctc(lp, padded, target_lengths=tl,
                                                      reduction="sum"), rtol=1e-9)


def feasible_case(case):
    logits, targets, il, tl, blank = case
    return np.all(np.isfinite(lb.ctc(log_softmax(logits), targets, input_lengths=il,
                                     target_lengths=tl, blank=blank, reduction="none")))


@SETTINGS
@given(case=ctc_cases(), negative_blank=st.booleans())
def test_matches_tf_nn_ctc_loss(frameworks, case, negative_blank):
    """tf.nn.ctc_loss takes logits, computes in float32 only, blank_index may be negative."""
    import tensorflow as tf

    logits, targets, il, tl, blank = case
    assume(feasible_case(case))  # TF returns about 709 instead of inf
    assume(targets.shape[1] > 0)  # TF returns 0 for a label array of width 0
    blank_index = blank - logits.shape[-1] if negative_blank else blank
    got = lb.run_tf(
        lambda z, t, i, n: tf.nn.ctc_loss(labels=t, logits=z, label_length=n, logit_length=i,
                                          logits_time_major=False, blank_index=blank_index),
        logits, targets, il, tl, dtype="float32")
    ref = lb.ctc.value_and_grad(log_softmax(logits), targets, input_lengths=il,
                                target_lengths=tl, blank=blank, reduction="none")
    expected = of_logits(ref, logits)
    np.testing.assert_allclose(got.value, expected.value, rtol=2e-5, atol=1e-5)
    np.testing.assert_allclose(got.grad, expected.grad, rtol=2e-5, atol=2e-5)


@SETTINGS
@given(ctc_batches(), st.sampled_from(["sum_over_batch_size", "mean", "sum"]))
def test_matches_keras_ctc(frameworks, pair, keras_reduction):
    """Keras' CTC: logits, blank 0, targets padded with 0, every input of full length."""
    lp, targets = pair  # normalised log-probabilities are also valid logits
    assume(targets.shape[1] > 0)  # TF returns 0 for a label array of width 0
    loss = SPEC.keras.build(reduction=keras_reduction)
    got = lb.run_tf(lambda z, t: loss(t, z), lp, targets)
    reduction = KERAS.reductions[keras_reduction]
    ref = lb.ctc.value_and_grad(lp, targets, reduction=reduction)
    expected = of_logits(ref, lp)
    np.testing.assert_allclose(got.value, expected.value, rtol=2e-5, atol=1e-5)
    np.testing.assert_allclose(got.grad, expected.grad, rtol=2e-5, atol=2e-5)


def paddings(lengths: np.ndarray, size: int) -> np.ndarray:
    """optax's paddings ``(N, size)``: 1.0 after each sequence's length, else 0.0."""
    return (np.arange(size) >= lengths[:, None]).astype(np.float64)


def run_optax_ctc(case, reduction: str = "none") -> lb.Result:
    logits, targets, il, tl, blank = case
    return run_optax(SPEC.optax, logits, paddings(il, logits.shape[1]), targets,
                     paddings(tl, targets.shape[1]), params={"blank": blank},
                     reduction=reduction)


def padded_to(case, frames: int, labels: int):
    """The case with its logits padded to ``frames`` frames (with ones) and its targets to
    ``labels`` labels (with class 1): the lengths say what counts."""
    logits, targets, il, tl, blank = case
    logits = np.pad(logits, ((0, 0), (0, frames - logits.shape[1]), (0, 0)),
                    constant_values=1.0)
    targets = np.pad(targets, ((0, 0), (0, labels - targets.shape[1])), constant_values=1)
    return logits, targets, il, tl, blank


@SETTINGS
@given(case=ctc_cases(), reduction=ON_TOP)
def test_matches_optax_with_paddings(optax, case, reduction):
    """optax.ctc_loss(logits, logit_paddings, labels, label_paddings, blank_id=...): its
    ``jnp.mean`` on top is the mean over sequences (PyTorch's ``"mean"`` first divides by
    the target lengths).  Padded to the largest drawn sizes, as optax is meant to be used
    (one compiled shape per batch size and class count; padded frames get no gradient)."""
    assume(feasible_case(case))  # see the next test
    logits, targets, il, tl, blank = case = padded_to(case, frames=6, labels=4)
    ref = lb.ctc.value_and_grad(log_softmax(logits), targets, input_lengths=il,
                                target_lengths=tl, blank=blank, reduction=reduction)
    assert_same(run_optax_ctc(case, reduction), of_logits(ref, logits))


def test_optax_gives_a_large_finite_loss_where_no_alignment_exists(optax):
    """optax approximates log 0 by ``log_epsilon=-1e5``
    (optax/losses/_classification.py, ctc_loss_with_forward_probs): a target that needs more
    frames than it has costs about 1e5 instead of PyTorch's inf (or 0 with
    ``zero_infinity``, which optax does not have)."""
    logits = lb.rng(0).normal(size=(2, 3, 3))
    targets, tl = np.array([[1, 1, 2], [1, 2, 0]]), np.array([3, 2])  # 1, 1, 2 needs 4
    case = (logits, targets, np.array([3, 3]), tl, 0)
    ref = lb.ctc(log_softmax(logits), targets, target_lengths=tl, reduction="none")
    got = run_optax_ctc(case)
    assert ref[0] == np.inf and 1e4 < got.value[0] < 1e6
    np.testing.assert_allclose(got.value[1], ref[1], rtol=1e-12)


# --- bad input --------------------------------------------------------------------------

LP = log_softmax(lb.rng(0).normal(size=(2, 4, 3)))
TG = np.array([[1, 2], [2, 0]])


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(log_probs=LP[:, :1], input_lengths=[1, 1]), ValueError,
     r"target 0 is longer than its input: target_lengths\[0\] = 2 > input_lengths\[0\] = 1"),
    (dict(targets=np.array([[1, 0], [2, 0]])), ValueError,
     r"targets must be class indices in \[0, 2\] other than the blank 0, got 0"),
    (dict(targets=np.array([[1, 3], [2, 1]])), ValueError,
     r"targets must be class indices in \[0, 2\] other than the blank 0, got 3"),
    (dict(target_lengths=[2, 1, 1]), ValueError,
     r"target_lengths must have shape \(2,\), one length per sequence, got shape \(3,\)"),
    (dict(target_lengths=[3, 1]), ValueError,
     r"target_lengths must be in \[0, 2\] \(the array's size\), got 3"),
    (dict(input_lengths=[4, 5]), ValueError,
     r"input_lengths must be in \[1, 4\] \(the array's size\), got 5"),
    (dict(input_lengths=[4, 0]), ValueError, r"input_lengths must be in \[1, 4\]"),
    (dict(input_lengths=[4.0, 4.0]), TypeError, r"input_lengths must hold integers"),
    (dict(targets=TG[:1]), ValueError,
     r"targets must have shape \(N, S\) with N = 2, got shape \(1, 2\)"),
    (dict(targets=TG.astype(float)), TypeError,
     r"targets must hold integer class indices, got dtype float64"),
    (dict(log_probs=LP[0]), ValueError, r"log_probs must have shape \(N, T, C\), got shape"),
    (dict(blank=3), ValueError, r"blank must be a class index in \[0, 2\], got 3"),
    (dict(blank=-1), ValueError, r"blank must be a class index in \[0, 2\], got -1"),
])
def test_bad_input_message(kwargs, error, message):
    args = {"log_probs": LP, "targets": TG, "target_lengths": [2, 1], **kwargs}
    with pytest.raises(error, match=message):
        lb.ctc(args.pop("log_probs"), args.pop("targets"), **args)
