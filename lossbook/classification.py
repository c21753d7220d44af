"""Probabilistic classification losses: references in float64, class axis LAST.

Scores ``pred`` have shape ``(..., C)``; class-index targets have shape ``(...)``, so the
loss has one value per sample (or per pixel / point).  PyTorch puts the class axis at
position 1 (``(N, C, d1, ...)``): move it with ``movedim(1, -1)`` before comparing.
Binary losses are element-wise.  Reductions and weights: see :mod:`lossbook.reduction`.
"""

from __future__ import annotations

import numpy as np

from .inputs import (
    at_least,
    class_indices,
    float_array,
    probabilities,
    same_shape,
    scalar,
    scores_and_indices,
)
from .reference import reference
from .spec import Api, LossSpec, keras_api, torch_api

LOG_CLAMP = -100.0  # PyTorch BCELoss clamps each log at -100
#: PyTorch's BCELoss backward divides by max(p (1 - p), EPSILON), a float constant 1e-12
#: of its CPU kernel: 9.99999996e-13 in float64 as well.
BCE_GRAD_EPS = float(np.float32(1e-12))


def _shifted_and_rest(x, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """``x - max(x)`` and ``s``, the sum of ``exp(x - max(x))`` over every entry but the
    (first) maximum: ``sum(exp(x - max(x))) = 1 + s`` exactly, without rounding ``1 + s``."""
    x = np.asarray(x, dtype=np.float64)
    top = np.expand_dims(np.argmax(x, axis=axis), axis)
    shifted = x - np.take_along_axis(x, top, axis=axis)
    others = np.exp(shifted)
    np.put_along_axis(others, top, 0.0, axis=axis)
    return shifted, np.sum(others, axis=axis, keepdims=True)


def log_softmax(x, axis: int = -1) -> np.ndarray:
    """``log softmax(x) = x - logsumexp(x)``, computed as ``(x - m) - log1p(s)`` (see
    ``_shifted_and_rest``): ``log(1 + s)`` would lose the digits of a tiny ``s``, the
    tiny loss of a confident correct class."""
    shifted, rest = _shifted_and_rest(x, axis)
    return shifted - np.log1p(rest)


def softmax(x, axis: int = -1) -> np.ndarray:
    """``exp(x - m) / (1 + s)`` (see ``_shifted_and_rest``): probabilities along
    ``axis``.  (``exp(log_softmax(x))`` would amplify the rounding of a large
    log-probability: ``exp(-20 + d)`` inherits 20 times the rounding error of ``d``.)"""
    shifted, rest = _shifted_and_rest(x, axis)
    return np.exp(shifted) / (1.0 + rest)


def sigmoid(x) -> np.ndarray:
    """``1 / (1 + exp(-x))``, computed as ``z / (1 + z)`` with ``z = exp(x)`` for ``x < 0``:
    ``exp`` never overflows, and ``sigmoid(-40) = 4.2e-18`` keeps its digits (a form
    ``1 - (...)`` or ``(1 + tanh(x / 2)) / 2`` rounds it to 0)."""
    x = np.asarray(x, dtype=np.float64)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, z) / (1.0 + z)


def log_sigmoid(x) -> np.ndarray:
    """``log sigmoid(x) = -softplus(-x) = -(max(-x, 0) + log1p(exp(-|x|)))``."""
    x = np.asarray(x, dtype=np.float64)
    return -(np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x))))


def class_weights(class_weight, n_classes: int) -> np.ndarray:
    """Per-class weights of shape ``(C,)``, all ``>= 0``; ``None`` means all ones."""
    if class_weight is None:
        return np.ones(n_classes)
    w = float_array("class_weight", class_weight)
    if w.shape != (n_classes,):
        raise ValueError(f"class_weight must have shape ({n_classes},) for {n_classes} "
                         f"classes, got shape {w.shape}")
    return at_least("class_weight", w, 0.0)


def _index_nll(logp, target, class_weight, ignore_index, smoothing):
    """PyTorch's NLL with index targets and label smoothing, on log-probabilities.

    Returns ``(l, dl/dlogp)``, plus the implicit weights ``w[y]`` (0 when ignored) when
    there are class weights or ignored targets: ``w[y] * l`` is then PyTorch's unreduced
    loss and ``"mean"`` its weighted mean.  Without them ``"mean"`` stays the plain mean,
    which is also Keras' ``sum_over_batch_size`` with a ``sample_weight``.
    """
    n_classes = logp.shape[-1]
    if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(
            ignore_index, (int, np.integer)):
        raise TypeError(f"ignore_index must be an int, got {type(ignore_index).__name__}")
    target = class_indices("target", target, n_classes, ignore_index=ignore_index)
    w_class = class_weights(class_weight, n_classes)
    kept = target != ignore_index
    t = np.where(kept, target, 0)
    onehot = (t[..., None] == np.arange(n_classes)).astype(np.float64)
    w = w_class[t] * kept
    loss = -(1.0 - smoothing) * np.sum(onehot * logp, axis=-1)
    grad = -(1.0 - smoothing) * onehot
    if smoothing:
        if np.any(kept & (w == 0)):
            raise ValueError("label_smoothing > 0 needs a positive class_weight for every "
                             "target class that is not ignored, got 0")
        safe = np.where(w > 0, w, 1.0)[..., None]
        # sum_c w_c (-log p_c), divided by w[y] because the mechanism multiplies by w[y]
        loss = loss - smoothing / n_classes * np.sum(w_class * logp, axis=-1) / safe[..., 0]
        grad = grad - smoothing / n_classes * w_class / safe
    if class_weight is None and np.all(kept):
        return loss, grad
    return loss, grad, w


def _through_log_softmax(logits, dlogp):
    """Chain rule through ``log_softmax``: ``dl/dx = g - softmax(x) * sum(g)``.

    With ``v = -g`` (the weighted targets) and ``S = sum(v)`` this is ``p S - v``.  Where
    ``v_c > S / 2`` it is written ``S expm1(log p_c) + sum_{j != c} v_j``: for a confident
    correct class ``p_c - 1`` would round away the digits of ``1 - p_c``.
    """
    v = -dlogp
    total = np.sum(v, axis=-1, keepdims=True)
    dominant = v > 0.5 * total  # at most one entry per row
    rest = np.sum(np.where(dominant, 0.0, v), axis=-1, keepdims=True)
    return np.where(dominant, total * np.expm1(log_softmax(logits)) + rest,
                    softmax(logits) * total - v)


@reference(scores_and_indices)
def nll(pred, target, *, class_weight=None, ignore_index=-100):
    """Negative log-likelihood of log-probabilities ``pred (..., C)`` and indices ``y``.

    ``l = -w[y] * pred[y]`` (PyTorch ``NLLLoss``); ``"mean"`` divides by ``sum w[y]`` over
    the samples whose target is not ``ignore_index`` (an error when there are none).
    """
    return _index_nll(pred, target, class_weight, ignore_index, 0.0)


@reference(scores_and_indices)
def cross_entropy(pred, target, *, class_weight=None, ignore_index=-100,
                  label_smoothing=0.0):
    """Cross-entropy of logits ``pred (..., C)`` and class indices ``y`` (PyTorch's formula).

    With ``logp = log_softmax(pred)`` and smoothing ``eps``:
    ``l = -(1 - eps) w[y] logp[y] - (eps / C) sum_c w[c] logp[c]`` (0 where ignored);
    ``"mean"`` divides by ``sum w[y]`` over non-ignored samples, as :func:`nll` does.
    ``dl/dpred = g - softmax(pred) sum(g)`` with ``g = dl/dlogp``.
    """
    eps = scalar("label_smoothing", label_smoothing, low=0.0, high=1.0)
    loss, dlogp, *w = _index_nll(log_softmax(pred), target, class_weight, ignore_index, eps)
    return loss, _through_log_softmax(pred, dlogp), *w


def _probability_targets(pred, target):
    pred, target = same_shape(pred, target)
    return pred, probabilities("target", target, axis=-1)


@reference(_probability_targets)
def categorical_cross_entropy(pred, target, *, class_weight=None, label_smoothing=0.0):
    """Cross-entropy of logits ``pred (..., C)`` and probability targets ``y (..., C)``.

    ``y' = (1 - eps) y + eps / C``; ``l = -sum_c w[c] y'_c log_softmax(pred)_c``;
    ``dl/dpred = softmax(pred) sum_c w[c] y'_c - w y'``.  ``"mean"`` divides by the number
    of samples (PyTorch ``CrossEntropyLoss`` with probability targets, Keras
    ``CategoricalCrossentropy(from_logits=True)``).
    """
    eps = scalar("label_smoothing", label_smoothing, low=0.0, high=1.0)
    n_classes = pred.shape[-1]
    wy = class_weights(class_weight, n_classes) * ((1.0 - eps) * target + eps / n_classes)
    loss = -np.sum(wy * log_softmax(pred), axis=-1)
    return loss, _through_log_softmax(pred, -wy)


def _probabilities_and_targets(pred, target):
    pred, target = same_shape(pred, target)
    return probabilities("pred", pred), probabilities("target", target)


@reference(_probabilities_and_targets)
def binary_cross_entropy(pred, target):
    """Binary cross-entropy of probabilities ``p`` and targets ``y`` in [0, 1].

    ``l = -(y max(log p, -100) + (1 - y) max(log(1 - p), -100))`` (PyTorch ``BCELoss``;
    the clamp only matters for ``p < 3.7e-44``).  ``dl/dp = (p - y) / max(p (1 - p), eps)``,
    PyTorch's backward formula with its ``eps = float32(1e-12)``: the exact derivative
    wherever ``p (1 - p) >= eps``, and at most 1e12 in magnitude.
    """
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(pred), LOG_CLAMP)
        log_q = np.maximum(np.log1p(-pred), LOG_CLAMP)
    loss = -(target * log_p + (1.0 - target) * log_q)
    return loss, (pred - target) / np.maximum(pred * (1.0 - pred), BCE_GRAD_EPS)


def _logits_and_probability_targets(pred, target):
    pred, target = same_shape(pred, target)
    return pred, probabilities("target", target)


def _bce_logits(x, y, pw):
    """``(1 - y) x - (1 + (pw - 1) y) log sigmoid(x)`` as a sum of non-negative terms,
    ``(1 - y) max(x, 0) + pw y max(-x, 0) + (1 + (pw - 1) y) log1p(exp(-|x|))``, so that
    nothing cancels (the direct form loses all digits at ``x = -30, y = 0``)."""
    return ((1.0 - y) * np.maximum(x, 0.0) + pw * y * np.maximum(-x, 0.0)
            + (1.0 + (pw - 1.0) * y) * np.log1p(np.exp(-np.abs(x))))


@reference(_logits_and_probability_targets)
def bce_with_logits(pred, target, *, pos_weight=None):
    """Binary cross-entropy of logits ``x`` and targets ``y`` in [0, 1], with ``pos_weight``.

    ``l = (1 - y) x - (1 + (pw - 1) y) log sigmoid(x)`` (PyTorch ``BCEWithLogitsLoss``);
    ``pw`` broadcasts against the LAST axis (one weight per class).
    ``dl/dx = (1 - y) - (1 + (pw - 1) y) sigmoid(-x)``, computed as
    ``(1 - y) sigmoid(x) - pw y sigmoid(-x)`` (no ``1 - sigmoid(-x)``, which is 0 for
    ``x < -37`` instead of ``sigmoid(x)``).
    """
    if pos_weight is None:
        pw = np.ones(pred.shape[-1:])
    else:
        pw = at_least("pos_weight", float_array("pos_weight", pos_weight), 0.0)
    try:
        pw = np.broadcast_to(pw, target.shape)
    except ValueError:
        raise ValueError(f"pos_weight of shape {pw.shape} does not broadcast to the target "
                         f"shape {target.shape} (it aligns with the last axis)") from None
    grad = (1.0 - target) * sigmoid(pred) - pw * target * sigmoid(-pred)
    return _bce_logits(pred, target, pw), grad


@reference(_logits_and_probability_targets)
def focal(pred, target, *, alpha=0.25, gamma=2.0):
    """Sigmoid focal loss of logits ``x`` and targets ``y`` (Lin et al. 2017).

    ``p = sigmoid(x)``, ``1 - p_t = y (1 - p) + (1 - y) p``, ``ce = bce_with_logits``,
    ``l = a_t (1 - p_t)**gamma ce`` with ``a_t = alpha y + (1 - alpha)(1 - y)``, or
    ``a_t = 1`` when ``alpha is None`` (torchvision's ``alpha < 0``).
    """
    gamma = scalar("gamma", gamma, low=0.0)
    if alpha is None:
        a_t = np.ones_like(target)
    else:
        alpha = scalar("alpha", alpha, low=0.0, high=1.0)
        a_t = alpha * target + (1.0 - alpha) * (1.0 - target)
    p, q = sigmoid(pred), sigmoid(-pred)  # p and 1 - p
    miss = target * q + (1.0 - target) * p  # 1 - p_t
    ce = _bce_logits(pred, target, 1.0)
    dce = (1.0 - target) * p - target * q  # p - y, without cancellation for y = 1
    dmiss = (1.0 - 2.0 * target) * p * q
    factor = miss**gamma
    with np.errstate(divide="ignore", invalid="ignore"):
        dfactor = np.where(miss > 0, gamma * miss ** (gamma - 1.0), 0.0) * dmiss
    return a_t * factor * ce, a_t * (dfactor * ce + factor * dce)


def _api(name: str, params: dict[str, str], defaults: dict, fixed: dict | None = None,
         reduction: str = "mean") -> Api:
    """An API whose argument names differ from the reference's (e.g. ``weight``)."""
    return Api(name, params, {**defaults, "reduction": reduction}, fixed or {})


SPECS = [
    LossSpec("nll", "Negative log-likelihood (log-probabilities, class indices)",
             "03_probabilistic_classification", nll,
             _api("torch.nn.NLLLoss", {"class_weight": "weight",
                                       "ignore_index": "ignore_index"},
                  {"weight": None, "ignore_index": -100}),
             None,
             {"optax": "softmax_cross_entropy_with_integer_labels (on log-probabilities)",
              "Gluon": "SoftmaxCrossEntropyLoss(from_logits=True) (input = log-probabilities)"}),
    LossSpec("cross_entropy", "Cross-entropy with class indices (sparse categorical)",
             "03_probabilistic_classification", cross_entropy,
             _api("torch.nn.CrossEntropyLoss",
                  {"class_weight": "weight", "ignore_index": "ignore_index",
                   "label_smoothing": "label_smoothing"},
                  {"weight": None, "ignore_index": -100, "label_smoothing": 0.0}),
             _api("keras.losses.SparseCategoricalCrossentropy", {"ignore_index": "ignore_class"},
                  {"from_logits": False, "ignore_class": None}, {"from_logits": True},
                  "sum_over_batch_size"),
             {"TF": "tf.nn.sparse_softmax_cross_entropy_with_logits",
              "TF1": "tf.compat.v1.losses.sparse_softmax_cross_entropy",
              "optax": "softmax_cross_entropy_with_integer_labels",
              "Gluon": "SoftmaxCrossEntropyLoss()"}),
    LossSpec("categorical_cross_entropy", "Cross-entropy with probability targets",
             "03_probabilistic_classification", categorical_cross_entropy,
             _api("torch.nn.CrossEntropyLoss",
                  {"class_weight": "weight", "label_smoothing": "label_smoothing"},
                  {"weight": None, "label_smoothing": 0.0}),
             keras_api("CategoricalCrossentropy", {"from_logits": True}, label_smoothing=0.0),
             {"TF": "tf.nn.softmax_cross_entropy_with_logits",
              "TF1": "tf.compat.v1.losses.softmax_cross_entropy",
              "optax": "softmax_cross_entropy", "Flux": "logitcrossentropy",
              "Gluon": "SoftmaxCrossEntropyLoss(sparse_label=False)"}),
    LossSpec("binary_cross_entropy", "Binary cross-entropy on probabilities",
             "03_probabilistic_classification", binary_cross_entropy,
             torch_api("BCELoss"), keras_api("BinaryCrossentropy"),
             {"TF1": "tf.compat.v1.losses.log_loss(epsilon=1e-7)",
              "Flux": "binarycrossentropy", "Gluon": "SigmoidBCELoss(from_sigmoid=True)"}),
    LossSpec("bce_with_logits", "Binary cross-entropy with logits",
             "03_probabilistic_classification", bce_with_logits,
             torch_api("BCEWithLogitsLoss"),
             keras_api("BinaryCrossentropy", {"from_logits": True}),
             {"TF": "tf.nn.sigmoid_cross_entropy_with_logits, "
                    "tf.nn.weighted_cross_entropy_with_logits(pos_weight)",
              "optax": "sigmoid_binary_cross_entropy", "Flux": "logitbinarycrossentropy",
              "Gluon": "SigmoidBCELoss()"}),
    LossSpec("focal", "Sigmoid focal loss", "03_probabilistic_classification", focal,
             None,
             keras_api("BinaryFocalCrossentropy",
                       {"from_logits": True, "apply_class_balancing": True},
                       alpha=0.25, gamma=2.0),
             {"torchvision": "ops.sigmoid_focal_loss(alpha=0.25, gamma=2, reduction='none')",
              "optax": "sigmoid_focal_loss(alpha=None, gamma=2)",
              "Flux": "binary_focal_loss(gamma=2) (probabilities, no alpha)"}),
]
