"""Adaptive softmax: the reference against nn.AdaptiveLogSoftmaxWithLoss (log_prob, output,
loss, gradients w.r.t. the input), its properties, and bad input.

Keras has no adaptive softmax, and the loss needs weights besides ``(pred, target)``, so it
is compared with PyTorch here rather than by the registry-driven tests.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lossbook as lb
from compare import REDUCTIONS, SETTINGS, assert_gradient

#: Compared with PyTorch here (the loss needs weights), not by the registry-driven tests.
COVERS = ("adaptive_softmax",)
# Small inputs give tail projections of size d // div_value**(i + 1) = 0 (PyTorch allows
# them; the cluster is then uniform), which nn.Linear reports with a UserWarning.
pytestmark = pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")


@st.composite
def modules(draw):
    """Sizes of an adaptive softmax, a seed, inputs and targets."""
    d = draw(st.integers(2, 12))
    n_classes = draw(st.integers(3, 40))
    n_cut = draw(st.integers(1, min(3, n_classes - 1)))
    cutoffs = sorted(draw(st.sets(st.integers(1, n_classes - 1), min_size=n_cut,
                                  max_size=n_cut)))
    div_value = draw(st.sampled_from([1.0, 2.0, 4.0]))
    head_bias = draw(st.booleans())
    n = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    target = rng.integers(0, n_classes, size=n)
    return dict(d=d, n_classes=n_classes, cutoffs=cutoffs, div_value=div_value,
                head_bias=head_bias, seed=seed, hidden=rng.normal(size=(n, d)), target=target)


def build(torch, case):
    torch.manual_seed(case["seed"])
    module = torch.nn.AdaptiveLogSoftmaxWithLoss(
        case["d"], case["n_classes"], case["cutoffs"], div_value=case["div_value"],
        head_bias=case["head_bias"]).double()
    if case["head_bias"]:  # PyTorch initialises the bias at random too; make it visible
        torch.nn.init.normal_(module.head.bias)
    return module.to(lb.torch_device())


@SETTINGS
@given(modules())
def test_log_prob_matches_pytorch_and_sums_to_one(frameworks, case):
    torch, _ = frameworks
    module = build(torch, case)
    w = lb.adaptive_weights(module)
    got = module.log_prob(torch.tensor(case["hidden"], device=lb.torch_device()))
    ref = lb.adaptive_log_prob(case["hidden"], **w)
    np.testing.assert_allclose(got.detach().cpu().numpy(), ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.exp(ref).sum(axis=1), 1.0, rtol=1e-12)


@SETTINGS
@given(modules(), REDUCTIONS)
def test_loss_output_and_gradient_match_pytorch(frameworks, case, reduction):
    """The module returns (output, loss): output = target log-probabilities, loss =
    their negated mean. Gradients are taken with respect to the input features."""
    torch, _ = frameworks
    module = build(torch, case)
    w = lb.adaptive_weights(module)
    hidden, target = case["hidden"], case["target"]
    ref = lb.adaptive_softmax.value_and_grad(hidden, target, reduction=reduction, **w)
    pick = {"mean": lambda out: out.loss, "sum": lambda out: -out.output.sum(),
            "none": lambda out: -out.output}[reduction]
    got = lb.run_torch(lambda h, t: pick(module(h, t)), hidden, target)
    np.testing.assert_allclose(got.value, ref.value, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got.grad, ref.grad, rtol=1e-9, atol=1e-12)
    # ... and the loss is the NLL of log_prob: the factorisation is exact.
    nll = lb.run_torch(lambda h, t: torch.nn.functional.nll_loss(
        module.log_prob(h), t, reduction=reduction), hidden, target)
    np.testing.assert_allclose(nll.value, ref.value, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(nll.grad, ref.grad, rtol=1e-9, atol=1e-12)


@SETTINGS
@given(modules())
def test_loss_is_nll_of_the_full_distribution_and_gradient_matches_differences(case):
    rng = np.random.default_rng(case["seed"])
    d, n_classes, cutoffs = case["d"], case["n_classes"], case["cutoffs"]
    sizes = np.diff([*cutoffs, n_classes])
    w = {"head": rng.normal(size=(d, cutoffs[0] + len(sizes))),
         "tail": [(rng.normal(size=(d, 2)), rng.normal(size=(2, k))) for k in sizes],
         "head_bias": rng.normal(size=cutoffs[0] + len(sizes)) if case["head_bias"] else None}
    hidden, target = case["hidden"], case["target"]
    full = lb.adaptive_log_prob(hidden, **w)
    r = lb.adaptive_softmax.value_and_grad(hidden, target, reduction="sum", **w)
    np.testing.assert_allclose(r.value, -full[np.arange(len(target)), target].sum(),
                               rtol=1e-12)
    assert_gradient(lb.adaptive_softmax, hidden, target, **w)


def test_one_cluster_of_full_rank_is_not_a_full_softmax():
    """Even with a full-rank tail the model differs from a softmax: the cluster's
    probability is shared through the head, a different (but exact) distribution."""
    rng = np.random.default_rng(0)
    w = {"head": rng.normal(size=(3, 3)), "tail": [(np.eye(3), rng.normal(size=(3, 4)))]}
    lp = lb.adaptive_log_prob(rng.normal(size=(5, 3)), **w)
    assert lp.shape == (5, 6)
    np.testing.assert_allclose(np.exp(lp).sum(axis=1), 1.0)


# --- bad input --------------------------------------------------------------------------

H = np.zeros((2, 3))
W = {"head": np.zeros((3, 3)), "tail": [(np.zeros((3, 1)), np.zeros((1, 4)))]}


@pytest.mark.parametrize("call, error, message", [
    (lambda: lb.adaptive_softmax(H, np.array([0, 6]), **W), ValueError,
     r"target must be class indices in \[0, 5\], got 6"),
    (lambda: lb.adaptive_softmax(H, np.array([0.0, 1.0]), **W), TypeError,
     r"target must hold integer class indices, got dtype float64"),
    (lambda: lb.adaptive_softmax(H, np.array([0, 1, 2]), **W), ValueError,
     r"target must have shape \(2,\), one class per row of hidden, got shape \(3,\)"),
    (lambda: lb.adaptive_softmax(H[0], np.array(0), **W), ValueError,
     r"hidden must have shape \(N, d\), got shape \(3,\)"),
    (lambda: lb.adaptive_softmax(np.zeros((2, 4)), np.array([0, 1]), **W), ValueError,
     r"head must have shape \(d, shortlist \+ n_clusters\) with d = 4, got shape \(3, 3\)"),
    (lambda: lb.adaptive_softmax(H, np.array([0, 1]), head=W["head"],
                                 tail=[(np.zeros((3, 2)), np.zeros((1, 4)))]), ValueError,
     r"tail\[0\] must be \(projection \(d, d_i\), output \(d_i, size_i\)\) with d = 3"),
    (lambda: lb.adaptive_softmax(H, np.array([0, 1]), head=np.zeros((3, 1)),
                                 tail=W["tail"]), ValueError, r"no room for a shortlist"),
    (lambda: lb.adaptive_softmax(H, np.array([0, 1]), head_bias=np.zeros(2), **W),
     ValueError, r"head_bias must have shape \(3,\), got \(2,\)"),
    (lambda: lb.adaptive_softmax(H, np.array([0, 1]), head=W["head"], tail=np.zeros(3)),
     TypeError, r"tail must be a list of \(projection, output\) weight pairs"),
    (lambda: lb.adaptive_softmax(H, np.array([0, 1])), TypeError, r"needs the head weights"),
])
def test_bad_input_message(call, error, message):
    with pytest.raises(error, match=message):
        call()
