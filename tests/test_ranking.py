"""Ranking and similarity losses (chapter 05) against PyTorch, TensorFlow/Keras and optax.

Their references take the other inputs as a tuple target, ``lb.margin_ranking(x1, (x2, y))``,
and return the gradient with respect to the first input, so the registry-driven tests
cannot call the frameworks generically: the comparisons are here (values and gradients,
property-based), with properties and bad input.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import lossbook as lb
from compare import (
    ON_TOP,
    PROPERTIES,
    REDUCTIONS,
    SETTINGS,
    assert_matches_optax,
    assert_matches_pytorch,
    assert_same,
    run_optax,
)
from strategies import pairs, params_for

#: Compared with PyTorch here (tuple targets), not by the registry-driven tests.
COVERS = ("margin_ranking", "cosine_embedding", "triplet_margin")


@SETTINGS
@given(data=st.data(), reduction=REDUCTIONS)
def test_margin_ranking_matches_pytorch(frameworks, data, reduction):
    torch, _ = frameworks
    x1, (x2, y) = data.draw(pairs("margin_ranking"))
    params = data.draw(params_for("margin_ranking"))
    ref = assert_matches_pytorch("margin_ranking", x1, (x2, y), reduction=reduction, **params)
    functional = torch.nn.functional.margin_ranking_loss
    assert_same(lb.run_torch(lambda a, b, t: functional(a, b, t, reduction=reduction, **params),
                             x1, x2, y), ref)


@SETTINGS
@given(data=st.data(), reduction=REDUCTIONS)
def test_cosine_embedding_matches_pytorch(frameworks, data, reduction):
    x1, target = data.draw(pairs("cosine_embedding"))
    assume(x1.ndim <= 2)  # PyTorch takes (N, D) or (D,)
    assert_matches_pytorch("cosine_embedding", x1, target, reduction=reduction,
                           **data.draw(params_for("cosine_embedding")))


@SETTINGS
@given(data=st.data(), reduction=REDUCTIONS)
def test_triplet_margin_matches_pytorch(frameworks, data, reduction):
    torch, _ = frameworks
    anchor, (pos, neg) = data.draw(pairs("triplet_margin"))
    params = data.draw(params_for("triplet_margin"))
    ref = assert_matches_pytorch("triplet_margin", anchor, (pos, neg), reduction=reduction,
                                 **params)
    distance = torch.nn.PairwiseDistance(p=params["p"], eps=params["eps"])
    with_distance = torch.nn.TripletMarginWithDistanceLoss(
        distance_function=distance, margin=params["margin"], swap=params["swap"],
        reduction=reduction)
    assert_same(lb.run_torch(with_distance, anchor, pos, neg), ref)


def test_optax_cosine_similarity_of_a_zero_vector_is_nan_unless_epsilon(optax):
    """optax divides by ``sqrt(max(|x|**2, epsilon))`` with ``epsilon=0`` by default
    (optax/losses/_regression.py, cosine_similarity): a zero vector gives nan.  With
    ``epsilon=1e-14`` it clamps the norm at 1e-7, as Keras does: then it is minus Keras'
    loss, gradient included, also for a tiny vector."""
    pred, target = np.array([[0.0, 0.0], [1e-9, 0.0]]), np.array([[1.0, 2.0], [3.0, 0.0]])
    assert np.isnan(lb.run_jax(optax.losses.cosine_similarity, pred, target).value[0])
    got = lb.run_jax(lambda p, t: -optax.losses.cosine_similarity(p, t, epsilon=1e-14),
                     pred, target)
    assert_same(got, lb.cosine_similarity.value_and_grad(pred, target, reduction="none"))


TRIPLET_OPTAX = lb.REGISTRY["triplet_margin"].optax


@SETTINGS
@given(data=st.data(), reduction=ON_TOP, p=st.sampled_from([2.0, 4.0]))
def test_triplet_margin_matches_optax_for_even_degrees_without_eps(optax, data, reduction,
                                                                   p):
    """optax's distance is ``(sum (x - y)**norm_degree + eps)**(1/norm_degree)``
    (optax/losses/_self_supervised.py, triplet_margin_loss): no absolute value and eps
    inside the root, so it is the reference's for even degrees and ``eps = 0`` only (see
    the next test); it has no ``swap``."""
    anchor, (pos, neg) = data.draw(pairs("triplet_margin"))
    params = {**data.draw(params_for("triplet_margin")), "p": p, "eps": 0.0, "swap": False}
    assert_matches_optax("triplet_margin", TRIPLET_OPTAX, anchor, (pos, neg),
                         reduction=reduction, **params)


def test_optax_triplet_distance_is_no_norm_for_odd_degrees_and_has_eps_inside(optax):
    """Odd degrees: optax sums signed powers, so ``a - pos = (-1, 1)`` is at distance 0
    (the p-norm: 2**(1/p)), and ``(-1, -1)`` at distance nan for degree 3 (a real root of
    a negative number).  eps: ``d(x, x)`` is ``sqrt(eps)``, the reference's ``eps sqrt(D)``."""
    anchor, neg = np.zeros((1, 2)), np.array([[-3.0, 0.0]])  # d(anchor, neg) = 3 for all p
    for p in (1.0, 3.0):
        params = {"p": p, "eps": 0.0, "margin": 4.0}
        pos = np.array([[1.0, -1.0]])
        got = run_optax(TRIPLET_OPTAX, anchor, pos, neg, params=params)
        ref = lb.triplet_margin(anchor, (pos, neg), reduction="none", **params)
        np.testing.assert_allclose(got.value, [0.0 - 3.0 + 4.0], rtol=1e-15)
        np.testing.assert_allclose(ref, [2 ** (1 / p) - 3.0 + 4.0], rtol=1e-15)
    got = run_optax(TRIPLET_OPTAX, anchor, np.ones((1, 2)), neg,
                    params={"p": 3.0, "eps": 0.0, "margin": 4.0})
    assert np.isnan(got.value[0])
    x, far = np.array([[0.5, 0.5]]), np.array([[-0.5, 0.5]])  # pos = anchor, |a - neg| = 1
    for eps in (1e-6, 1e-4):
        got = run_optax(TRIPLET_OPTAX, x, x, far, params={"eps": eps})
        np.testing.assert_allclose(got.value, [np.sqrt(eps) - np.sqrt(1.0 + eps) + 1.0],
                                   rtol=1e-12)
        ref = lb.triplet_margin(x, (x, far), eps=eps, reduction="none")
        np.testing.assert_allclose(ref, [eps * np.sqrt(2) - np.hypot(1 + eps, eps) + 1.0],
                                   rtol=1e-9)  # a difference of nearly equal numbers


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("eps", [1e-6, 1e-3])
def test_triplet_eps_is_added_to_the_difference_at_coincident_points(frameworks, p, eps):
    """d(x, x) = |eps (1, ..., 1)|_p = eps D**(1/p): the loss and its gradient exist."""
    torch, _ = frameworks
    rng = lb.rng(3)
    anchor, neg = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    pos = anchor.copy()
    d = torch.nn.PairwiseDistance(p=p, eps=eps)(torch.tensor(anchor), torch.tensor(pos))
    np.testing.assert_allclose(d.numpy(), eps * 5 ** (1 / p), rtol=1e-9)
    for swap in (False, True):
        ref = lb.triplet_margin.value_and_grad(anchor, (pos, neg), reduction="none",
                                               margin=1.0, p=p, eps=eps, swap=swap)
        module = torch.nn.TripletMarginLoss(margin=1.0, p=p, eps=eps, swap=swap,
                                            reduction="none")
        assert_same(lb.run_torch(module, anchor, pos, neg), ref)
        assert np.all(np.isfinite(ref.grad))
    # eps inside the root (optax) would give eps**(1/p) instead
    assert not np.isclose(eps * 5 ** (1 / p), eps ** (1 / p))


@SETTINGS
@given(data=st.data())
def test_cosine_similarity_matches_keras_and_is_minus_torch_cosine(frameworks, data):
    torch, keras = frameworks
    pred, target = data.draw(pairs("cosine_similarity", min_dims=2))
    ref = lb.cosine_similarity.value_and_grad(pred, target, reduction="none")
    loss = keras.losses.CosineSimilarity(reduction=None, dtype="float64")
    assert_same(lb.run_tf(lambda p, t: loss(t, p), pred, target), ref)
    cos = torch.nn.functional.cosine_similarity
    assert_same(lb.run_torch(lambda p, t: -cos(p, t, dim=-1), pred, target), ref)


def test_cosine_similarity_of_a_zero_vector_is_zero(frameworks):
    _, keras = frameworks
    pred, target = np.array([[0.0, 0.0], [1e-9, 0.0]]), np.array([[1.0, 2.0], [3.0, 0.0]])
    ref = lb.cosine_similarity.value_and_grad(pred, target, reduction="none")
    loss = keras.losses.CosineSimilarity(reduction=None, dtype="float64")
    got = lb.run_tf(lambda p, t: loss(t, p), pred, target)
    assert_same(got, ref)
    np.testing.assert_allclose(ref.value, [0.0, -1e-2])  # |pred| below 1e-7 is divided by 1e-7


@SETTINGS
@given(data=st.data(), reduction=REDUCTIONS)
def test_contrastive_matches_both_conventions_written_in_torch_and_tf(frameworks, data,
                                                                      reduction):
    torch, _ = frameworks
    import tensorflow as tf

    d, y = data.draw(pairs("contrastive"))
    margin = data.draw(st.floats(0.1, 3.0))
    reduce_t = {"none": lambda x: x, "mean": torch.mean, "sum": torch.sum}[reduction]
    reduce_tf = {"none": lambda x: x, "mean": tf.reduce_mean, "sum": tf.reduce_sum}[reduction]

    def similar_is_one(d, y):  # TF Addons' ContrastiveLoss
        return reduce_tf(y * d**2 + (1 - y) * tf.maximum(margin - d, 0.0) ** 2)

    def similar_is_zero(d, y):  # Flux's siamese_contrastive_loss
        return reduce_t((1 - y) * d**2 + y * torch.clamp_min(margin - d, 0) ** 2)

    for similar, got in ((1, lb.run_tf(similar_is_one, d, y)),
                         (0, lb.run_torch(similar_is_zero, d, y))):
        assert_same(got, lb.contrastive.value_and_grad(
            d, y, reduction=reduction, margin=margin, similar=similar))
    np.testing.assert_allclose(
        lb.contrastive(d, y, reduction="none", margin=margin, similar=1),
        lb.contrastive(d, 1 - y, reduction="none", margin=margin, similar=0))


def test_hinge_embedding_label_zero_gets_both_terms_in_pytorch(frameworks):
    """PyTorch masks with target != 1 and target != -1: a 0 label adds both branches."""
    torch, _ = frameworks
    x = np.array([0.3, 2.0, 0.5])
    out = torch.nn.HingeEmbeddingLoss(margin=1.0, reduction="none")(
        torch.tensor(x), torch.tensor([0.0, 0.0, 0.0]))
    np.testing.assert_allclose(
        out.numpy(), lb.hinge_embedding(x, np.ones(3), reduction="none")
        + lb.hinge_embedding(x, -np.ones(3), reduction="none"))
    with pytest.raises(ValueError, match=r"target must take only the values \{-1, 1\}, got 0"):
        lb.hinge_embedding(x, np.zeros(3))


def test_cosine_embedding_label_zero_gets_no_term_in_pytorch(frameworks):
    torch, _ = frameworks
    out = torch.nn.CosineEmbeddingLoss(reduction="none")(
        torch.ones(2, 3), -torch.ones(2, 3), torch.tensor([0.0, 2.0]))
    assert out.tolist() == [0.0, 0.0]


# --- properties ------------------------------------------------------------------------

@PROPERTIES
@given(pairs("margin_ranking"), st.floats(-1.0, 2.0))
def test_margin_ranking_is_symmetric_in_swapping_inputs_and_label(pair, margin):
    x1, (x2, y) = pair
    np.testing.assert_allclose(lb.margin_ranking(x1, (x2, y), reduction="none", margin=margin),
                               lb.margin_ranking(x2, (x1, -y), reduction="none", margin=margin))
    assert lb.margin_ranking(x1 + 10, (x1, np.ones_like(x1)), margin=1.0) == 0.0


@PROPERTIES
@given(pairs("cosine_similarity"), st.floats(0.1, 10.0))
def test_cosine_similarity_range_and_scale_invariance(pair, scale):
    pred, target = pair
    v = lb.cosine_similarity(pred, target, reduction="none")
    assert np.all((v >= -1 - 1e-12) & (v <= 1 + 1e-12))
    np.testing.assert_allclose(lb.cosine_similarity(scale * pred, target, reduction="none"), v)
    np.testing.assert_allclose(lb.cosine_similarity(pred, pred, reduction="none"), -1.0)
    np.testing.assert_allclose(lb.cosine_similarity(-pred, pred, reduction="none"), 1.0)
    np.testing.assert_allclose(  # 1 - cos, as in the cosine embedding loss with y = 1
        lb.cosine_embedding(pred, (target, np.ones(pred.shape[:-1])), reduction="none"),
        1.0 + v, atol=1e-10)  # PyTorch adds 1e-12 to the squared norms


@PROPERTIES
@given(pairs("triplet_margin"), params_for("triplet_margin"))
def test_triplet_swap_never_lowers_the_loss_and_order_matters(triplet, params):
    anchor, (pos, neg) = triplet
    params = {**params, "swap": False}
    plain = lb.triplet_margin(anchor, (pos, neg), reduction="none", **params)
    swapped = lb.triplet_margin(anchor, (pos, neg), reduction="none", **{**params, "swap": True})
    assert np.all(swapped >= plain)
    far = lb.triplet_margin(anchor, (anchor, anchor + 100.0), reduction="none", **params)
    assert np.all(far == 0.0)


def test_known_values():
    assert lb.margin_ranking(np.array([1.0]), (np.array([0.5]), np.array([1.0])),
                             margin=1.0) == pytest.approx(0.5)
    assert lb.hinge_embedding(np.array([0.2, 0.2]), np.array([1.0, -1.0]),
                              reduction="sum") == pytest.approx(0.2 + 0.8)
    assert lb.triplet_margin(np.zeros((1, 2)), (np.array([[3.0, 4.0]]), np.array([[1.0, 0.0]])),
                             eps=0.0) == pytest.approx(5.0 - 1.0 + 1.0)
    assert lb.contrastive(np.array([0.5, 0.5]), np.array([1.0, 0.0]), reduction="none",
                          margin=2.0).tolist() == [0.25, 2.25]
    assert lb.cosine_similarity(np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]])) == \
        pytest.approx(-np.sqrt(0.5))


# --- bad input -------------------------------------------------------------------------

X, Y = np.ones((2, 3)), np.ones(2)


@pytest.mark.parametrize("call, error, message", [
    (lambda: lb.margin_ranking(Y, (Y[:1], Y)), ValueError,
     r"x2 must have the shape of x1 \(2,\), got \(1,\)"),
    (lambda: lb.margin_ranking(Y, (Y, np.array([1.0, 0.0]))), ValueError,
     r"y must take only the values \{-1, 1\}, got 0"),
    (lambda: lb.margin_ranking(Y, Y), TypeError, r"target must be a tuple \(x2, y\), got ndarray"),
    (lambda: lb.margin_ranking(Y, (Y,)), TypeError,
     r"target must be a tuple \(x2, y\), got a tuple of 1"),
    (lambda: lb.cosine_embedding(X, (X, np.ones(3))), ValueError,
     r"y must have the shape of x1\[\.\.\., 0\] \(2,\), got \(3,\)"),
    (lambda: lb.cosine_embedding(X, (X[:, :2], Y)), ValueError,
     r"x2 must have the shape of x1 \(2, 3\), got \(2, 2\)"),
    (lambda: lb.cosine_embedding(1.0, (1.0, 1.0)), ValueError,
     r"x1 must have a feature axis \(at least 1-D\), got a scalar"),
    (lambda: lb.cosine_embedding(X, (X, Y), margin=2.0), ValueError,
     r"margin must be in \[-1, 1\], got 2"),
    (lambda: lb.cosine_similarity(X, X[:1]), ValueError,
     r"pred and target must have the same shape"),
    (lambda: lb.triplet_margin(X, (X, X[:1])), ValueError,
     r"negative must have the shape of anchor \(2, 3\), got \(1, 3\)"),
    (lambda: lb.triplet_margin(X, (X, X), margin=0.0), ValueError,
     r"margin must be in \(0, inf\], got 0"),
    (lambda: lb.triplet_margin(X, (X, X), p=0.5), ValueError, r"p must be in \[1, inf\], got 0.5"),
    (lambda: lb.hinge_embedding(Y, np.array([1.0, 2.0])), ValueError,
     r"target must take only the values \{-1, 1\}, got 2"),
    (lambda: lb.contrastive(np.array([-0.5, 1.0]), Y), ValueError, r"pred must be >= 0, got -0.5"),
    (lambda: lb.contrastive(Y, np.array([1.0, -1.0])), ValueError,
     r"target must take only the values \{0, 1\}, got -1"),
    (lambda: lb.contrastive(Y, Y, similar=-1), ValueError,
     r"similar must be the label 0 or 1, got -1"),
])
def test_bad_input_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- TensorFlow: Keras 3 has none of these losses; each one written with tf ops ---------

def _tf_losses():
    import tensorflow as tf

    def hinge_embedding(x, y, margin):
        return tf.where(y == 1.0, x, tf.maximum(margin - x, 0.0))

    def margin_ranking(x1, x2, y, margin):
        return tf.maximum(-y * (x1 - x2) + margin, 0.0)

    def cosine_embedding(x1, x2, y, margin):
        dot = tf.reduce_sum(x1 * x2, axis=-1)
        n1 = tf.reduce_sum(x1 * x1, axis=-1) + 1e-12
        n2 = tf.reduce_sum(x2 * x2, axis=-1) + 1e-12
        cos = dot / tf.sqrt(n1 * n2)
        return tf.where(y == 1.0, 1.0 - cos, tf.maximum(cos - margin, 0.0))

    def triplet_margin(a, pos, neg, margin, p, eps, swap):
        def d(x, z):
            return tf.norm(x - z + eps, ord=p, axis=-1)
        d_neg = tf.minimum(d(a, neg), d(pos, neg)) if swap else d(a, neg)
        return tf.maximum(d(a, pos) - d_neg + margin, 0.0)

    return {"hinge_embedding": hinge_embedding, "margin_ranking": margin_ranking,
            "cosine_embedding": cosine_embedding, "triplet_margin": triplet_margin}


@pytest.mark.parametrize("key", ["hinge_embedding", "margin_ranking", "cosine_embedding",
                                 "triplet_margin"])
@SETTINGS
@given(data=st.data())
def test_matches_the_loss_written_in_tensorflow(frameworks, key, data):
    x, target = data.draw(pairs(key))
    params = data.draw(params_for(key))
    others = target if isinstance(target, tuple) else (target,)
    ref = lb.REGISTRY[key].reference.value_and_grad(x, target, reduction="none", **params)
    assert_same(lb.run_tf(_tf_losses()[key], x, *others, **params), ref)
