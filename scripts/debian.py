"""Debian packages the build and the tests use (Chromium, poppler-utils)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def ensure(binary: Path, package: str) -> bool:
    """Whether ``binary`` exists, after installing ``package`` with apt when it is missing
    and we are root (as in CI, on a fresh machine)."""
    if not binary.exists() and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)
    return binary.exists()
