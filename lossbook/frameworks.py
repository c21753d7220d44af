"""Run a PyTorch, TensorFlow/Keras or JAX loss on NumPy inputs; value and gradient as NumPy.

The loss is passed as a callable taking the prediction first, so a chapter shows the real
framework call, including Keras' target-first argument order::

    run_torch(torch.nn.HuberLoss(delta=2.0), pred, target)
    run_tf(lambda p, t: keras.losses.Huber(delta=2.0)(t, p), pred, target)
    run_jax(lambda p, t: optax.huber_loss(p, t, delta=2.0).mean(), pred, target)

The gradient is taken with respect to the prediction (of the summed output when the
loss is not a scalar), with ``backward()``, ``tf.GradientTape`` and
``jax.value_and_grad`` respectively.  PyTorch runs on
:func:`lossbook.environment.torch_device`; TensorFlow and JAX on the CPU.
:func:`adaptive_weights` reads a PyTorch module's weights into a reference's layout.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np

from .environment import torch_device
from .reference import Result


def _float_dtype(dtype: str) -> np.dtype:
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return np.dtype(dtype)


def _convert(x, dt: np.dtype, make: Callable):
    """Arrays become framework tensors (floats in ``dt``, integers ``int64``); Python
    scalars and everything else pass unchanged."""
    if not isinstance(x, (np.ndarray, list)):
        return x
    a = np.asarray(x)
    if np.issubdtype(a.dtype, np.floating):
        a = a.astype(dt)
    elif np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.int64)
    return make(a)


def run_torch(loss: Callable, pred, *args, dtype: str = "float64", device=None,
              **kwargs) -> Result:
    """Evaluate ``loss(pred, *args, **kwargs)`` with PyTorch autograd.

    Array arguments become tensors (floats in ``dtype``, integers ``int64``) on ``device``
    (default :func:`lossbook.environment.torch_device`; ``"cpu"`` for an operation that
    has no deterministic CUDA implementation).
    """
    import torch

    dev = torch_device() if device is None else torch.device(device)
    dt = _float_dtype(dtype)

    def tensor(x):
        return _convert(x, dt, lambda a: torch.as_tensor(a, device=dev))

    p = torch.tensor(np.asarray(pred, dtype=dt), device=dev, requires_grad=True)
    out = loss(p, *map(tensor, args), **{k: tensor(v) for k, v in kwargs.items()})
    out.sum().backward()
    grad = None if p.grad is None else p.grad.cpu().numpy()
    return Result(out.detach().cpu().numpy(), grad, str(out.dtype).removeprefix("torch."))


def run_tf(loss: Callable, pred, *args, dtype: str = "float64", **kwargs) -> Result:
    """Evaluate ``loss(pred, *args, **kwargs)`` under ``tf.GradientTape`` on the CPU.

    Array arguments become tensors (floats in ``dtype``, integers ``int64``).
    """
    import tensorflow as tf

    dt = _float_dtype(dtype)

    def tensor(x):
        return _convert(x, dt, tf.constant)

    with tf.device("/CPU:0"):
        p = tf.Variable(np.asarray(pred, dtype=dt))
        with tf.GradientTape() as tape:
            out = loss(p, *map(tensor, args), **{k: tensor(v) for k, v in kwargs.items()})
            total = tf.reduce_sum(out)
        grad = tape.gradient(total, p)
    out = tf.convert_to_tensor(out)
    return Result(out.numpy(), None if grad is None else grad.numpy(), out.dtype.name)


def run_jax(loss: Callable, pred, *args, dtype: str = "float64", **kwargs) -> Result:
    """Evaluate ``loss(pred, *args, **kwargs)`` with ``jax.value_and_grad`` on the CPU.

    Array arguments become JAX arrays (floats in ``dtype``, integers ``int64``).  float64
    needs ``jax_enable_x64``, which :func:`lossbook.environment.setup` turns on (call it before JAX
    creates any array).  Loss and gradient are compiled together with ``jax.jit``, once
    per ``loss`` object and input shapes: every argument is traced (bind a value the loss
    needs as a Python constant into ``loss``), and what ``loss`` closes over is read when
    it is first compiled, as with ``jax.jit``.
    """
    import jax
    import jax.numpy as jnp

    dt = _float_dtype(dtype)
    if dt == np.float64 and not jax.config.jax_enable_x64:
        raise RuntimeError("JAX computes in float32 unless jax_enable_x64 is set: "
                           "call lossbook.setup() at the top of the notebook")

    def array(x):
        return _convert(x, dt, jnp.asarray)

    (_, out), grad = _jitted(loss)(jnp.asarray(pred, dtype=dt), [array(a) for a in args],
                                   {k: array(v) for k, v in kwargs.items()})
    return Result(np.asarray(out), np.asarray(grad), str(out.dtype))


#: One compiled value-and-gradient per loss function, while the function lives.
_JITTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _jitted(loss: Callable) -> Callable:
    """``jax.jit(jax.value_and_grad(...))`` of ``loss``'s sum, with ``loss``'s output as aux.

    Kept per ``loss``, so that a property test calling the same loss on many inputs
    compiles once per input shape (a new function would compile on every call; eager JAX
    compiles each operation for each new shape, several times slower still).
    """
    import jax
    import jax.numpy as jnp

    if loss not in _JITTED:
        def total(p, args, kwargs):
            out = loss(p, *args, **kwargs)
            return jnp.sum(out), out

        _JITTED[loss] = jax.jit(jax.value_and_grad(total, has_aux=True))
    return _JITTED[loss]


def adaptive_weights(module) -> dict:
    """``head``, ``tail`` and ``head_bias`` of a PyTorch ``nn.AdaptiveLogSoftmaxWithLoss``,
    as float64 NumPy arrays with the class axis last (``nn.Linear`` stores ``(out, in)``),
    the keyword arguments of :func:`lossbook.adaptive.adaptive_softmax`."""
    def numpy(w):
        return w.detach().cpu().double().numpy().T

    bias = module.head.bias
    return {
        "head": numpy(module.head.weight),
        "tail": [(numpy(proj.weight), numpy(out.weight)) for proj, out in module.tail],
        "head_bias": None if bias is None else bias.detach().cpu().double().numpy(),
    }
