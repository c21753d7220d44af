"""Root pytest configuration: the notebook kernels inherit this process's environment."""

from lossbook.environment import apply_env

apply_env()
