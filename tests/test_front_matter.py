"""The landing page, the citation and the licences say the same thing everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LANDING = (ROOT / "intro.md").read_text()
README = (ROOT / "README.md").read_text()


def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text())


def test_citation_file_has_what_cff_requires():
    cff = citation()
    assert cff["cff-version"] == "1.2.0"
    assert cff["message"] and cff["title"] and cff["authors"]
    assert all(a.get("name") or a.get("family-names") for a in cff["authors"])
    assert cff["preferred-citation"]["type"] == "book"
    assert sorted(cff["license"]) == ["CC-BY-4.0", "MIT"]


def test_landing_page_cites_what_the_citation_file_says():
    ref = citation()["preferred-citation"]
    section = LANDING[LANDING.index("## How to cite"):]
    assert ref["title"] in section and str(ref["year"]) in section
    assert all(a["name"] in section for a in ref["authors"])
    bibtex = re.search(r"```bibtex\n(.*?)```", section, re.S).group(1)
    assert f"title  = {{{ref['title']}}}" in bibtex and f"year   = {{{ref['year']}}}" in bibtex


def test_licences_are_stated_on_the_page_in_the_readme_and_in_license():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    for text in (LANDING, README):
        assert "CC BY 4.0" in text and "MIT" in text
        assert "https://creativecommons.org/licenses/by/4.0/" in text


def test_landing_page_sections():
    for heading in ("Who it is for", "What to know first", "How a chapter is built",
                    "Reading and running it", "How to cite", "Licence"):
        assert f"\n## {heading}\n" in LANDING, heading
    assert "```{tableofcontents}" in LANDING
    figure = re.search(r"```\{figure\} (\S+)\n(.*?)```", LANDING, re.S)
    assert figure and (ROOT / figure.group(1)).is_file()
    assert ":alt: " in figure.group(2) and ":name: " in figure.group(2)


def test_landing_page_versions_are_the_pinned_ones():
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().split()
                if "==" in line)
    for name, package in (("PyTorch", "torch"), ("TensorFlow", "tensorflow")):
        shown = re.search(rf"{name} (\d+\.\d+)", LANDING).group(1)
        assert pins[package].startswith(shown + "."), (name, shown, pins[package])
