"""One call at the top of every notebook: :func:`setup`.

``ENV`` is also applied by the test suite and by ``scripts/run_notebooks.py`` before any
kernel starts, so stored outputs and nbval runs see the same environment.
"""

from __future__ import annotations

import importlib
import os
import random
import sys
import tempfile
from types import ModuleType

import numpy as np

#: Environment of every kernel: notebooks, nbval and the output script.
ENV = {
    "KERAS_BACKEND": "tensorflow",
    "TF_CPP_MIN_LOG_LEVEL": "3",  # no C++ log lines in outputs
    "TF_ENABLE_ONEDNN_OPTS": "0",  # oneDNN reorders float sums: keep CPU results stable
    "TF_FORCE_GPU_ALLOW_GROWTH": "true",
    "CUBLAS_WORKSPACE_CONFIG": ":4096:8",  # deterministic cuBLAS
    "PYTHONHASHSEED": "0",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "JAX_PLATFORMS": "cpu",  # JAX stays on the CPU, like TensorFlow
    "JAX_ENABLE_X64": "True",  # float64 in JAX (read when JAX is first imported)
}

THREADS = 1  # fixed, so float reductions add in the same order on every machine

PLOT_STYLE = {
    "figure.figsize": (8.0, 3.2),
    "figure.dpi": 100,  # 1 inch = 100 CSS px on the page (the PNG has 2x the pixels)
    "figure.constrained_layout.use": True,  # room for legends placed outside the axes
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.size": 10,
}

_torch_device = None


def apply_env() -> None:
    """Set the variables in ``ENV`` (must run before TensorFlow is imported)."""
    os.environ.update(ENV)


def setup(seed: int = 0) -> None:
    """Make a notebook reproducible and quiet.

    Seeds Python, NumPy, PyTorch and TensorFlow; fixes thread counts; turns off TF32 and
    selects deterministic algorithms; keeps TensorFlow and JAX on the CPU (two CUDA stacks
    in one process crash easily) while PyTorch uses CUDA when present; puts JAX in float64
    (``jax_enable_x64``; JAX itself is imported only by the code that uses it); silences
    TensorFlow's logging; and sets NumPy print options and matplotlib defaults.
    """
    global _torch_device
    apply_env()
    if "jax" in sys.modules:  # imported before setup(): the variable came too late
        sys.modules["jax"].config.update("jax_enable_x64", True)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (for code that still uses the global generator)
    np.set_printoptions(precision=6, suppress=True, floatmode="fixed")

    import matplotlib as mpl

    mpl.rcParams.update(PLOT_STYLE)
    _show_figures_at_2x()

    tf = _import_quietly("tensorflow")  # imported first: TF must hide the GPU before it initialises

    try:
        tf.config.set_visible_devices([], "GPU")
        tf.config.threading.set_intra_op_parallelism_threads(THREADS)
        tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    except RuntimeError:  # already initialised by an earlier setup() in this process
        pass
    tf.get_logger().setLevel("ERROR")
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()

    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    _torch_device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _import_quietly(name: str) -> ModuleType:
    """Import ``name`` with file descriptor 2 (stderr below Python) sent to a temporary file.

    TensorFlow's C++ start-up lines ("Could not find cuda drivers ...") ignore
    ``TF_CPP_MIN_LOG_LEVEL``; in JupyterLab they would show as stderr under the first cell.
    If the import fails, they are printed before the error.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as lines:
            os.dup2(lines.fileno(), 2)
            try:
                return importlib.import_module(name)
            except BaseException:
                os.dup2(saved, 2)
                lines.seek(0)
                sys.stderr.write(lines.read().decode(errors="replace"))
                raise
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _show_figures_at_2x() -> None:
    """In a notebook, display figures through :func:`lossbook.plot.figure_png`."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    # Importing the inline backend configures it (once), with its own PNG display: replace
    # that one afterwards, so that it does not replace ours.
    import matplotlib_inline.backend_inline  # noqa: F401
    from matplotlib.figure import Figure

    from .plot import figure_png

    shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)


def torch_device():
    """The device PyTorch code should use: CUDA when available (after :func:`setup`)."""
    if _torch_device is None:
        raise RuntimeError("call lossbook.setup() first")
    return _torch_device
