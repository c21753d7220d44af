"""`make site` also publishes the notebook bundle and the whole book as a PDF, linked from
the site; a chapter runs from the bundle alone and prints the stored outputs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from bundle import FOLDER, files  # noqa: E402
from debian import ensure  # noqa: E402
from downloads import BUNDLE, PDF  # noqa: E402
from run_notebooks import execute  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
#: The chapter run from the bundle (a short one).
RUN = "01_foundations"


@pytest.fixture(scope="module")
def site(made_site) -> Path:
    """The site as ``make site`` builds it (``tests/conftest.py``), shared with the site
    tests."""
    assert made_site.returncode == 0, made_site.log[-4000:]
    return made_site.html


@pytest.fixture(scope="module")
def bundle(site, tmp_path_factory) -> Path:
    """The bundle unpacked into an empty folder: the folder it holds."""
    into = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(site / BUNDLE) as archive:
        archive.extractall(into)
    return into / FOLDER


def title(path: Path) -> str:
    """A page's title as the reader sees it (the first ``# `` line, without markup)."""
    if path.suffix == ".ipynb":
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                         if c.cell_type == "markdown")
    else:
        text = path.read_text()
    return re.search(r"^# (.+)$", text, re.M)[1].replace("`", "")


# --- links ------------------------------------------------------------------------------

@pytest.mark.parametrize("page", ["intro.html", "running.html"])
def test_pages_link_the_bundle_and_the_pdf(site, page):
    html = (site / page).read_text()
    for name in (BUNDLE, PDF):
        assert f'<a href="{name}">' in html, f"{page} links {name}"
        assert (site / name).stat().st_size > 100_000


def test_every_download_menu_has_them(site):
    pages = [site / f"{c['file']}.html" for part in TOC["parts"] for c in part["chapters"]]
    for page in pages:
        menu = re.findall(r'<a href="([^"]+)"[^>]*class="[^"]*dropdown-item', page.read_text())
        for name in (BUNDLE, PDF):
            assert os.path.relpath(site / name, page.parent) in menu, f"{page.name}: {name}"


# --- the bundle -------------------------------------------------------------------------

def test_bundle_holds_the_notebooks_lossbook_and_the_pins(bundle):
    inside = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    assert inside == {"README.md", *files()}
    assert {f"chapters/{p.name}" for p in CHAPTERS} <= inside
    for name, path in files().items():
        assert (bundle / name).read_bytes() == path.read_bytes(), name


def test_bundle_readme_commands_name_its_files(bundle):
    readme = (bundle / "README.md").read_text()
    commands = "\n".join(re.findall(r"```bash\n(.*?)```", readme, re.S))
    assert "pip install -r requirements.txt" in commands and "jupyter lab" in commands
    for path in re.findall(r"[\w./-]+\.(?:txt|ipynb)|[\w-]+/(?=\s)", commands):
        assert (bundle / path).exists(), f"the README names {path}, not in the bundle"


def test_chapter_runs_from_the_bundle(bundle, monkeypatch):
    """The chapter, run with the regeneration settings by a kernel that imports the
    bundle's lossbook (not this checkout's), prints exactly the stored outputs."""
    monkeypatch.setenv("PYTHONPATH", str(bundle))
    nb = nbformat.read(bundle / "chapters" / f"{RUN}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import lossbook\nprint(lossbook.__file__)"))
    ran = execute(nb, bundle / "chapters")
    where = Path(ran.cells.pop().outputs[0].text.strip())
    assert where.is_relative_to(bundle), f"lossbook imported from {where}"
    stored = nbformat.read(ROOT / "chapters" / f"{RUN}.ipynb", as_version=4)
    assert len(ran.cells) == len(stored.cells)
    for i, (new, old) in enumerate(zip(ran.cells, stored.cells, strict=True)):
        if old.cell_type == "code":
            assert new.outputs == old.outputs, f"cell {i} prints something else"


def test_bundle_pip_installs_lossbook_with_its_dependencies(site, tmp_path):
    """``pip install loss-functions-book.zip`` builds lossbook (here: a wheel, offline)."""
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "--no-index", "-q", "-w", str(tmp_path),
                           str(site / BUNDLE)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = tmp_path.glob("lossbook-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "lossbook").rglob("*.py")}
    assert modules <= set(names)
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert set(re.findall(r"^Requires-Dist: (\S+)", metadata, re.M)) == set(declared)


# --- the PDF ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def poppler() -> None:
    """pdftotext and pdfimages (Debian's poppler-utils): installed with apt when missing
    and we are root; required in CI."""
    if not ensure(Path("/usr/bin/pdftotext"), "poppler-utils"):
        if os.environ.get("CI") == "true":
            pytest.fail("poppler-utils is missing and could not be installed")
        pytest.skip("no pdftotext (apt-get install poppler-utils)")


@pytest.fixture(scope="module")
def pdf_pages(site, poppler) -> list[str]:
    """The text of each page of the PDF."""
    text = subprocess.run(["pdftotext", "-layout", str(site / PDF), "-"], check=True,
                          capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


def test_pdf_is_a_book(pdf_pages):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert 100 <= len(pdf_pages) <= 400, f"{len(pdf_pages)} pages"
    assert config["title"] in pdf_pages[0], "title page"
    assert pdf_pages[1].split()[0] == "Contents"


def test_pdf_has_every_page_of_the_toc(pdf_pages):
    """Every chapter and back-matter page starts a page of the PDF with its title (the
    contents page lists them too, so the title alone would not prove the chapter is in)."""
    pages = [" ".join(p.split()) for p in pdf_pages]
    for part in TOC["parts"]:
        for entry in part["chapters"]:
            name = title(next(ROOT.glob(f"{entry['file']}.*")))
            starts = [i for i, p in enumerate(pages[2:], 3)
                      if re.match(rf"(\d+ )?{re.escape(name)}", p)]
            assert starts, f"no page starts with {name!r}"


def test_pdf_links_nothing_on_the_print_server(site):
    assert b"127.0.0.1" not in (site / PDF).read_bytes()


def test_pdf_formulas_are_typeset(pdf_pages):
    text = "\n".join(pdf_pages)
    for raw in ("$$", "\\frac", "\\mathrm", "\\begin{"):
        assert raw not in text, f"raw TeX in the PDF: {raw}"


def test_pdf_embeds_every_figure(site, poppler):
    figures = sum("image/png" in o.get("data", {}) for p in CHAPTERS
                  for c in nbformat.read(p, as_version=4).cells for o in c.get("outputs", []))
    listing = subprocess.run(["pdfimages", "-list", str(site / PDF)], check=True,
                             capture_output=True, text=True).stdout.splitlines()[2:]
    images = [line for line in listing if line.split()[2] == "image"]
    assert len(images) >= figures > 0
