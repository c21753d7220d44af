"""Hypothesis strategies shared by the reference tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Values each reference is defined on (others get a clear error or are clamped by Keras).
DOMAIN = {"msle": (1e-3, 6.0), "mape": (-6.0, 6.0)}
DEFAULT_DOMAIN = (-6.0, 6.0)

# Parameter strategies per reference (reference-named).
PARAMS = {
    "huber": st.fixed_dictionaries({"delta": st.floats(0.05, 5.0)}),
    "smooth_l1": st.fixed_dictionaries({"beta": st.one_of(st.just(0.0), st.floats(0.05, 5.0))}),
    "pinball": st.fixed_dictionaries({"tau": st.floats(0.01, 0.99)}),
}


#: Input strategies of losses that are not element-wise: key -> (min_dims -> strategy).
#: ``min_dims=2`` asks for a batch axis in front (per-sample Keras weights).
INPUTS: dict = {}


def params_for(key: str):
    return PARAMS.get(key, st.just({}))


def pairs(key: str, min_dims: int = 1):
    """``(pred, target)`` for the loss ``key``: its entry in ``INPUTS``, else element-wise."""
    return INPUTS[key](min_dims) if key in INPUTS else elementwise_pairs(key, min_dims)


@st.composite
def elementwise_pairs(draw, key: str, min_dims: int = 1):
    """``(pred, target)`` float64 arrays of one random shape inside the loss's domain."""
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=4))
    low, high = DOMAIN.get(key, DEFAULT_DOMAIN)
    values = st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    pred = draw(hnp.arrays(np.float64, shape, elements=values))
    target = draw(hnp.arrays(np.float64, shape, elements=values))
    return pred, target


def weights(shape: tuple[int, ...]):
    return hnp.arrays(np.float64, shape, elements=st.floats(0.0, 3.0, allow_subnormal=False))
