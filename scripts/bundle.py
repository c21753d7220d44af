"""The download bundle: every chapter notebook with ``lossbook`` and the pinned requirements.

    python scripts/bundle.py _build/html        # writes _build/html/loss-functions-book.zip

The archive holds one folder, ``loss-functions-book/``: ``chapters/*.ipynb`` (with their
stored outputs), ``lossbook/`` with ``pyproject.toml`` (so ``pip install .`` in the folder,
or ``pip install loss-functions-book.zip``, installs it), ``requirements.txt`` and a
``README.md`` whose commands are those of ``running.md``. Entries carry a fixed date, so
the same files make the same archive.
"""

from __future__ import annotations

import argparse
import re
import zipfile
from pathlib import Path

from downloads import BUNDLE

ROOT = Path(__file__).resolve().parent.parent
FOLDER = Path(BUNDLE).stem
#: The section of running.md that the bundle's README repeats.
README_SECTION = "## Run the notebooks on your machine"


def files() -> dict[str, Path]:
    """Archive names (inside the folder) of the files the bundle holds."""
    package = [p for p in sorted((ROOT / "lossbook").rglob("*"))
               if p.is_file() and "__pycache__" not in p.parts]
    paths = sorted((ROOT / "chapters").glob("*.ipynb")) + package
    paths += [ROOT / "pyproject.toml", ROOT / "requirements.txt"]
    return {path.relative_to(ROOT).as_posix(): path for path in paths}


def readme() -> str:
    """The bundle's README: the title and the running section of ``running.md``."""
    text = (ROOT / "running.md").read_text()
    match = re.search(rf"^{re.escape(README_SECTION)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    if match is None:
        raise ValueError(f"running.md has no section {README_SECTION!r}")
    return ("# The Loss Functions Book: the notebooks\n\n"
            "`chapters/` holds every chapter with its stored outputs, `lossbook/` the book's "
            "helper package,\n`requirements.txt` the exact versions the outputs were "
            f"computed with.\n\n{README_SECTION}\n{match[1]}")


def write(directory: Path) -> Path:
    """Write the bundle into ``directory`` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / BUNDLE
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        entries = {"README.md": readme().encode(),
                   **{name: path.read_bytes() for name, path in files().items()}}
        for name, data in entries.items():
            info = zipfile.ZipInfo(f"{FOLDER}/{name}", date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="where to write the archive (the site)")
    print(f"wrote {write(parser.parse_args().directory)}")


if __name__ == "__main__":
    main()
