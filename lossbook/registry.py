"""The registry: every loss of the book, the single home of its names and defaults.

Each entry ties a reference to its chapter, its PyTorch, Keras and optax APIs (names,
defaults, argument mapping, the arguments passed to match the reference, and for optax,
whose losses do not reduce, what it sums itself or the caller applies on top) and its
names in the libraries that are only recorded (TF1, Flux, Gluon, add-ons).  The
conventions chapter and the coverage tests are generated from :data:`REGISTRY`; a test
checks every framework name and default against the installed libraries.  The references
do not know about the registry: it imports them, not the reverse.
"""

from __future__ import annotations

from . import adaptive, classification, distributions, margin, ranking, regression
from .ctc import ctc  # the package's name ``ctc`` is the reference, not its module
from .spec import Api, Framework, LossSpec, resolve

#: PyTorch: ``torch.nn`` loss classes; its reduction names are lossbook's.
TORCH = Framework("torch", "PyTorch", "torch.nn", "run_torch",
                  reductions={"none": "none", "mean": "mean", "sum": "sum"},
                  default_reduction="mean")

#: Keras 3: ``keras.losses`` classes. They average element-wise losses over the last axis
#: first (one value per sample); the reduction then applies to those values.
KERAS = Framework("keras", "Keras", "keras.losses", "run_tf",
                  reductions={"none": "none", "sum": "sum", "sum_over_batch_size": "mean",
                              "mean": "mean", "mean_with_sample_weight": "weighted_mean"},
                  default_reduction="sum_over_batch_size")

#: optax: functions in ``optax.losses``, prediction first, that return unreduced values
#: (one per element, or per sample where the loss sums a class or feature axis); the
#: caller reduces with ``jax.numpy`` (jnp.sum, jnp.mean) on top.
OPTAX = Framework("optax", "optax", "optax.losses", "run_jax",
                  reductions={"none": "none", "sum": "sum", "mean": "mean"})

#: The frameworks the tests run, by key.
FRAMEWORKS = {f.key: f for f in (TORCH, KERAS, OPTAX)}

#: How each framework orders a loss call's arguments.
ARGUMENT_ORDER = {
    "PyTorch": "loss(input, target): prediction first",
    "Keras": "loss(y_true, y_pred, sample_weight=None): target first",
    "TF1": "tf.compat.v1.losses.*(labels, predictions, weights=1.0)",
    "optax": "loss(predictions, targets): prediction first, unreduced",
    "Flux": "loss(ŷ, y; agg=mean): prediction first",
    "Gluon": "loss(pred, label, sample_weight=None): prediction first",
}

#: What each library's default reduction does.
DEFAULT_REDUCTION = {
    "PyTorch": f'"{TORCH.default_reduction}": mean over all elements '
               "(NLL/CE with weights: weighted mean)",
    "Keras 3": f'"{KERAS.default_reduction}": mean of per-sample values '
               "(last axis averaged first)",
    "TF1": "SUM_BY_NONZERO_WEIGHTS: sum(w l) / count(w != 0)",
    "optax": "none: returns per-element (or per-sample) values; the caller reduces",
    "Flux": "agg=mean over what the loss returns",
    "Gluon": "one value per sample (mean over non-batch axes)",
}

# --- 02 regression ------------------------------------------------------------------------

REGRESSION = "02_regression"
_REGRESSION = [
    LossSpec(regression.l1, "L1 / mean absolute error", REGRESSION,
             "regression-l1",
             (TORCH.api("L1Loss"), KERAS.api("MeanAbsoluteError")),
             {"TF1": "tf.compat.v1.losses.absolute_difference", "Flux": "mae",
              "Gluon": "L1Loss"}),
    LossSpec(regression.mse, "Mean squared error", REGRESSION,
             "regression-mse",
             (TORCH.api("MSELoss"), KERAS.api("MeanSquaredError"),
              OPTAX.api("squared_error"), OPTAX.api("l2_loss", scale=0.5)),
             {"TF1": "tf.compat.v1.losses.mean_squared_error", "Flux": "mse",
              "Gluon": "L2Loss (half of it)"}),
    LossSpec(regression.huber, "Huber", REGRESSION,
             "regression-huber",
             (TORCH.api("HuberLoss", delta=1.0), KERAS.api("Huber", delta=1.0),
              OPTAX.api("huber_loss", delta=1.0)),
             {"TF1": "tf.compat.v1.losses.huber_loss(delta=1.0)",
              "Flux": "huber_loss(delta=1)"}),
    LossSpec(regression.smooth_l1, "Smooth L1", REGRESSION,
             "regression-huber",
             (TORCH.api("SmoothL1Loss", beta=1.0),),
             {"Gluon": "HuberLoss(rho=1) (named Huber, computes Smooth L1)"}),
    LossSpec(regression.log_cosh, "log-cosh", REGRESSION,
             "regression-log-cosh",
             (KERAS.api("LogCosh"), OPTAX.api("log_cosh"))),
    LossSpec(regression.mape, "Mean absolute percentage error", REGRESSION,
             "regression-mape",
             (KERAS.api("MeanAbsolutePercentageError"),)),
    LossSpec(regression.msle, "Mean squared logarithmic error", REGRESSION,
             "regression-msle",
             (KERAS.api("MeanSquaredLogarithmicError"),),
             {"Flux": "msle (no +1: (log((ŷ+ε)/(y+ε)))²)"}),
    LossSpec(regression.pinball, "Quantile (pinball)", REGRESSION,
             "regression-pinball", (),
             {"TF Addons": "tfa.losses.PinballLoss(tau=0.5) (not in Keras 3)"}),
]

# --- 03 probabilistic classification ------------------------------------------------------

CLASSIFICATION = "03_probabilistic_classification"
_CLASSIFICATION = [
    LossSpec(classification.nll, "Negative log-likelihood (log-probabilities, class indices)",
             CLASSIFICATION,
             "probabilistic-nll",
             (TORCH.api("NLLLoss", weight=None, ignore_index=-100,
                        params={"class_weight": "weight", "ignore_index": "ignore_index"}),),
             # optax: softmax_cross_entropy_with_integer_labels on log-probabilities has
             # this value, but not its gradient (it differentiates through a log_softmax)
             {"Gluon": "SoftmaxCrossEntropyLoss(from_logits=True) (input = log-probabilities)"}),
    LossSpec(classification.cross_entropy,
             "Cross-entropy with class indices (sparse categorical)", CLASSIFICATION,
             "probabilistic-cross-entropy",
             (TORCH.api("CrossEntropyLoss", weight=None, ignore_index=-100, label_smoothing=0.0,
                        params={"class_weight": "weight", "ignore_index": "ignore_index",
                                "label_smoothing": "label_smoothing"}),
              KERAS.api("SparseCategoricalCrossentropy", from_logits=False, ignore_class=None,
                        params={"ignore_index": "ignore_class"}, fixed={"from_logits": True}),
              OPTAX.api("softmax_cross_entropy_with_integer_labels")),
             {"TF": "tf.nn.sparse_softmax_cross_entropy_with_logits",
              "TF1": "tf.compat.v1.losses.sparse_softmax_cross_entropy",
              "Gluon": "SoftmaxCrossEntropyLoss()"}),
    LossSpec(classification.categorical_cross_entropy, "Cross-entropy with probability targets",
             CLASSIFICATION,
             "probabilistic-probability-targets",
             (TORCH.api("CrossEntropyLoss", weight=None, label_smoothing=0.0,
                        params={"class_weight": "weight", "label_smoothing": "label_smoothing"}),
              KERAS.api("CategoricalCrossentropy", label_smoothing=0.0,
                        fixed={"from_logits": True}),
              OPTAX.api("softmax_cross_entropy")),  # label smoothing: optax.smooth_labels
             {"TF": "tf.nn.softmax_cross_entropy_with_logits",
              "TF1": "tf.compat.v1.losses.softmax_cross_entropy", "Flux": "logitcrossentropy",
              "Gluon": "SoftmaxCrossEntropyLoss(sparse_label=False)"}),
    LossSpec(classification.binary_cross_entropy, "Binary cross-entropy on probabilities",
             CLASSIFICATION,
             "probabilistic-bce", (TORCH.api("BCELoss"), KERAS.api("BinaryCrossentropy")),
             {"TF1": "tf.compat.v1.losses.log_loss(epsilon=1e-7)",
              "Flux": "binarycrossentropy", "Gluon": "SigmoidBCELoss(from_sigmoid=True)"}),
    LossSpec(classification.bce_with_logits, "Binary cross-entropy with logits",
             CLASSIFICATION,
             "probabilistic-bce-logits",
             (TORCH.api("BCEWithLogitsLoss", params={"pos_weight": "pos_weight"}),
              KERAS.api("BinaryCrossentropy", fixed={"from_logits": True}),
              OPTAX.api("sigmoid_binary_cross_entropy")),
             {"TF": "tf.nn.sigmoid_cross_entropy_with_logits, "
                    "tf.nn.weighted_cross_entropy_with_logits(pos_weight)",
              "Flux": "logitbinarycrossentropy",
              "Gluon": "SigmoidBCELoss()"}),
    LossSpec(classification.focal, "Sigmoid focal loss", CLASSIFICATION,
             "probabilistic-focal",
             (KERAS.api("BinaryFocalCrossentropy", alpha=0.25, gamma=2.0,
                        fixed={"from_logits": True, "apply_class_balancing": True}),
              OPTAX.api("sigmoid_focal_loss", alpha=None, gamma=2.0)),
             {"torchvision": "ops.sigmoid_focal_loss(alpha=0.25, gamma=2, reduction='none')",
              "Flux": "binary_focal_loss(gamma=2) (probabilities, no alpha)"}),
]

# --- 04 margin-based classification -------------------------------------------------------

MARGIN = "04_margin_classification"
_MARGIN = [
    LossSpec(margin.hinge, "Hinge", MARGIN,
             "margin-hinge", (KERAS.api("Hinge"), OPTAX.api("hinge_loss")),
             {"TF1": "tf.compat.v1.losses.hinge_loss (0/1 labels)", "Flux": "hinge_loss (±1)",
              "Gluon": "HingeLoss(margin=1)"}),
    LossSpec(margin.squared_hinge, "Squared hinge", MARGIN,
             "margin-squared-hinge", (KERAS.api("SquaredHinge"),),
             {"Flux": "squared_hinge_loss", "Gluon": "SquaredHingeLoss(margin=1)"}),
    LossSpec(margin.soft_margin, "Soft margin (logistic, ±1 labels)", MARGIN,
             "margin-soft-margin",
             (TORCH.api("SoftMarginLoss"),
              OPTAX.api("sigmoid_binary_cross_entropy", target_as="0/1 labels")),
             {"Gluon": "LogisticLoss(label_format='signed')"}),
    LossSpec(margin.categorical_hinge, "Categorical hinge (Keras; Crammer–Singer option)",
             MARGIN, "margin-categorical-hinge",
             (KERAS.api("CategoricalHinge"),
              OPTAX.api("multiclass_hinge_loss", target_as="class indices",
                        reference_params={"crammer_singer": True}))),
    LossSpec(margin.multi_margin, "Multi-class margin", MARGIN,
             "margin-multi-margin",
             (TORCH.api("MultiMarginLoss", p=1, margin=1.0, weight=None,
                        params={"p": "p", "margin": "margin", "class_weight": "weight"}),)),
    LossSpec(margin.multilabel_margin, "Multi-label margin", MARGIN,
             "margin-multilabel-margin",
             (TORCH.api("MultiLabelMarginLoss"),)),
    LossSpec(margin.multilabel_soft_margin, "Multi-label soft margin", MARGIN,
             "margin-multilabel-soft-margin",
             (TORCH.api("MultiLabelSoftMarginLoss", weight=None,
                        params={"class_weight": "weight"}),
              KERAS.api("BinaryCrossentropy", fixed={"from_logits": True}),
              OPTAX.api("sigmoid_binary_cross_entropy", then="mean")),
             {"Gluon": "SigmoidBCELoss()"}),
]

# --- 05 ranking and similarity ------------------------------------------------------------

RANKING = "05_ranking_and_similarity"
_RANKING = [
    LossSpec(ranking.margin_ranking, "Margin ranking", RANKING,
             "ranking-margin-ranking",
             (TORCH.api("MarginRankingLoss", margin=0.0),)),
    LossSpec(ranking.hinge_embedding, "Hinge embedding", RANKING,
             "ranking-hinge-embedding",
             (TORCH.api("HingeEmbeddingLoss", margin=1.0),)),
    LossSpec(ranking.cosine_embedding, "Cosine embedding", RANKING,
             "ranking-cosine-embedding",
             (TORCH.api("CosineEmbeddingLoss", margin=0.0),),
             {"Gluon": "CosineEmbeddingLoss(margin=0)"}),
    LossSpec(ranking.cosine_similarity, "Cosine similarity (Keras: −cos)", RANKING,
             "ranking-cosine-similarity",
             (KERAS.api("CosineSimilarity", axis=-1, params={}),
              OPTAX.api("cosine_similarity", epsilon=0.0, params={}, scale=-1.0)),
             {"TF1": "tf.compat.v1.losses.cosine_distance (1 − Σ y·ŷ, unit inputs)",
              "PyTorch": "F.cosine_similarity (+cos, not a loss)"}),
    LossSpec(ranking.triplet_margin, "Triplet margin", RANKING,
             "ranking-triplet",
             (TORCH.api("TripletMarginLoss", margin=1.0, p=2.0, eps=1e-6, swap=False),
              # optax: (sum (a - p)**norm_degree + eps)**(1 / norm_degree), no |.|, eps
              # inside the root: the reference's distance for an even p and eps = 0 only
              OPTAX.api("triplet_margin_loss", norm_degree=2, margin=1.0, eps=1e-6,
                        params={"p": "norm_degree", "margin": "margin", "eps": "eps"})),
             {"PyTorch": "TripletMarginWithDistanceLoss(distance_function=None, margin=1.0, "
                         "swap=False)",
              "Gluon": "TripletLoss(margin=1) (squared distances)"}),
    LossSpec(ranking.contrastive, "Contrastive (pairs)", RANKING,
             "ranking-contrastive", (),
             {"TF Addons": "tfa.losses.ContrastiveLoss(margin=1.0) (y = 1: similar; "
                           "not in Keras 3)",
              "Flux": "siamese_contrastive_loss(margin=1) (y = 1: dissimilar)"}),
]

# --- 07 sequences (CTC) -------------------------------------------------------------------

_CTC = [
    LossSpec(ctc, "Connectionist temporal classification (CTC)", "07_sequences_ctc",
             "ctc-loss",
             (TORCH.api("CTCLoss", blank=0, zero_infinity=False), KERAS.api("CTC"),
              # ctc_loss(logits, logit_paddings, labels, label_paddings): paddings 1.0
              # where a frame or label is padding, instead of lengths
              OPTAX.api("ctc_loss", blank_id=0, log_epsilon=-1e5,
                        params={"blank": "blank_id"})),
             {"TF2": "tf.nn.ctc_loss(labels, logits, label_length, logit_length, "
                     "blank_index=None) (logits; blank 0 with dense labels)",
              "TF1": "tf.compat.v1.nn.ctc_loss (blank = last class)",
              "Keras 2": "backend.ctc_batch_cost (softmax input, blank = last class)",
              "Flux": "NNlib.ctc_loss(ŷ, y) (blank = last class, one sequence)",
              "Gluon": "CTCLoss (blank = last class: the operator's blank_label='last')"}),
]

# --- 06 distributions and counts ----------------------------------------------------------

DISTRIBUTIONS = "06_distributions_and_counts"
_DISTRIBUTIONS = [
    LossSpec(distributions.kl_div, "Kullback–Leibler divergence", DISTRIBUTIONS,
             "distributions-kl",
             (TORCH.api("KLDivLoss", log_target=False), KERAS.api("KLDivergence"),
              OPTAX.api("kl_divergence", sums_last_axis=True),
              OPTAX.api("kl_divergence_with_log_targets", sums_last_axis=True,
                        reference_params={"log_target": True})),
             {"Flux": "kldivergence(ŷ, y) (probabilities)",
              "Gluon": "KLDivLoss(from_logits=True) (log-probabilities)"}),
    LossSpec(distributions.poisson_nll, "Poisson negative log-likelihood", DISTRIBUTIONS,
             "distributions-poisson",
             (TORCH.api("PoissonNLLLoss", log_input=True, full=False, eps=1e-8),
              KERAS.api("Poisson")),
             {"TF": "tf.nn.log_poisson_loss(targets, log_input, compute_full_loss=False)",
              "Flux": "poisson_loss(ŷ, y) (rate)",
              "Gluon": "PoissonNLLLoss(from_logits=True, compute_full=False)"}),
    LossSpec(distributions.gaussian_nll, "Gaussian negative log-likelihood", DISTRIBUTIONS,
             "distributions-gaussian",
             (TORCH.api("GaussianNLLLoss", full=False, eps=1e-6),)),
    # No framework has it (PyTorch, Keras, optax): the critic objective is written out.
    LossSpec(distributions.wasserstein, "Wasserstein (WGAN critic)", DISTRIBUTIONS,
             "distributions-wasserstein", ()),
]

# --- 08 large vocabularies ----------------------------------------------------------------

_ADAPTIVE = [
    LossSpec(adaptive.adaptive_softmax, "Adaptive softmax (negative log-likelihood)",
             "08_large_vocabularies",
             "large-vocab-factoring",
             # TF has no built-in (tf.nn.sampled_softmax_loss only samples)
             (TORCH.api("AdaptiveLogSoftmaxWithLoss", div_value=4.0, head_bias=False,
                        params={}, reduces=False),)),
]

#: Every loss in the book, by reference name.
REGISTRY: dict[str, LossSpec] = {s.key: s for s in (*_REGRESSION, *_CLASSIFICATION, *_MARGIN,
                                                  *_RANKING, *_CTC, *_DISTRIBUTIONS,
                                                  *_ADAPTIVE)}

__all__ = ["ARGUMENT_ORDER", "DEFAULT_REDUCTION", "FRAMEWORKS", "KERAS", "OPTAX", "REGISTRY",
           "TORCH", "Api", "Framework", "LossSpec", "resolve"]
